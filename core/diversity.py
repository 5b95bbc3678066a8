"""Dataset diversity scores: cluster entropy, distinct-n, mean pairwise cosine distance.

All three are dataset-level numbers (one per dataset, not per row), cheap at any size: distinct-n
counts n-gram ids with numpy, and the mean pairwise distance uses the identity
sum_{i!=j} v_i.v_j = |sum_i v_i|^2 - sum_i |v_i|^2, so it is exact in O(n*d) with no n x n matrix.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DiversityScores:
    """How varied a dataset is; higher is more diverse for every score."""

    rows: int
    clusters: int
    cluster_entropy_bits: float        # Shannon entropy of the cluster-size distribution
    cluster_entropy_normalized: float  # entropy / log2(clusters): 1.0 = evenly spread, 0 = one cluster
    distinct_1: float                  # unique words / words
    distinct_2: float                  # unique word bigrams / bigrams
    mean_pairwise_distance: float      # mean cosine distance over all pairs of embedded rows

    def as_dict(self) -> dict:
        return asdict(self)


def cluster_entropy(cluster_ids: np.ndarray) -> tuple[float, float]:
    """(entropy in bits, entropy / log2(number of clusters)) of the cluster sizes; outliers (-1) count as one group."""
    _, sizes = np.unique(np.asarray(cluster_ids), return_counts=True)
    if len(sizes) <= 1:
        return 0.0, 0.0
    p = sizes / sizes.sum()
    bits = float(-(p * np.log2(p)).sum())
    return bits, bits / math.log2(len(sizes))


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens, the unit distinct-n counts."""
    return WORD.findall(text.lower())


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / all n-grams over the dataset (n-grams never cross rows); NaN when there are none.

    Note the score falls as a dataset grows, so compare datasets of similar size.
    """
    vocabulary: dict[str, int] = {}
    ids: list[int] = []
    row_of: list[int] = []
    for row, text in enumerate(texts):
        tokens = tokenize(text or "")
        ids.extend(vocabulary.setdefault(t, len(vocabulary)) for t in tokens)
        row_of.extend([row] * len(tokens))
    if len(ids) < n:
        return float("nan")
    token_ids = np.asarray(ids, dtype=np.int64)
    rows = np.asarray(row_of, dtype=np.int64)
    # An n-gram starting at i is valid when tokens i..i+n-1 belong to one row.
    starts = np.arange(len(token_ids) - n + 1)
    valid = rows[starts] == rows[starts + n - 1]
    if not valid.any():
        return float("nan")
    grams = np.stack([token_ids[starts[valid] + k] for k in range(n)], axis=1)
    unique = np.unique(grams, axis=0) if n > 1 else np.unique(grams)
    return len(unique) / int(valid.sum())


def mean_pairwise_distance(embeddings: np.ndarray) -> float:
    """Mean cosine distance (1 - cosine) over all pairs of non-zero rows of L2-normalized embeddings."""
    vectors = np.asarray(embeddings, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError("embeddings must be a 2-D array")
    vectors = vectors[np.linalg.norm(vectors, axis=1) > 0]  # empty texts have no direction
    n = len(vectors)
    if n < 2:
        return float("nan")
    total = vectors.sum(axis=0)
    pair_sum = float(total @ total) - float((vectors * vectors).sum())
    return 1.0 - pair_sum / (n * (n - 1))


def diversity_scores(texts: Sequence[str], embeddings: np.ndarray, cluster_ids: np.ndarray) -> DiversityScores:
    bits, normalized = cluster_entropy(cluster_ids)
    return DiversityScores(
        rows=len(texts), clusters=int(len(np.unique(cluster_ids))),
        cluster_entropy_bits=bits, cluster_entropy_normalized=normalized,
        distinct_1=distinct_n(texts, 1), distinct_2=distinct_n(texts, 2),
        mean_pairwise_distance=mean_pairwise_distance(embeddings))
