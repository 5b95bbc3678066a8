"""Safety benchmark: ROC-AUC of each available toxicity scorer on Davidson, throughput, PII scan speed.

    .venv/bin/python bench/safety.py [--data ../shared/data]

Davidson tweets: positive = offensive or hate, negative = neither. CAVEAT printed below:
alt-profanity-check was trained on these tweets, so its figure here is inflated.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from core.errors import SieveConfigError  # noqa: E402
from core.schema import Dataset, message  # noqa: E402
from core.scoring import score_table  # noqa: E402
from core.steps import build_step  # noqa: E402
from core.toxicity import SCORERS  # noqa: E402


def as_responses(texts: list[str]) -> Dataset:
    return Dataset.from_records({"id": str(i), "messages": [message("user", "Say something."), message("assistant", t)]}
                                for i, t in enumerate(texts))


def timed_scores(dataset: Dataset, step, column: str) -> tuple[np.ndarray, float]:
    step.setup()  # model loading is not part of throughput
    start = time.perf_counter()
    values = score_table(dataset.table, [step])[column].to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64), time.perf_counter() - start


def toxicity_bench(data: Path) -> None:
    rows = [json.loads(line) for line in (data / "davidson_dev_3000.jsonl").open()]
    labels = np.array([r["label"] != "neither" for r in rows], dtype=int)  # offensive or hate_speech
    dataset = as_responses([r["text"] for r in rows])
    print(f"Davidson dev: {len(rows):,} tweets, {labels.sum():,} offensive or hate, {len(rows) - labels.sum():,} neither")
    print(f"{'scorer':<28}{'ROC-AUC':>9}{'texts/s':>11}")
    for scorer in SCORERS:
        try:
            scores, secs = timed_scores(dataset, build_step("metric", "toxicity", {"scorer": scorer, "roles": ["response"]}),
                                        "response_toxicity")
        except SieveConfigError as exc:
            print(f"{scorer:<28}{'skipped':>9}   ({str(exc).split(' and Sieve')[0].removeprefix('toxicity: ')})")
            continue
        print(f"{scorer:<28}{roc_auc_score(labels, scores):>9.3f}{len(rows) / secs:>11,.0f}")
    counts, secs = timed_scores(dataset, build_step("metric", "profanity"), "response_profanity_count")
    print(f"{'profanity word list (count)':<28}{roc_auc_score(labels, counts):>9.3f}{len(rows) / secs:>11,.0f}")
    flagged = counts > 0
    print(f"  word list: flags {flagged.mean():.1%} of tweets; precision {labels[flagged].mean():.3f}, "
          f"recall {flagged[labels == 1].mean():.3f}")
    print("CAVEAT: alt-profanity-check was trained on the Davidson tweets; its ROC-AUC here is inflated "
          "(a sanity check, not evidence that it generalizes).")


def pii_bench(data: Path) -> None:
    from core.load import load_dataset

    path = data / "alpaca_original_5000.json"
    dataset = load_dataset(path).dataset
    step = build_step("metric", "pii")
    step.setup()
    start = time.perf_counter()
    cols = score_table(dataset.table, [step])
    secs = time.perf_counter() - start
    print(f"\nPII scan of {path.name}: {dataset.num_rows:,} rows in {secs:.2f} s ({dataset.num_rows / secs:,.0f} rows/s)")
    for spec in step.columns():
        if spec.name.endswith("_count") and spec.name != "pii_count":
            values = cols[spec.name].to_numpy(zero_copy_only=False)
            if np.isnan(values.astype(float)).all():
                print(f"  {spec.name:<28} not checked (no spaCy NER pipeline)")
            else:
                print(f"  {spec.name:<28} {int(np.nansum(values)):>5} items in {int((values > 0).sum()):>4} rows")
    redact = build_step("transform", "redact_pii", {"salt": "bench"})
    start = time.perf_counter()
    redact.apply(dataset.table)
    print(f"redact_pii over the same rows: {time.perf_counter() - start:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / "davidson_dev_3000.jsonl").is_file():
        print(f"no davidson_dev_3000.jsonl under {data}; nothing to measure")
        return 0
    toxicity_bench(data)
    pii_bench(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
