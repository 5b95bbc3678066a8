"""From similar pairs to clusters, kept rows and the ledger, with a guard against chaining.

Union-find joins every verified pair into connected components. Components can chain
(A~B, B~C, but A and C far apart), so each component is cut into stars: the best-ranked row is
kept, every row within `threshold` of it joins its cluster, and the rest are clustered again the
same way. Every member of a final cluster is therefore within threshold of its kept row.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.dedup.unionfind import UnionFind
from core.steps import DedupResult

# similarity_to(kept_row, member_rows) -> similarity of each member to the kept row
SimilarityTo = Callable[[int, np.ndarray], np.ndarray]
Ids = list[str] | pa.Array | pa.ChunkedArray  # row ids; an Arrow column avoids a Python str per row

CLUSTERS_SCHEMA = pa.schema([("id", pa.string()), ("cluster", pa.int64()), ("kept_id", pa.string()),
                             ("similarity", pa.float64()), ("is_kept", pa.bool_())])
LEDGER_SCHEMA = pa.schema([("id", pa.string()), ("cluster", pa.int64()), ("kept_id", pa.string()),
                           ("similarity", pa.float64()), ("method", pa.string())])
_TOLERANCE = 1e-9


def pair_components(left: np.ndarray, right: np.ndarray) -> list[np.ndarray]:
    """Row indices of each connected component (size >= 2) of the pair graph."""
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    if len(left) == 0:
        return []
    touched = np.unique(np.concatenate([left, right]))
    sets = UnionFind(len(touched))
    sets.union_pairs(np.searchsorted(touched, left), np.searchsorted(touched, right))
    labels = sets.labels()
    order = np.argsort(labels, kind="stable")
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    return [touched[group] for group in np.split(order, boundaries)]


def star_clusters(members: np.ndarray, rank: np.ndarray, similarity_to: SimilarityTo,
                  threshold: float) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Cut one component into (kept row, member rows, similarities) stars around the best-ranked rows."""
    remaining = members[np.argsort(rank[members], kind="stable")]
    stars = []
    while len(remaining) > 1:
        kept, others = int(remaining[0]), remaining[1:]
        similarity = np.asarray(similarity_to(kept, others), dtype=np.float64)
        inside = similarity >= threshold - _TOLERANCE
        if inside.any():
            stars.append((kept, others[inside], similarity[inside]))
        remaining = others[~inside]
    return stars


def resolve_pairs(ids: Ids, left: np.ndarray, right: np.ndarray, rank: np.ndarray,
                  similarity_to: SimilarityTo, threshold: float, method: str,
                  pair_similarity: np.ndarray | None = None) -> DedupResult:
    """Clusters and ledger from verified similar pairs: components, star cut, keep policy by rank.

    With `pair_similarity`, a pair touching no other pair is a finished two-row cluster (its pair
    similarity is the member's similarity to the kept row), which skips most per-cluster work.
    """
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    kept, members, similarity = [], [], []
    if pair_similarity is not None and len(left):
        degree = np.bincount(np.concatenate([left, right]))
        isolated = (degree[left] == 1) & (degree[right] == 1)
        a, b = left[isolated], right[isolated]
        a_wins = rank[a] <= rank[b]
        kept.append(np.where(a_wins, a, b))
        members.append(np.where(a_wins, b, a))
        similarity.append(np.asarray(pair_similarity, np.float64)[isolated])
        left, right = left[~isolated], right[~isolated]
    for component in pair_components(left, right):
        for star_kept, star_members, star_similarity in star_clusters(component, rank, similarity_to, threshold):
            kept.append(np.full(len(star_members), star_kept))
            members.append(star_members)
            similarity.append(star_similarity)
    if not kept:
        return empty_result()
    return result_from_stars(ids, np.concatenate(kept), np.concatenate(members), np.concatenate(similarity),
                             rank, method)


def result_from_stars(ids: Ids, member_kept: np.ndarray, members: np.ndarray, similarity: np.ndarray,
                      rank: np.ndarray, method: str) -> DedupResult:
    """Clusters numbered by size (largest first, then by kept row's rank); kept row first in each."""
    kept_rows, member_count = np.unique(member_kept, return_counts=True)
    cluster_order = np.lexsort((rank[kept_rows], -member_count))
    cluster_of_kept = np.empty(len(kept_rows), np.int64)
    cluster_of_kept[cluster_order] = np.arange(len(kept_rows))
    member_cluster = cluster_of_kept[np.searchsorted(kept_rows, member_kept)]
    rows = np.concatenate([kept_rows, members])
    cluster = np.concatenate([cluster_of_kept, member_cluster])
    sim = np.minimum(np.concatenate([np.ones(len(kept_rows)), similarity]), 1.0)
    is_kept = np.concatenate([np.ones(len(kept_rows), bool), np.zeros(len(members), bool)])
    kept_of_row = np.concatenate([kept_rows, member_kept])
    order = np.lexsort((rank[rows], -sim, ~is_kept, cluster))
    # Arrow `take`, not a Python list of every id: only the clustered rows' ids are ever materialized.
    id_array = ids if isinstance(ids, (pa.Array, pa.ChunkedArray)) else pa.array(ids, pa.string())
    clusters = pa.table({"id": _strings(id_array.take(rows[order])), "cluster": cluster[order],
                         "kept_id": _strings(id_array.take(kept_of_row[order])),
                         "similarity": sim[order], "is_kept": is_kept[order]}, schema=CLUSTERS_SCHEMA)
    dropped = clusters.filter(pc.invert(clusters.column("is_kept")))
    ledger = pa.table({"id": dropped.column("id"), "cluster": dropped.column("cluster"),
                       "kept_id": dropped.column("kept_id"), "similarity": dropped.column("similarity"),
                       "method": pa.array([method] * dropped.num_rows, pa.string())}, schema=LEDGER_SCHEMA)
    return DedupResult(clusters=clusters, ledger=ledger)


def _strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return values if values.type == pa.string() else values.cast(pa.string())


def empty_result() -> DedupResult:
    return DedupResult(CLUSTERS_SCHEMA.empty_table(), LEDGER_SCHEMA.empty_table())
