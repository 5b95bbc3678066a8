"""Where MinHash dedup's memory goes: peak RSS of each phase of the local engine's dedup stage.

    python bench/dedup_memory.py [--rows 1000000] [--input FILE.jsonl]

Streams the input (bench/engines.py's generated Alpaca rows unless --input is given) through the
same calls as core/engine/local.py: per-batch `dedup_signatures`, the concatenation of the signature
tables, then `resolve` split into its parts (digest matrix, band keys, candidate pairs, verification,
clusters). Before each phase the process high-water mark is reset (/proc/self/clear_refs), so every
line is that phase's own peak; "held after" is what stays resident when it ends. Arrow's allocator
is invisible to tracemalloc, hence RSS.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def phase(name: str, rows: list):
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before, started = _status_mb("VmRSS:"), time.perf_counter()
    yield
    rows.append((name, before, _status_mb("VmHWM:"), _status_mb("VmRSS:"), time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--input", help="Alpaca/chat JSONL to read instead of generating one")
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()

    import numpy as np

    from bench.engines import generate
    from core.dedup import minhash as mh
    from core.dedup.base import fixed_size_matrix, has_text
    from core.dedup.runner import SignatureStack
    from core.engine.plan import dedup_signatures
    from core.load import iter_batches

    step = mh.MinHashDedup(threshold=args.threshold)
    step.setup()
    report: list = []
    with tempfile.TemporaryDirectory(prefix="sieve-memory-") as tmp:
        source = Path(args.input) if args.input else Path(tmp) / "input.jsonl"
        if not args.input:
            generate(source, args.rows)
        # what the local engine does: matrices stacked as batches arrive
        parts = SignatureStack(sum(1 for _ in open(source, "rb")))
        order = 0
        with phase("signatures (per batch, held)", report):
            for batch in iter_batches(source, batch_size=4096):
                parts.add(dedup_signatures(step, batch, order))
                order += batch.num_rows
        with phase("stack signature tables", report):
            signatures = parts.table()
            del parts
        with phase("digest matrix (fixed_size_matrix)", report):
            digests = fixed_size_matrix(signatures.column("minhash"), np.uint32)
        with phase("band keys + candidate pairs", report):  # as similar_pairs: one band's keys at a time
            left, right = mh.digest_candidate_pairs(digests, *step.bands(), has_text(signatures))
        with phase("verify (estimated_jaccard)", report):
            similarity = mh.estimated_jaccard(digests, left, right)
            similar = similarity >= step.threshold
            left, right, similarity = left[similar], right[similar], similarity[similar]
        del digests
        with phase("clusters + ledger (resolve_from_pairs)", report):
            result = step.resolve_from_pairs(signatures, left, right, similarity)
        sig_bytes = signatures.nbytes
    print(f"{order:,} rows, {len(left):,} verified pairs, {result.ledger.num_rows:,} dropped; "
          f"signature table {sig_bytes / 1e6:.0f} MB ({sig_bytes / max(order, 1):.0f} B/row)")
    print(f"{'phase':<40}{'RSS before':>11}{'peak':>9}{'after':>9}{'peak-before':>12}{'s':>7}")
    for name, before, peak, after, seconds in report:
        print(f"{name:<40}{before:>9.0f}MB{peak:>7.0f}MB{after:>7.0f}MB{peak - before:>10.0f}MB{seconds:>7.1f}")


if __name__ == "__main__":
    main()
