"""The CLI recipe end to end: rows/s and peak RSS at 100k and 1M generated rows (RSS must stay flat).

    .venv/bin/python bench/run.py [--sizes 100000 1000000] [--workdir /tmp/sieve-bench-run]

Generates OpenAI-messages JSONL inputs (5% exact duplicates, 1% refusals, 1% broken lines), then runs
`python -m core run` in a child process per size with a recipe of cheap metrics, thresholds, a regex
validator and exact dedup, and reports the child's wall time and peak resident memory (getrusage).
Dedup signatures are the one thing held for the whole input (a hash and a few numbers per row).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
RECIPE = """\
version: 1
steps:
  - {kind: metric, name: text_length}
  - {kind: metric, name: refusal}
  - {kind: dedup, name: exact}
  - {kind: filter, name: threshold, params: {column: refusal_score, max: 0.5}}
  - {kind: filter, name: threshold, params: {column: response_words, min: 3}}
  - {kind: filter, name: regex, params: {pattern: "(?i)as an ai language model"}}
export: {format: openai}
"""
REFUSAL = "I'm sorry, but I can't help with that."


def generate(path: Path, rows: int) -> None:
    unique = rows - rows // 20
    with open(path, "wb") as fh:
        for i in range(rows):
            if i % 100 == 99:
                fh.write(b'{"messages": [{"role": "user", "content": "broken\n')
                continue
            k = i % unique
            answer = REFUSAL if k % 100 == 7 else f"Answer {k}: first do step one, then step {k % 13}. " * (1 + k % 5)
            fh.write(orjson.dumps({"id": f"r{i}", "messages": [
                {"role": "user", "content": f"Question {k}: how do I finish task {k % 997}?"},
                {"role": "assistant", "content": answer}]}) + b"\n")


def run_child(args: list[str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB, stdout) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {err.decode()[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; each size runs in a fresh interpreter
    # started after the previous one ended, and sizes run from small to large.
    import resource
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kb // 1024, out.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", default="/tmp/sieve-bench-run")
    parser.add_argument("--keep-files", action="store_true")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "recipe.yaml").write_text(RECIPE)
    try:
        for rows in sorted(args.sizes):
            data = work / f"input-{rows}.jsonl"
            started = time.perf_counter()
            generate(data, rows)
            print(f"generated {rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
            seconds, peak_mb, out = run_child([sys.executable, "-m", "core", "run", str(work / "recipe.yaml"),
                                              "--input", str(data), "--output", str(work / f"clean-{rows}.jsonl"),
                                              "--rejected", str(work / f"rejected-{rows}.jsonl"), "--json"])
            summary = json.loads(out)
            assert summary["kept_rows"] + summary["dropped_rows"] == summary["input_rows"] == rows
            print(f"{rows:>9,} rows: {seconds:6.1f} s, {rows / seconds:8,.0f} rows/s, peak RSS {peak_mb:,} MB; "
                  f"kept {summary['kept_rows']:,}, dropped {summary['dropped_rows']:,} "
                  f"({', '.join(f'{k}: {v:,}' for k, v in list(summary['by_reason'].items())[:4])})")
            if not args.keep_files:
                for path in work.glob(f"*-{rows}.jsonl"):
                    path.unlink()
    finally:
        if not args.keep_files:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
