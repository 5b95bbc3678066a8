"""Local vs Ray engine on the same generated input: wall time and peak memory of every process.

    python bench/engines.py [--rows 1000000] [--engines local,ray] [--keep DIR]

Each engine runs as `python -m core run … --json` in a subprocess. Memory is sampled from /proc
every 0.2 s over the whole process tree (the CLI, and for Ray the GCS, raylet and every worker):
"tree PSS" sums proportional set sizes, so pages shared between processes (Ray's object store in
/dev/shm, shared libraries) are counted once; "driver RSS" is the CLI process alone. psutil is not
a dependency, hence /proc. The input is Alpaca JSONL with exact copies, one-word edits and short
answers, so every step has work to do. On 2 cores Ray does not win: the point is that no single
process holds the dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPE = """version: 1
steps:
  - {kind: metric, name: text_length}
  - {kind: filter, name: threshold, params: {column: response_chars, min: 20}}
  - {kind: dedup, name: exact}
  - {kind: dedup, name: minhash, params: {threshold: 0.8}}
export: {format: openai}
"""
WORDS = [f"w{i}" for i in range(5000)]


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    seeds = [" ".join(rng.choices(WORDS, k=24)) for _ in range(max(1, rows // 20))]
    with open(path, "w") as fh:
        for i in range(rows):
            roll = rng.random()
            if roll < 0.10:
                instruction = rng.choice(seeds)
            elif roll < 0.20:
                words = rng.choice(seeds).split()
                words[rng.randrange(len(words))] = rng.choice(WORDS)
                instruction = " ".join(words)
            else:
                instruction = " ".join(rng.choices(WORDS, k=24))
            output = " ".join(rng.choices(WORDS, k=rng.randint(1, 40)))
            fh.write(json.dumps({"instruction": instruction, "input": "", "output": output}) + "\n")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _kb(pid: int, path: str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Peak summed PSS of a process and all its descendants, and peak RSS of the process itself."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_tree_kb, self.peak_driver_kb, self.peak_processes = pid, 0, 0, 0
        self.running = True

    def run(self) -> None:
        while self.running:
            tree, pids, stack = _children(), [], [self.pid]
            while stack:
                pid = stack.pop()
                pids.append(pid)
                stack += tree.get(pid, [])
            total = sum(_kb(p, "smaps_rollup", "Pss:") for p in pids)
            self.peak_tree_kb = max(self.peak_tree_kb, total)
            self.peak_driver_kb = max(self.peak_driver_kb, _kb(self.pid, "status", "VmRSS:"))
            self.peak_processes = max(self.peak_processes, len(pids))
            time.sleep(0.2)


def run_engine(engine: str, recipe: Path, source: Path, work: Path) -> dict:
    output = work / f"{engine}.jsonl"
    command = [sys.executable, "-m", "core", "run", str(recipe), "--input", str(source), "--output", str(output),
               "--ledger", str(work / f"{engine}.ledger.parquet"), "--engine", engine, "--json"]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = TreeMemory(process.pid)
    memory.start()
    out, err = process.communicate()
    memory.running = False
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{engine} failed ({process.returncode}): {err.decode()[-2000:]}")
    summary = json.loads(out)
    return {"engine": engine, "wall_s": seconds, "engine_s": summary["seconds"], "kept": summary["kept_rows"],
            "dropped": summary["dropped_rows"], "by_reason": summary["by_reason"],
            "tree_pss_mb": memory.peak_tree_kb / 1024, "driver_rss_mb": memory.peak_driver_kb / 1024,
            "processes": memory.peak_processes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--keep", help="work directory to keep (default: a temporary one, removed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sieve-bench-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        source, recipe = work / "input.jsonl", work / "recipe.yaml"
        started = time.perf_counter()
        generate(source, args.rows)
        recipe.write_text(RECIPE)
        print(f"input: {args.rows:,} Alpaca rows, {source.stat().st_size / 1e6:.0f} MB "
              f"(generated in {time.perf_counter() - started:.1f} s); {os.cpu_count()} CPUs")
        results = [run_engine(engine, recipe, source, work) for engine in args.engines.split(",")]
        print(f"{'engine':<7}{'wall s':>9}{'engine s':>10}{'kept':>10}{'dropped':>10}"
              f"{'peak tree PSS MB':>18}{'peak driver RSS MB':>20}{'processes':>11}")
        for r in results:
            print(f"{r['engine']:<7}{r['wall_s']:>9.1f}{r['engine_s']:>10.1f}{r['kept']:>10,}{r['dropped']:>10,}"
                  f"{r['tree_pss_mb']:>18.0f}{r['driver_rss_mb']:>20.0f}{r['processes']:>11}")
        if len(results) > 1:
            same = all(r["by_reason"] == results[0]["by_reason"] for r in results)
            print(f"same drops by reason on every engine: {same}  {results[0]['by_reason']}")


if __name__ == "__main__":
    main()
