"""Streaming load: rows/s and peak RSS reading a generated JSONL (100k and 1M conversations).

    .venv/bin/python bench/load.py [--sizes 100000 1000000] [--array] [--batch-size 10000]

Writes each file to a temporary directory (never the repo), then reads it through
`core.load.iter_batches` in a fresh subprocess per size, so each peak RSS figure is that read alone.
Flat memory means the 1M figure is close to the 100k one. `--array` also measures the same rows as
one JSON array (the incremental array splitter). The conversations are OpenAI `messages` with an
`id`, 2–6 turns of 100–600 characters, so the id registry (8 bytes per row) is part of the figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("the model answers each question with a short worked example and then checks the result "
         "against the original request so that nothing is lost on the way").split()


def conversation(i: int) -> dict:
    turns = 2 + 2 * (i % 3)
    messages = [{"role": "system", "content": "You are a helpful assistant."}] if i % 4 == 0 else []
    for t in range(turns):
        n = 15 + (i * 7 + t * 13) % 80
        text = " ".join(WORDS[(i + t + k) % len(WORDS)] for k in range(n))
        messages.append({"role": "user" if t % 2 == 0 else "assistant", "content": f"{i}.{t} {text}"})
    return {"id": f"conv-{i}", "messages": messages, "source": "bench"}


def generate(path: Path, rows: int, as_array: bool) -> None:
    with open(path, "wb") as fh:
        fh.write(b"[\n" if as_array else b"")
        for start in range(0, rows, 10_000):
            lines = [orjson.dumps(conversation(i)) for i in range(start, min(rows, start + 10_000))]
            sep = b",\n" if as_array else b"\n"
            fh.write((sep if as_array and start else b"") + sep.join(lines) + (b"" if as_array else b"\n"))
        fh.write(b"\n]\n" if as_array else b"")


def read(path: str, batch_size: int) -> None:
    """Child process: stream the file, print one JSON line of figures."""
    from core.load import iter_batches
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu_start = time.perf_counter(), time.process_time()
    rows = 0
    reader = iter_batches(path, batch_size=batch_size)
    for table in reader:
        rows += table.num_rows
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(orjson.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak / 1024,
                        "rss_after_imports_mb": base_rss / 1024, "format": reader.detection.format,
                        "rejected": len(reader.report.rejected)}).decode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--array", action="store_true", help="also measure the same rows as one JSON array")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read(args.read, args.batch_size)
        return
    kinds = ["jsonl"] + (["json"] if args.array else [])
    # wall time on a shared machine depends on the neighbours; CPU time is the code's own cost
    print(f"{'file':<6} {'rows':>10} {'MB':>7} {'wall s':>7} {'rows/s':>8} {'CPU s':>7} {'rows/CPU-s':>10} "
          f"{'peak RSS MB':>11} {'after imports':>13}")
    with tempfile.TemporaryDirectory(prefix="sieve-bench-load-") as tmp:
        for kind in kinds:
            for rows in args.sizes:
                path = Path(tmp) / f"bench_{rows}.{kind}"
                generate(path, rows, as_array=kind == "json")
                proc = subprocess.run([sys.executable, __file__, "--read", str(path), "--batch-size",
                                       str(args.batch_size)], capture_output=True, text=True, check=True)
                fig = orjson.loads(proc.stdout.strip().splitlines()[-1])
                assert fig["rows"] == rows and fig["rejected"] == 0, fig
                size_mb = os.path.getsize(path) / 2**20
                print(f"{kind:<6} {rows:>10,} {size_mb:>7.0f} {fig['seconds']:>7.1f} {rows / fig['seconds']:>8,.0f} "
                      f"{fig['cpu_seconds']:>7.1f} {rows / fig['cpu_seconds']:>10,.0f} {fig['peak_rss_mb']:>11.0f} "
                      f"{fig['rss_after_imports_mb']:>13.0f}", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
