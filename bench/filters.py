"""Moving a slider on Clean & Export: core time to re-filter 100k rows over cached metric columns.

    .venv/bin/python bench/filters.py [--rows 100000] [--repeats 7]

Builds a 100k-row table with the metric columns the page would have cached (refusal score, token
counts, language, JSON state, a bool flag), a cached exact-dedup ledger, and times `core.clean.refilter`
(what the page calls on every slider move) for a typical set of page filters. Prints the median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.clean import VerdictCache, column_stats, dedup_ledger, filter_for_setting, refilter  # noqa: E402
from core.dedup.exact import ExactDedup  # noqa: E402
from core.filters import LanguageDriftFilter, RegexFilter  # noqa: E402
from core.schema import records_to_table  # noqa: E402
from core.steps import ColumnSpec  # noqa: E402


def build_table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    unique = rows - rows // 20  # the last 5% repeat earlier rows exactly
    records = [{"id": f"r{i}", "messages": [
        {"role": "user", "content": f"Question {i % unique}: how do I do task {i % unique % 997}?"},
        {"role": "assistant", "content": f"Answer {i % unique}: step one, then step {i % unique % 13}. " * (1 + i % unique % 5)}]}
        for i in range(rows)]
    table = records_to_table(records)
    langs = np.array(["en", "fr", "de", "es"])
    columns = {
        "refusal_score": rng.beta(0.5, 4, rows),
        "response_tokens": rng.integers(1, 4000, rows),
        "prompt_tokens": rng.integers(1, 2000, rows),
        "response_toxicity": rng.beta(0.5, 8, rows),
        "prompt_language": langs[rng.choice(4, rows, p=[0.85, 0.05, 0.05, 0.05])],
        "response_language": langs[rng.choice(4, rows, p=[0.8, 0.1, 0.05, 0.05])],
        "response_language_score": rng.uniform(0.3, 1.0, rows),
        "json_state": np.array(["none", "valid", "invalid"])[rng.choice(3, rows, p=[0.9, 0.07, 0.03])],
        "has_unclosed_code_fence": rng.random(rows) < 0.02,
    }
    for name, values in columns.items():
        table = table.append_column(name, pa.array(values))
    return table


SPECS = [
    (ColumnSpec(name="refusal_score", dtype="float", description="", better="lower", range=(0, 1)), 0.5),
    (ColumnSpec(name="response_toxicity", dtype="float", description="", better="lower", range=(0, 1)), 0.2),
    (ColumnSpec(name="response_tokens", dtype="int", description=""), (5, 3000)),
    (ColumnSpec(name="prompt_tokens", dtype="int", description=""), (1, 1500)),
    (ColumnSpec(name="json_state", dtype="category", description=""), ["none", "valid"]),
    (ColumnSpec(name="has_unclosed_code_fence", dtype="bool", description="", better="lower"), True),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    table = build_table(args.rows)
    print(f"built {args.rows:,} rows with cached metric columns in {time.perf_counter() - started:.1f} s")

    dedup = ExactDedup()
    started = time.perf_counter()
    ledgers = {"exact": dedup_ledger(table, dedup, "exact")}
    print(f"exact dedup resolved once (cached by the page): {time.perf_counter() - started:.2f} s, "
          f"{ledgers['exact'].num_rows:,} duplicates")

    filters = [filter_for_setting(spec, column_stats(spec, table.column(spec.name)), value) for spec, value in SPECS]
    variants = {
        "threshold/category/toggle filters only": filters,
        "+ cached dedup + language drift": [dedup, *filters, LanguageDriftFilter()],
        "+ a regex validator on responses": [dedup, *filters, LanguageDriftFilter(), RegexFilter(pattern=r"step 1[0-2]\b")],
    }
    for name, steps in variants.items():
        times, outcome = [], None
        for _ in range(args.repeats):
            started = time.perf_counter()
            outcome = refilter(table, steps, ledgers)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{name:42s} median {statistics.median(times):6.0f} ms  (min {min(times):.0f}, max {max(times):.0f}) "
              f"kept {outcome.kept_rows:,} of {args.rows:,}; funnel {outcome.funnel}")
    # The slider move itself: one threshold changed, everything else as before.
    filters_moved = list(variants["+ cached dedup + language drift"])
    spec = SPECS[0][0]
    filters_moved[1] = filter_for_setting(spec, column_stats(spec, table.column(spec.name)), 0.3)
    started = time.perf_counter()
    outcome = refilter(table, filters_moved, ledgers)
    print(f"refusal slider 0.5 -> 0.3: {(time.perf_counter() - started) * 1000:.0f} ms core time, "
          f"kept {outcome.kept_rows:,}")
    # What the page does: verdicts of unchanged filters come from its VerdictCache.
    cache = VerdictCache()
    steps = list(variants["+ a regex validator on responses"])
    refilter(table, steps, ledgers, cache.verdict_of("bench"))
    times = []
    for value in (0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15):
        steps[1] = filter_for_setting(spec, column_stats(spec, table.column(spec.name)), value)
        started = time.perf_counter()
        outcome = refilter(table, steps, ledgers, cache.verdict_of("bench"))
        times.append((time.perf_counter() - started) * 1000)
    print(f"page slider moves with dedup + drift + regex active (cached verdicts): median "
          f"{statistics.median(times):.0f} ms (max {max(times):.0f}), kept {outcome.kept_rows:,}")


if __name__ == "__main__":
    main()
