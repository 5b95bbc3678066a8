"""Approximate neighbours for embedding dedup: a faiss HNSW graph over L2-normalized vectors.

Returns the same (left, right, cosine) pairs as the exact blockwise search, so clustering, keep
policy, ledger and the chaining guard are untouched. Vectors are stored as float16 inside the index
(half the memory of a second float32 copy); every candidate the graph returns is re-scored exactly
in float32 before the threshold is applied, so similarities equal the exact path's and the only
approximation is a neighbour the graph walk did not reach. faiss is imported only when used.
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

# 32 links per node (64 on the bottom layer), efConstruction 64, and a search beam of 4x the
# neighbours asked for (never under 128): on 200k static-model vectors with 20 % near duplicates this
# finds 0.998 of the neighbours >= 0.9 of rows with at most 32 of them (M 16 / beam 66: 0.990, at
# 1M rows 0.957); the beam costs search time linearly, M costs ~130 bytes a row.
HNSW_M = 32
EF_CONSTRUCTION = 64
EF_SEARCH = 128
# Candidates whose float16 score is this far below the threshold are still re-scored exactly
# (float16 storage moves a cosine by ~1e-3 at most).
SCORE_MARGIN = 0.01
SEARCH_ROWS = 16_384        # queries per search call: bounds the (rows x k) result arrays


def available_cores() -> int:
    """Cores this process may run on (the container's share, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def hnsw_pairs(vectors: np.ndarray, threshold: float, *, valid: np.ndarray | None = None,
               max_neighbours: int = 32, on_block: Callable[[int, int], None] | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, cosine) for left < right with cosine >= threshold, among each row's HNSW top neighbours."""
    import faiss

    faiss.omp_set_num_threads(available_cores())
    n, width = vectors.shape
    rows = np.arange(n) if valid is None else np.flatnonzero(valid)  # index position -> row
    empty = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    if len(rows) < 2:
        return empty
    index = faiss.IndexHNSWSQ(width, faiss.ScalarQuantizer.QT_fp16, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.train(np.ascontiguousarray(vectors[rows[:1024]], dtype=np.float32))  # fp16 needs no statistics
    total = 2 * len(rows)
    # One add call: faiss grows its code and link arrays once (added in batches, each regrowth held
    # old and new arrays at once: +0.9 GB peak at 1M rows). Without empty rows this is no copy.
    index.add(np.ascontiguousarray(vectors if len(rows) == n else vectors[rows], dtype=np.float32))
    if on_block:
        on_block(len(rows), total)
    k = min(max_neighbours + 1, len(rows))   # +1: a row finds itself
    index.hnsw.efSearch = max(EF_SEARCH, 4 * k)
    pair_keys = []   # left * n + right with left < right: one int64 per candidate, not two
    for start in range(0, len(rows), SEARCH_ROWS):
        queries = rows[start:start + SEARCH_ROWS]
        scores, found = index.search(np.ascontiguousarray(vectors[queries], dtype=np.float32), k)
        hit = (found >= 0) & (scores >= threshold - SCORE_MARGIN)
        query_position = np.broadcast_to(np.arange(start, start + len(queries))[:, None], found.shape)
        hit &= found != query_position
        query_row, found_row = rows[query_position[hit]], rows[found[hit]]
        # A pair found from either end is one pair.
        pair_keys.append(np.unique(np.minimum(query_row, found_row) * np.int64(n)
                                   + np.maximum(query_row, found_row)))
        if on_block:
            on_block(len(rows) + start + len(queries), total)
    del index
    pair_key = np.unique(np.concatenate(pair_keys))
    left, right = pair_key // n, pair_key % n
    similarity = exact_cosine(vectors, left, right)
    above = similarity >= threshold
    return left[above], right[above], similarity[above]


def exact_cosine(vectors: np.ndarray, left: np.ndarray, right: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """float32 dot product of each pair, in chunks (a gather of every pair at once could be GBs)."""
    out = np.empty(len(left), np.float32)
    for start in range(0, len(left), chunk):
        a = np.asarray(vectors[left[start:start + chunk]], dtype=np.float32)
        b = np.asarray(vectors[right[start:start + chunk]], dtype=np.float32)
        out[start:start + chunk] = np.einsum("ij,ij->i", a, b)
    return out
