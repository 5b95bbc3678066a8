"""Dataset diversity scores: cluster entropy, distinct-n, mean pairwise cosine distance.

All three are dataset-level numbers (one per dataset, not per row), cheap at any size: distinct-n
counts n-gram ids with numpy, and the mean pairwise distance uses the identity
sum_{i!=j} v_i.v_j = |sum_i v_i|^2 - sum_i |v_i|^2, so it is exact in O(n*d) with no n x n matrix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


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


# A word: a run of letters, combining marks, digits or underscores (RE2 syntax, for Arrow).
NON_WORD = r"[^\p{L}\p{M}\p{N}_]+"


def word_ids(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(vocabulary id of every lower-cased word, row of every word), in order, vectorized in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.split_pattern_regex(pc.utf8_lower(pa.array([t or "" for t in texts], pa.large_string())), NON_WORD)
    rows = pc.list_parent_indices(words).to_numpy()
    flat = pc.list_flatten(words)
    is_word = pc.not_equal(flat, "")  # splitting leaves "" at a leading/trailing separator
    flat, rows = flat.filter(is_word), rows[is_word.to_numpy(zero_copy_only=False)]
    encoded = pc.dictionary_encode(flat)
    return encoded.indices.to_numpy().astype(np.int64), rows.astype(np.int64)


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Unique n-grams / all n-grams over the dataset (n-grams never cross rows); NaN when there are none.

    Note the score falls as a dataset grows, so compare datasets of similar size.
    """
    return _distinct(*word_ids(texts), n)


def _distinct(ids: np.ndarray, rows: np.ndarray, n: int) -> float:
    if len(ids) < n:
        return float("nan")
    # An n-gram starting at i is valid when words i..i+n-1 belong to one row.
    starts = np.flatnonzero(rows[: len(ids) - n + 1] == rows[n - 1:])
    if len(starts) == 0:
        return float("nan")
    vocabulary = int(ids.max()) + 1
    if vocabulary ** n < 2 ** 63:  # one int64 code per n-gram: a 1-D unique is far faster than rows
        codes = np.zeros(len(starts), dtype=np.int64)
        for k in range(n):
            codes = codes * vocabulary + ids[starts + k]
        return len(np.unique(codes)) / len(starts)
    grams = np.stack([ids[starts + k] for k in range(n)], axis=1)
    return len(np.unique(grams, axis=0)) / len(starts)


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
    ids, rows = word_ids(texts)
    return DiversityScores(
        rows=len(texts), clusters=int(len(np.unique(cluster_ids))),
        cluster_entropy_bits=bits, cluster_entropy_normalized=normalized,
        distinct_1=_distinct(ids, rows, 1), distinct_2=_distinct(ids, rows, 2),
        mean_pairwise_distance=mean_pairwise_distance(embeddings))
