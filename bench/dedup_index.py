"""Embedding dedup, exact vs HNSW neighbour index: time, peak RSS, recall of duplicate pairs.

Section of bench/dedup.py (`--skip minhash,mrpc,embedding` runs it alone), or on its own:

    .venv/bin/python bench/dedup_index.py [--rows 100000] [--million 1000000] [--model static]

- `--rows`: real text (Alpaca rows repeated with random tails, as the 100k memory run) embedded
  once with the static model; exact and HNSW dedup each run in their own process on those
  vectors (threshold 0.9): time, peak RSS, recall of exact's pairs, difference of dropped sets.
- `--million`: synthetic vectors, each the static embedding of a random Alpaca row plus isotropic
  noise (80 % of rows at cosine ~0.6-0.8 to their source: distinct; 20 % at ~0.95-0.99: near
  duplicates). Exact search is hours there, so recall is measured on 1,000 sampled rows against a
  brute-force scan of all rows. HNSW only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
THRESHOLD = 0.9
MAX_NEIGHBOURS = 32   # core.dedup.embedding.MAX_NEIGHBOURS
SAMPLED_QUERIES = 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def signatures_of(vectors: np.ndarray):
    """The signature table an embedding step resolves (ids = row numbers, keep='first')."""
    import pyarrow as pa

    from core.dedup.base import matrix_column

    n = len(vectors)
    return pa.table({"id": pa.array(np.arange(n).astype(str)), "length": pa.array(np.zeros(n, np.int64)),
                     "score": pa.array(np.full(n, np.nan)), "has_text": pa.array(np.ones(n, bool)),
                     "vector": matrix_column(vectors), "order": pa.array(np.arange(n, dtype=np.int64))})


def run_index(vectors_path: str, index: str, out_path: str) -> None:
    """Child process: dedup the saved vectors with one index; figures to stdout, pairs to out_path."""
    from core.dedup.embedding import find_neighbours
    from core.steps import build_step

    before = rss_mb()
    vectors = np.load(vectors_path)
    step = build_step("dedup", "embedding", {"threshold": THRESHOLD, "index": index})
    signatures = signatures_of(vectors)
    wall, cpu = time.perf_counter(), time.process_time()
    left, right, similarity = find_neighbours(vectors, THRESHOLD, index=index)
    search_wall, search_cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = step.resolve_from_pairs(signatures, left, right, similarity)
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dropped = np.sort(np.asarray(result.ledger.column("id").to_pylist(), dtype=np.int64))
    np.savez(out_path, left=left, right=right, dropped=dropped)
    print(json.dumps({"index": index, "rows": len(vectors), "pairs": len(left), "dropped": len(dropped),
                      "search_wall": search_wall, "search_cpu": search_cpu, "total_wall": total_wall,
                      "total_cpu": total_cpu, "rss_before_vectors_mb": before, "peak_mb": peak,
                      "vectors_mb": vectors.nbytes / 2 ** 20}))


def child(vectors_path: Path, index: str, out_path: Path) -> dict | None:
    out = subprocess.run([sys.executable, __file__, "--child", str(vectors_path), index, str(out_path)],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stderr[-2000:])
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(figures: dict) -> None:
    beyond = figures["peak_mb"] - figures["rss_before_vectors_mb"]
    print(f"{figures['index']:>5}: neighbours {figures['search_wall']:.1f} s wall / {figures['search_cpu']:.1f} s CPU, "
          f"with clustering {figures['total_wall']:.1f} s wall / {figures['total_cpu']:.1f} s CPU; "
          f"{figures['pairs']:,} pairs, {figures['dropped']:,} dropped; peak RSS {figures['peak_mb']:.0f} MB = "
          f"{beyond:.0f} MB beyond Python + libraries, of which {figures['vectors_mb']:.0f} MB are the vectors")


def pair_keys(left, right, n: int) -> np.ndarray:
    return np.asarray(left, np.int64) * n + np.asarray(right, np.int64)


def real_text_vectors(rows: int, model: str) -> np.ndarray:
    """The 100k memory run's texts: each Alpaca row repeated, followed by 200 chars of a random row."""
    from bench.dedup import alpaca_texts
    from core.embeddings import embed

    base = alpaca_texts()
    rng = random.Random(1)
    texts = [f"{base[i % len(base)]}\n\n{base[rng.randrange(len(base))][:200]}" for i in range(rows)]
    return np.asarray(embed(texts, model=model), dtype=np.float32)


def compare_section(rows: int, model: str, workdir: Path) -> None:
    print(f"\n== Embedding neighbour index, exact vs HNSW: {rows:,} real-text rows ({model} model), threshold {THRESHOLD}")
    started = time.perf_counter()
    vectors = real_text_vectors(rows, model)
    print(f"(embedded in {time.perf_counter() - started:.0f} s; {vectors.shape[1]} dimensions)")
    path = workdir / "vectors.npy"
    np.save(path, vectors)
    figures = {index: child(path, index, workdir / f"{index}.npz") for index in ("exact", "hnsw")}
    if None in figures.values():
        return
    for index in ("exact", "hnsw"):
        report(figures[index])
    exact, hnsw = (np.load(workdir / f"{index}.npz") for index in ("exact", "hnsw"))
    truth, found = pair_keys(exact["left"], exact["right"], rows), pair_keys(hnsw["left"], hnsw["right"], rows)
    common = np.isin(truth, found)
    print(f"HNSW has {common.mean():.4f} of exact's pairs ({common.sum():,}/{len(truth):,}) and "
          f"{len(np.setdiff1d(found, truth)):,} pairs exact does not")
    # Rows with 32+ neighbours keep a different 32 in each index: compare where no cap can bind.
    degree = np.bincount(np.concatenate([exact["left"], exact["right"]]), minlength=rows)
    uncapped = (degree[exact["left"]] < MAX_NEIGHBOURS) & (degree[exact["right"]] < MAX_NEIGHBOURS)
    print(f"  on pairs of rows with < {MAX_NEIGHBOURS} neighbours ({uncapped.sum():,} pairs): "
          f"{common[uncapped].mean():.4f}")
    for index, pairs in (("exact", exact), ("hnsw", hnsw)):
        print_sampled(index, sampled_recall(path, pairs))
    both = len(np.intersect1d(exact["dropped"], hnsw["dropped"]))
    print(f"dropped rows: exact {len(exact['dropped']):,}, HNSW {len(hnsw['dropped']):,}, both {both:,}; "
          f"speed-up {figures['exact']['total_cpu'] / figures['hnsw']['total_cpu']:.1f}x CPU, "
          f"{figures['exact']['total_wall'] / figures['hnsw']['total_wall']:.1f}x wall "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def synthetic_vectors(rows: int, model: str, path: Path, seed: int = 0) -> None:
    """Static embeddings of Alpaca rows plus noise, written in chunks (never two float32 copies)."""
    from bench.dedup import alpaca_texts
    from core.embeddings import embed

    sources = np.asarray(embed(alpaca_texts(), model=model), dtype=np.float32)
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, sources.shape[1]))
    for start in range(0, rows, 100_000):
        size = min(100_000, rows - start)
        base = sources[rng.integers(0, len(sources), size)]
        noise = rng.standard_normal(base.shape, dtype=np.float32) / np.sqrt(base.shape[1], dtype=np.float32)
        near = rng.random(size) < 0.2
        # Noise of norm s moves a unit vector to cosine 1/sqrt(1+s^2) of its source.
        scale = np.where(near, rng.uniform(0.1, 0.33, size), rng.uniform(0.75, 1.3, size)).astype(np.float32)
        chunk = base + scale[:, None] * noise
        out[start:start + size] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    out.flush()


def sampled_recall(path: Path, pairs, seed: int = 1) -> dict:
    """Against a brute-force scan for 1,000 sampled rows: share of their top-32 neighbours >= threshold
    that `pairs` has (all rows, and rows with at most 32 such neighbours, where no cap can bind), and
    share of sampled rows with any such neighbour that `pairs` gives at least one (found as duplicates)."""
    vectors = np.load(path, mmap_mode="r")
    rows = len(vectors)
    queries = np.random.default_rng(seed).choice(rows, SAMPLED_QUERIES, replace=False)
    best = [[] for _ in queries]
    for start in range(0, rows, 50_000):   # 1,000 x 1M similarities would be 4 GB: in slices
        part = np.asarray(vectors[queries]) @ np.asarray(vectors[start:start + 50_000]).T
        for q, row in enumerate(part):
            hit = np.flatnonzero(row >= THRESHOLD)
            best[q].extend(zip(row[hit].tolist(), (hit + start).tolist()))
    found = set(zip(pairs["left"].tolist(), pairs["right"].tolist()))
    counts = {"pairs": 0, "hits": 0, "uncapped_pairs": 0, "uncapped_hits": 0, "rows": 0, "rows_found": 0}
    for q, row in zip(queries.tolist(), best):
        neighbours = [j for _, j in sorted(row, reverse=True) if j != q]
        hits = [(min(q, j), max(q, j)) in found for j in neighbours]
        counts["pairs"] += min(len(hits), MAX_NEIGHBOURS)
        counts["hits"] += sum(hits[:MAX_NEIGHBOURS])
        if len(neighbours) <= MAX_NEIGHBOURS:
            counts["uncapped_pairs"] += len(hits)
            counts["uncapped_hits"] += sum(hits)
        if neighbours:
            counts["rows"] += 1
            counts["rows_found"] += any(hits)
    return counts


def print_sampled(name: str, counts: dict) -> None:
    share = lambda a, b: counts[a] / max(counts[b], 1)  # noqa: E731
    print(f"  {name}: vs brute force on {SAMPLED_QUERIES:,} sampled rows: {share('hits', 'pairs'):.4f} of their top-"
          f"{MAX_NEIGHBOURS} neighbours >= {THRESHOLD} ({counts['pairs']:,}); {share('uncapped_hits', 'uncapped_pairs'):.4f} "
          f"for rows with <= {MAX_NEIGHBOURS} ({counts['uncapped_pairs']:,}); {share('rows_found', 'rows'):.4f} of rows "
          f"with a duplicate found as one ({counts['rows']:,})")


def million_section(rows: int, model: str, workdir: Path) -> None:
    print(f"\n== HNSW on {rows:,} synthetic vectors (static Alpaca embeddings + noise), threshold {THRESHOLD}")
    path = workdir / "synthetic.npy"
    synthetic_vectors(rows, model, path)
    figures = child(path, "hnsw", workdir / "synthetic_hnsw.npz")
    if figures is None:
        return
    report(figures)
    print_sampled("hnsw", sampled_recall(path, np.load(workdir / "synthetic_hnsw.npz")))
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="real-text rows for exact vs HNSW (0: skip)")
    parser.add_argument("--million", type=int, default=1_000_000, help="synthetic rows for HNSW alone (0: skip)")
    parser.add_argument("--model", default="static")
    parser.add_argument("--workdir", help="where the temporary vectors go (default: the system's temp dir)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_index(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="sieve-bench-index-", dir=args.workdir) as workdir:
        if args.rows:
            compare_section(args.rows, args.model, Path(workdir))
        if args.million:
            million_section(args.million, args.model, Path(workdir))


if __name__ == "__main__":
    main()
