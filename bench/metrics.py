"""Throughput of the Inspect metrics on Alpaca repeated to 100k rows: rows/s, and tokens/s for token counting.

    .venv/bin/python bench/metrics.py [--rows 100000] [--path ../shared/data/alpaca_original_5000.json]

Targets (2 CPU cores): cheap metrics >= 5,000 rows/s each; token counting >= 1M tokens/s.
Every metric runs through core.scoring.score_table (the path the page and the CLI use), batch 4096.
Also checks the language detector on tatoeba_langid_dev.jsonl when it is present.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

from core.load import load_dataset  # noqa: E402
from core.metrics.entropy import Entropy  # noqa: E402
from core.metrics.language import Language, detect_languages  # noqa: E402
from core.metrics.length import TextLength, TokenLength  # noqa: E402
from core.metrics.spacy_stats import SpacyStats  # noqa: E402
from core.metrics.validity import Validity  # noqa: E402
from core.scoring import score_table  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DEFAULT = SHARED / "alpaca_original_5000.json"
SPACY_ROWS = 20_000  # spaCy is not a cheap metric; a 20k-row slice gives its rate


def repeated(table: pa.Table, rows: int) -> pa.Table:
    copies = -(-rows // table.num_rows)
    return pa.concat_tables([table] * copies).slice(0, rows).combine_chunks()


def timed(table: pa.Table, metric) -> tuple[dict, float, float]:
    """(columns, wall seconds, CPU seconds of this process): CPU time shows the cost when cores are shared."""
    metric.setup()  # model loading is once per process, not part of throughput
    start, cpu_start = time.perf_counter(), time.process_time()
    columns = score_table(table, [metric])
    return columns, time.perf_counter() - start, time.process_time() - cpu_start


def language_accuracy(path: Path, limit: int = 2440) -> str:
    import orjson

    # tatoeba uses ISO 639-3; compare on the languages whose 639-1 code we can map without a table.
    iso3_to_1 = {"eng": "en", "fra": "fr", "deu": "de", "spa": "es", "ita": "it", "por": "pt", "nld": "nl",
                 "rus": "ru", "jpn": "ja", "cmn": "zh", "pol": "pl", "tur": "tr", "swe": "sv", "fin": "fi",
                 "ukr": "uk", "ara": "ar", "kor": "ko", "heb": "he", "hun": "hu", "ces": "cs", "dan": "da"}
    rows = [orjson.loads(line) for line in path.read_text().splitlines()[:limit]]
    rows = [r for r in rows if r["lang"] in iso3_to_1]
    codes, _ = detect_languages([r["text"] for r in rows])
    correct = sum(code == iso3_to_1[r["lang"]] for code, r in zip(codes, rows))
    return f"{correct / len(rows):.1%} of {len(rows):,} Tatoeba sentences in {len(set(r['lang'] for r in rows))} languages"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--path", type=Path, default=DEFAULT)
    args = parser.parse_args()

    base = load_dataset(args.path).dataset.table
    table = repeated(base, args.rows)
    load = os.getloadavg()[0]
    print(f"{args.path.name} x{-(-args.rows // base.num_rows)} -> {table.num_rows:,} rows; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at start")

    print("\ncheap metrics (target >= 5,000 rows/s each)      wall clock      per CPU-second")
    cheap_seconds = 0.0
    for metric in (TextLength(), Entropy(), Validity(), Language()):
        _, seconds, cpu = timed(table, metric)
        cheap_seconds += seconds
        print(f"  {metric.name:<14} {table.num_rows / seconds:>26,.0f} rows/s {table.num_rows / cpu:>12,.0f} rows/s"
              f"  ({seconds:.1f} s)")
    print(f"  {'all four':<14} {table.num_rows / cheap_seconds:>26,.0f} rows/s  ({cheap_seconds:.1f} s)")

    print("\ntoken counting (target >= 1,000,000 tokens/s, 2 threads)")
    for tokenizer in ("mistral", "cl100k"):
        columns, seconds, cpu = timed(table, TokenLength(tokenizer=tokenizer))
        tokens = pc.sum(columns["total_tokens"]).as_py()
        print(f"  {tokenizer:<14} {tokens / seconds:>12,.0f} tokens/s wall {tokens / cpu:>12,.0f} tokens per CPU-s  "
              f"{table.num_rows / seconds:>8,.0f} rows/s  ({tokens:,} tokens, {seconds:.1f} s)")

    spacy_table = table.slice(0, SPACY_ROWS)
    _, seconds, _ = timed(spacy_table, SpacyStats())
    print(f"\nspaCy stats (blank + rules unless a pipeline is installed): "
          f"{spacy_table.num_rows / seconds:,.0f} rows/s on {spacy_table.num_rows:,} rows")

    tatoeba = SHARED / "tatoeba_langid_dev.jsonl"
    if tatoeba.exists():
        print(f"language ID accuracy (fastText lite): {language_accuracy(tatoeba)}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
