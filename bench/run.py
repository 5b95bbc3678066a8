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
DEDUP_RECIPE = """\
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
# The same without the global step: nothing is held for the whole input, so RSS must not grow.
STREAMING_RECIPE = "\n".join(line for line in DEDUP_RECIPE.splitlines() if "dedup" not in line) + "\n"
RECIPES = {"streaming": STREAMING_RECIPE, "dedup": DEDUP_RECIPE}
RECIPE = DEDUP_RECIPE
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


def run_child(args: list[str], work: Path) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB of this child alone, stdout) of one child process."""
    out_path, err_path = work / "child.out", work / "child.err"
    started = time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)   # this child's own rusage (ru_maxrss in KB)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}): {err_path.read_text()[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, out_path.read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", default="/tmp/sieve-bench-run")
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=["streaming", "dedup"])
    parser.add_argument("--keep-files", action="store_true")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    for name in args.recipes:
        (work / f"{name}.yaml").write_text(RECIPES[name])
    try:
        for rows in sorted(args.sizes):
            data = work / f"input-{rows}.jsonl"
            started = time.perf_counter()
            generate(data, rows)
            print(f"generated {rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
            for name in args.recipes:
                run_one(work, name, data, rows)
            if not args.keep_files:
                for path in work.glob(f"*-{rows}.jsonl"):
                    path.unlink()
    finally:
        if not args.keep_files:
            shutil.rmtree(work, ignore_errors=True)


def run_one(work: Path, name: str, data: Path, rows: int) -> None:
    seconds, peak_mb, out = run_child([sys.executable, "-m", "core", "run", str(work / f"{name}.yaml"),
                                      "--input", str(data), "--output", str(work / f"clean-{rows}.jsonl"),
                                      "--rejected", str(work / f"rejected-{rows}.jsonl"), "--json"], work)
    summary = json.loads(out)
    assert summary["kept_rows"] + summary["dropped_rows"] == summary["input_rows"] == rows
    print(f"{name:9s} {rows:>9,} rows: {seconds:6.1f} s, {rows / seconds:8,.0f} rows/s, peak RSS {peak_mb:,} MB; "
          f"kept {summary['kept_rows']:,}, dropped {summary['dropped_rows']:,} "
          f"({', '.join(f'{k}: {v:,}' for k, v in list(summary['by_reason'].items())[:4])})", flush=True)


if __name__ == "__main__":
    main()
