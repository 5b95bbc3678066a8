"""Dedup benchmarks: prints figures, asserts nothing.

1. Our MinHash dedup vs datasketch's MinHashLSH on the same documents (Alpaca rows plus edited
   copies), same normalization, word shingles, num_perm and threshold, in one run: end-to-end
   time ratio and Jaccard between the two kept sets.
2. MinHash recall/precision on real rows (alpaca_original_5000.json) with injected realistic edits.
3. Embedding dedup over 100k rows: time and peak RSS beyond the loaded model (in a subprocess, so
   the peak is its own).
4. Embedding ROC-AUC on MRPC paraphrase pairs (cosine of the pair as the score).
5. Embedding neighbour index, exact vs HNSW (bench/dedup_index.py): 100k real-text rows, then HNSW
   alone on 1M synthetic vectors; time, peak RSS, recall of exact's duplicate pairs.

    .venv/bin/python bench/dedup.py [--copies 1500] [--embedding-rows 100000] [--models static,minilm]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
DATA = ROOT.parent / "shared" / "data"
THRESHOLD, NUM_PERM, NGRAM = 0.7, 128, 3

from core.dedup.normalize import normalize_text  # noqa: E402
from core.schema import message, records_to_table  # noqa: E402

PREAMBLES = ["Sure! ", "Certainly. ", "Here is my answer: ", "Great question. "]
SYNONYMS = {"good": "great", "big": "large", "small": "little", "use": "utilize", "help": "assist",
            "make": "create", "show": "display", "important": "essential", "quickly": "rapidly",
            "the": "a", "is": "remains", "can": "could"}


# ---------------------------------------------------------------- documents with injected edits

def alpaca_texts() -> list[str]:
    rows = json.loads((DATA / "alpaca_original_5000.json").read_text())
    return [" ".join(part for part in (r["instruction"], r["input"], r["output"]) if part) for r in rows]


def edit(text: str, rng: random.Random) -> str:
    """One or two realistic edits: reflowed whitespace, punctuation/case changes, a typo, a synonym,
    swapped sentences, a preamble, or a dropped last sentence."""
    for kind in rng.sample(["space", "punct", "case", "typo", "synonym", "swap", "preamble", "truncate"], 2):
        words = text.split(" ")
        if kind == "space":
            text = re.sub(r" ", lambda _: rng.choice([" ", "  ", "\n"]), text)
        elif kind == "punct":
            text = re.sub(r"[,.;!?]", lambda m: rng.choice(["", m.group(0), "!"]), text)
        elif kind == "case":
            text = text.lower() if rng.random() < 0.5 else text.upper()
        elif kind == "typo" and len(words) > 3:
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 3:
                j = rng.randrange(len(w) - 1)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(words)
        elif kind == "synonym":
            text = " ".join(SYNONYMS.get(w, w) if rng.random() < 0.5 else w for w in words)
        elif kind == "swap":
            sentences = re.split(r"(?<=[.!?])\s+", text)
            if len(sentences) > 2:
                i = rng.randrange(len(sentences) - 1)
                sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
            text = " ".join(sentences)
        elif kind == "preamble":
            text = rng.choice(PREAMBLES) + text
        elif kind == "truncate":
            sentences = re.split(r"(?<=[.!?])\s+", text)
            if len(sentences) > 3:
                text = " ".join(sentences[:-1])
    return text


def corpus(copies: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """Texts and the source family of each (an edited copy shares its original's family)."""
    rng = random.Random(seed)
    texts = alpaca_texts()
    family = list(range(len(texts)))
    for source in rng.sample(range(len(texts)), copies):
        texts.append(edit(texts[source], rng))
        family.append(source)
    order = list(range(len(texts)))
    rng.shuffle(order)  # copies are not all at the end: keep-first must really choose
    return [texts[i] for i in order], [family[i] for i in order]


def table_of(texts: list[str]):
    return records_to_table({"id": str(i), "messages": [message("user", t)]} for i, t in enumerate(texts))


# ---------------------------------------------------------------- the two implementations

def ours(table):
    from core.dedup.runner import deduplicate
    from core.steps import build_step

    step = build_step("dedup", "minhash", {"threshold": THRESHOLD, "num_perm": NUM_PERM, "ngram": NGRAM,
                                           "fields": "instruction"})
    return deduplicate(table, step)


def datasketch_dedup(texts: list[str]):
    """The usual datasketch recipe with the same normalization and shingles, verified pairs, and our
    clustering (so only the MinHash/LSH implementation differs)."""
    from datasketch import MinHash, MinHashLSH

    from core.dedup.clusters import resolve_pairs

    from core.dedup.minhash import FALSE_NEGATIVE_WEIGHT, FALSE_POSITIVE_WEIGHT

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, weights=(FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT))
    sketches = []
    for i, text in enumerate(texts):
        words = normalize_text(text).split()
        shingles = {" ".join(words[k:k + NGRAM]) for k in range(max(len(words) - NGRAM + 1, 1))} if words else set()
        sketch = MinHash(num_perm=NUM_PERM)
        sketch.update_batch([s.encode() for s in shingles])
        sketches.append(sketch if shingles else None)
        if shingles:
            lsh.insert(i, sketch)
    left, right = [], []
    for i, sketch in enumerate(sketches):
        if sketch is None:
            continue
        for j in lsh.query(sketch):
            if j > i and sketch.jaccard(sketches[j]) >= THRESHOLD:
                left.append(i)
                right.append(j)
    values = np.stack([s.hashvalues if s is not None else np.zeros(NUM_PERM, np.uint64) for s in sketches])
    return resolve_pairs([str(i) for i in range(len(texts))], np.array(left, np.int64), np.array(right, np.int64),
                         np.arange(len(texts)), lambda k, m: (values[m] == values[k]).mean(axis=1),
                         THRESHOLD, "datasketch")


def timed(function, *args):
    """(result, wall seconds, CPU seconds of this process: robust when other jobs share the cores)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def kept_set(n: int, result) -> set[str]:
    return {str(i) for i in range(n)} - result.dropped_ids


def true_jaccard(a: str, b: str) -> float:
    def shingles(text):
        words = normalize_text(text).split()
        return {tuple(words[k:k + NGRAM]) for k in range(max(len(words) - NGRAM + 1, 1))} if words else set()
    x, y = shingles(a), shingles(b)
    return len(x & y) / max(len(x | y), 1)


def minhash_section(copies: int) -> None:
    texts, family = corpus(copies)
    table = table_of(texts)
    print(f"\n== MinHash vs datasketch: {len(texts):,} docs (alpaca_original_5000 + {copies:,} edited copies), "
          f"num_perm={NUM_PERM}, word {NGRAM}-grams, threshold={THRESHOLD}")
    ours(table_of(texts[:200]))  # warm both up: imports and first-call setup are not the workload
    datasketch_dedup(texts[:200])
    (mine, ours_wall, ours_cpu), (theirs, theirs_wall, theirs_cpu) = timed(ours, table), timed(datasketch_dedup, texts)
    a, b = kept_set(len(texts), mine), kept_set(len(texts), theirs)
    print(f"ours (rensa + numpy banding): {ours_wall:.2f} s wall, {ours_cpu:.2f} s CPU, {mine.ledger.num_rows:,} duplicates")
    print(f"datasketch MinHashLSH:        {theirs_wall:.2f} s wall, {theirs_cpu:.2f} s CPU, "
          f"{theirs.ledger.num_rows:,} duplicates")
    print(f"speed ratio: {theirs_wall / ours_wall:.1f}x faster wall-clock, {theirs_cpu / ours_cpu:.1f}x in CPU time; "
          f"kept-set Jaccard: {len(a & b) / len(a | b):.4f} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

    # Recall / precision against the injected copies.
    dropped = mine.ledger.to_pylist()
    same_family = [family[int(r["id"])] == family[int(r["kept_id"])] for r in dropped]
    real_near = [ok or true_jaccard(texts[int(r["id"])], texts[int(r["kept_id"])]) >= THRESHOLD
                 for ok, r in zip(same_family, dropped)]
    cluster_of = {row["id"]: row["cluster"] for row in mine.clusters.to_pylist()}
    members: dict[int, list[int]] = {}
    for i, f in enumerate(family):
        members.setdefault(f, []).append(i)
    pairs = [(g[0], k) for g in members.values() if len(g) > 1 for k in g[1:]]
    found = [cluster_of.get(str(x)) is not None and cluster_of.get(str(x)) == cluster_of.get(str(y)) for x, y in pairs]
    reachable = [true_jaccard(texts[x], texts[y]) >= THRESHOLD for x, y in pairs]
    recall_reachable = sum(f for f, r in zip(found, reachable) if r) / max(sum(reachable), 1)
    print(f"injected copies found (same cluster as their original): recall {sum(found) / len(pairs):.3f} "
          f"({sum(found)}/{len(pairs)}); {sum(reachable)} copies keep shingle Jaccard >= {THRESHOLD}, "
          f"recall among them {recall_reachable:.3f}")
    print(f"precision: {sum(same_family) / max(len(dropped), 1):.3f} of dropped rows have their kept twin in "
          f"the same family; {sum(real_near) / max(len(dropped), 1):.3f} are same-family or truly >= {THRESHOLD} "
          f"Jaccard (natural Alpaca near-duplicates)")


# ---------------------------------------------------------------- embeddings

def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def embedding_memory(rows: int, model: str) -> None:
    """Runs in its own process: embedding dedup of `rows` rows, time and peak RSS beyond the model."""
    from core.dedup.runner import compute_signatures
    from core.embeddings import embed
    from core.steps import build_step

    base = alpaca_texts()
    rng = random.Random(1)
    # Each Alpaca row 20 times, each time followed by 200 characters of another random row: realistic
    # text with many genuine near-duplicates (same row, different tail), the hard case for memory.
    texts = [f"{base[i % len(base)]}\n\n{base[rng.randrange(len(base))][:200]}" for i in range(rows)]
    table = table_of(texts)
    embed(["warm up the model"], model=model)
    baseline = rss_mb()
    step = build_step("dedup", "embedding", {"threshold": 0.9, "model": model})
    signatures, embed_wall, embed_cpu = timed(compute_signatures, table, step)
    result, search_wall, search_cpu = timed(step.resolve, signatures)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "model": model, "embed_wall": round(embed_wall, 1), "embed_cpu": round(embed_cpu, 1),
                      "search_wall": round(search_wall, 1), "search_cpu": round(search_cpu, 1),
                      "duplicates": result.ledger.num_rows, "baseline_mb": round(baseline),
                      "peak_mb": round(peak), "table_mb": round(table.nbytes / 2 ** 20)}))


def embedding_section(rows: int, model: str) -> None:
    print(f"\n== Embedding dedup, {rows:,} rows, model={model}, threshold 0.9 (separate process)")
    out = subprocess.run([sys.executable, __file__, "--embedding-memory", str(rows), "--model", model],
                         capture_output=True, text=True, check=False)
    if out.returncode:
        print(out.stderr[-2000:])
        return
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    wall = figures["embed_wall"] + figures["search_wall"]
    print(f"time {wall:.1f} s wall ({rows / wall:.0f} rows/s): embedding {figures['embed_wall']} s wall / "
          f"{figures['embed_cpu']} s CPU, neighbour search + clustering {figures['search_wall']} s wall / "
          f"{figures['search_cpu']} s CPU; {figures['duplicates']:,} duplicates")
    print(f"RSS after model load {figures['baseline_mb']} MB, peak {figures['peak_mb']} MB -> "
          f"{figures['peak_mb'] - figures['baseline_mb']} MB beyond the model (input table itself {figures['table_mb']} MB)")
    print(f"(load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def mrpc_section(models: list[str]) -> None:
    from sklearn.metrics import roc_auc_score

    from core.embeddings import embed

    pairs = [json.loads(line) for line in (DATA / "mrpc_train_pairs.jsonl").read_text().splitlines()]
    labels = np.array([p["label"] for p in pairs])
    print(f"\n== Embedding ROC-AUC on MRPC train pairs ({len(pairs):,} pairs, {labels.mean():.0%} paraphrases)")
    for model in models:
        started = time.perf_counter()
        first = embed([p["sentence1"] for p in pairs], model=model)
        second = embed([p["sentence2"] for p in pairs], model=model)
        cosine = (first * second).sum(axis=1)
        print(f"{model}: ROC-AUC {roc_auc_score(labels, cosine):.3f} ({time.perf_counter() - started:.1f} s)")
    minhash_score = [true_jaccard(p["sentence1"], p["sentence2"]) for p in pairs]
    print(f"(word 3-gram Jaccard, what MinHash estimates: ROC-AUC {roc_auc_score(labels, minhash_score):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1500, help="edited copies injected into the Alpaca rows")
    parser.add_argument("--embedding-rows", type=int, default=100_000)
    parser.add_argument("--model", default="static", help="embedding model for the 100k-row run")
    parser.add_argument("--models", default="static", help="models for MRPC ROC-AUC, e.g. static,minilm")
    parser.add_argument("--index-million", type=int, default=1_000_000,
                        help="synthetic rows for the HNSW-only run of the index section (0: skip it)")
    parser.add_argument("--skip", default="", help="comma list of sections to skip: minhash,embedding,mrpc,index")
    parser.add_argument("--embedding-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.embedding_memory:
        embedding_memory(args.embedding_memory, args.model)
        return
    if not DATA.is_dir():
        print(f"{DATA} not found: the benchmarks read the shared real datasets")
        return
    skip = set(args.skip.split(","))
    if "minhash" not in skip:
        minhash_section(args.copies)
    if "mrpc" not in skip:
        mrpc_section([m for m in args.models.split(",") if m])
    if "embedding" not in skip:
        embedding_section(args.embedding_rows, args.model)
    if "index" not in skip:
        from bench.dedup_index import main as index_main
        index_main(["--rows", str(args.embedding_rows), "--million", str(args.index_million), "--model", args.model])


if __name__ == "__main__":
    main()
