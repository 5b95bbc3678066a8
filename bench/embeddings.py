"""Embedding speed (rows/s) and paraphrase ranking (ROC-AUC of cosine) for the static and MiniLM models.

    .venv/bin/python bench/embeddings.py [--minilm-rows 500] [--pairs 1500]

Speed: Alpaca 5,000 (../shared/data/alpaca_original_5000.json) as loaded by Sieve, instruction only
and the whole conversation; MiniLM on the first --minilm-rows rows (it runs ~30 rows/s on 2 cores).
Quality: the first --pairs pairs of MRPC train (label 1 = paraphrase), cosine of the two sentences as
the score, for both models on the same pairs, plus the static model on all pairs.
Also: the topic analysis (k estimated, labels, map, diversity) over the 5,000 Alpaca instructions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

import numpy as np  # noqa: E402

from core.embeddings import embed, is_ready, load_embedder  # noqa: E402
from core.load import load_dataset  # noqa: E402
from core.topics import analyze_topics  # noqa: E402


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def timed(texts: list[str], model: str) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = embed(texts, model)
    return vectors, len(texts) / (time.perf_counter() - start)


def pair_auc(pairs: list[dict], model: str) -> float:
    left = embed([p["sentence1"] for p in pairs], model)
    right = embed([p["sentence2"] for p in pairs], model)
    return roc_auc((left * right).sum(axis=1), np.array([p["label"] for p in pairs]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minilm-rows", type=int, default=500)
    parser.add_argument("--pairs", type=int, default=1500)
    args = parser.parse_args()

    was_ready = is_ready("static")
    start = time.perf_counter()
    load_embedder("static")
    print(f"static model: {'loaded from cache' if was_ready else 'distilled from MiniLM'} "
          f"in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    load_embedder("minilm")
    print(f"minilm model: loaded in {time.perf_counter() - start:.1f} s")

    dataset = load_dataset(DATA / "alpaca_original_5000.json").dataset
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nspeed on {dataset.num_rows:,} Alpaca rows ({os.cpu_count()} CPUs, load average {load}):")
    print(f"{'text':<14}{'model':<8}{'rows':>7}{'mean chars':>12}{'rows/s':>10}")
    for field in ("instruction", "conversation"):
        texts = dataset.texts(field)
        embed(texts[:50], "static")  # warm-up
        for model, rows in (("static", texts), ("minilm", texts[:args.minilm_rows])):
            _, rate = timed(rows, model)
            chars = np.mean([len(t) for t in rows])
            print(f"{field:<14}{model:<8}{len(rows):>7,}{chars:>12.0f}{rate:>10,.0f}")

    pairs = [json.loads(line) for line in (DATA / "mrpc_train_pairs.jsonl").read_text().splitlines() if line.strip()]
    subset = pairs[:args.pairs]
    print(f"\nparaphrase ranking, ROC-AUC of cosine (MRPC train, {sum(p['label'] for p in subset)} of "
          f"{len(subset)} pairs are paraphrases):")
    for model in ("static", "minilm"):
        print(f"  {model:<7} first {len(subset):,} pairs: {pair_auc(subset, model):.3f}")
    print(f"  static  all {len(pairs):,} pairs:   {pair_auc(pairs, 'static'):.3f}")

    texts = dataset.texts("instruction")
    vectors = embed(texts, "static")
    start = time.perf_counter()
    result = analyze_topics(texts, vectors)
    elapsed = time.perf_counter() - start
    d = result.diversity
    print(f"\ntopics over {len(texts):,} Alpaca instructions (static): {elapsed:.1f} s, k = "
          f"{sum(c.id >= 0 for c in result.clusters)} (silhouette-estimated); entropy {d.cluster_entropy_bits:.2f} bits "
          f"({d.cluster_entropy_normalized:.2f} of max), distinct-1 {d.distinct_1:.3f}, distinct-2 {d.distinct_2:.3f}, "
          f"mean pairwise distance {d.mean_pairwise_distance:.3f}")
    for cluster in result.clusters[:5]:
        print(f"  {cluster.id:>2}  {cluster.size:>5,}  {cluster.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
