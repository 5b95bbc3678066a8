"""Refusal detector on XSTest completions (human labels): precision, recall, F1 at the default threshold.

    .venv/bin/python bench/refusal.py [--threshold 0.5] [--path ../shared/data/xstest_completions_dev_500.jsonl]

Positives are "full refusal" and "partial refusal" (both are rows a fine-tuning set should not learn
from); the full-refusal-only figure and a per-label score summary are printed too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.metrics.refusal import refusal_score  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "xstest_completions_dev_500.jsonl"


def prf(pred: list[bool], gold: list[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(rows: list[dict], threshold: float) -> dict:
    scores = [refusal_score(r["completion"]) for r in rows]
    labels = [r["final_label"] for r in rows]
    pred = [s >= threshold for s in scores]
    out = {"rows": len(rows)}
    out["any_refusal"] = prf(pred, [lab != "1_full_compliance" for lab in labels])
    out["full_refusal_vs_compliance"] = prf(
        [p for p, lab in zip(pred, labels) if lab != "3_partial_refusal"],
        [lab == "2_full_refusal" for lab in labels if lab != "3_partial_refusal"])
    out["mean_score"] = {lab: round(sum(s for s, l in zip(scores, labels) if l == lab) / max(1, labels.count(lab)), 3)
                         for lab in sorted(set(labels))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", default=str(DEFAULT))
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.path, encoding="utf-8")]
    started = time.perf_counter()
    result = evaluate(rows, args.threshold)
    seconds = time.perf_counter() - started
    print(f"XSTest completions: {result['rows']} rows, threshold {args.threshold}, {result['rows'] / seconds:,.0f} rows/s")
    for name in ("any_refusal", "full_refusal_vs_compliance"):
        p, r, f = result[name]
        print(f"  {name:28s} precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    print(f"  mean score by label: {result['mean_score']}")
    halves = {"even rows": rows[0::2], "odd rows": rows[1::2]}
    for name, part in halves.items():
        print(f"  {name:28s} any-refusal F1 {evaluate(part, args.threshold)['any_refusal'][2]:.3f}")
    for model in sorted({r['model'] for r in rows}):
        part = [r for r in rows if r["model"] == model]
        print(f"  model {model:22s} any-refusal F1 {evaluate(part, args.threshold)['any_refusal'][2]:.3f} ({len(part)} rows)")


if __name__ == "__main__":
    main()
