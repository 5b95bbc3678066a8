"""Synthesis figures: ROUGE-L novelty speed and recall, lexical coherence, pipeline throughput and resume.

Reads ../shared/data (Alpaca) for real instructions; runs the pipeline against the scripted local
server the tests use. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.synth.checks import RougePool, lexical_coherence, words  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def naive_f1(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r) if lcs else 0.0


def alpaca(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text())


def bench_rouge(original: list[dict], gpt4: list[dict]) -> None:
    pool_texts = [r["instruction"] for r in original]
    pool = RougePool(pool_texts)
    candidates = [r["instruction"] for r in gpt4]
    start = time.perf_counter()
    best = [pool.most_similar(c)[0] for c in candidates]
    elapsed = time.perf_counter() - start
    print(f"ROUGE-L, bit-parallel over the pool: {len(candidates)} candidates x {len(pool_texts)} pool tasks in "
          f"{elapsed:.2f} s ({elapsed / len(candidates) * 1000:.1f} ms per candidate)")
    sample = candidates[:20]
    start = time.perf_counter()
    naive = [max(naive_f1(words(c), words(t)) for t in pool_texts) for c in sample]
    naive_elapsed = time.perf_counter() - start
    print(f"ROUGE-L, pure-Python DP: {len(sample)} candidates in {naive_elapsed:.2f} s "
          f"({naive_elapsed / len(sample) * 1000:.1f} ms per candidate); max |difference| "
          f"{max(abs(a - b) for a, b in zip(best[:20], naive)):.2e}")
    best = np.array(best)
    exact = sum(c in set(pool_texts) for c in candidates)
    print(f"alpaca_gpt4 instructions vs alpaca_original pool: {exact} appear verbatim; "
          f"{(best >= 0.7).sum()} have ROUGE-L >= 0.7 (self-instruct would drop them), "
          f"{(best >= 0.5).sum()} >= 0.5; median best ROUGE-L {np.median(best):.2f}")

    # self-instruct growth: a pool that starts with 175 seeds and admits novel tasks one by one
    rng = random.Random(0)
    stream = rng.sample(pool_texts, 2000)
    growing = RougePool(stream[:175])
    start = time.perf_counter()
    kept = 0
    for task in stream[175:]:
        if growing.most_similar(task)[0] < 0.7:
            growing.add(task)
            kept += 1
    elapsed = time.perf_counter() - start
    print(f"self-instruct loop: 1,825 candidates against a pool growing from 175 to {len(growing):,} in "
          f"{elapsed:.2f} s; {kept} kept as novel (< 0.7)")


def bench_coherence(original: list[dict]) -> None:
    rows = [r for r in original if r["output"].strip()][:3000]
    instructions = [f"{r['instruction']} {r['input']}".strip() for r in rows]
    outputs = [r["output"] for r in rows]
    shuffled = outputs[1:] + outputs[:1]
    matched = np.array([lexical_coherence(i, o) for i, o in zip(instructions, outputs)])
    mismatched = np.array([lexical_coherence(i, o) for i, o in zip(instructions, shuffled)])
    # ROC-AUC by the rank statistic
    scores = np.concatenate([matched, mismatched])
    labels = np.concatenate([np.ones_like(matched), np.zeros_like(mismatched)])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty_like(order, dtype=float)
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average ranks over ties
        tie = scores == value
        ranks[tie] = ranks[tie].mean()
    auc = (ranks[labels == 1].sum() - len(matched) * (len(matched) + 1) / 2) / (len(matched) * len(mismatched))
    print(f"lexical coherence on {len(rows):,} Alpaca pairs vs the same instructions with another row's "
          f"output: ROC-AUC {auc:.3f}; at min_coherence 0.1 keeps {(matched >= 0.1).mean():.1%} of real "
          f"pairs and {(mismatched >= 0.1).mean():.1%} of mismatched ones")


def bench_pipeline() -> None:
    from core.synth.cache import RequestCache
    from core.synth.config import SynthConfig
    from core.synth.pipeline import SynthesisRun
    from tests.synth.fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            topics = [f"topic number {i}" for i in range(200)]
            config = SynthConfig.model_validate({
                "generator": {"base_url": server.url, "model": "fake-small", "api_key_env": None,
                              "max_concurrency": 8},
                "source": {"kind": "topics", "topics": topics}, "rows": 200, "cache_dir": tmp})
            start = time.perf_counter()
            first = SynthesisRun(config).run()
            cold = time.perf_counter() - start
            start = time.perf_counter()
            second = SynthesisRun(config, cache=RequestCache(tmp)).run()
            warm = time.perf_counter() - start
            print(f"pipeline vs local scripted server, 200 rows x 3 requests, 8 in flight: {cold:.2f} s "
                  f"({first.usage['requests_sent']} requests, {len(first.accepted)} accepted); rerun from "
                  f"the cache {warm:.2f} s ({second.usage['requests_sent']} requests, "
                  f"{second.usage['cache_hits']} cache hits)")
    finally:
        server.stop()


if __name__ == "__main__":
    if not DATA.is_dir():
        print("../shared/data not found: skipping the corpus figures")
    else:
        original, gpt4 = alpaca("alpaca_original_5000.json"), alpaca("alpaca_gpt4_en_demo_999.json")
        bench_rouge(original, gpt4)
        bench_coherence(original)
    bench_pipeline()
