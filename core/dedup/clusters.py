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


def resolve_pairs(ids: list[str], left: np.ndarray, right: np.ndarray, rank: np.ndarray,
                  similarity_to: SimilarityTo, threshold: float, method: str) -> DedupResult:
    """Clusters and ledger from verified similar pairs: components, star cut, keep policy by rank."""
    stars = []
    for component in pair_components(left, right):
        stars.extend(star_clusters(component, rank, similarity_to, threshold))
    return result_from_stars(ids, stars, rank, method)


def result_from_stars(ids: list[str], stars: list[tuple[int, np.ndarray, np.ndarray]],
                      rank: np.ndarray, method: str) -> DedupResult:
    """Number clusters by size (largest first) and build the clusters and ledger tables."""
    stars = sorted(stars, key=lambda s: (-len(s[1]), int(rank[s[0]])))
    cluster_rows: dict[str, list] = {name: [] for name in CLUSTERS_SCHEMA.names}
    for number, (kept, members, similarity) in enumerate(stars):
        by_similarity = np.argsort(-similarity, kind="stable")
        rows = [(kept, 1.0, True)] + [(int(members[k]), float(similarity[k]), False) for k in by_similarity]
        for row, sim, is_kept in rows:
            cluster_rows["id"].append(ids[row])
            cluster_rows["cluster"].append(number)
            cluster_rows["kept_id"].append(ids[kept])
            cluster_rows["similarity"].append(min(sim, 1.0))
            cluster_rows["is_kept"].append(is_kept)
    clusters = pa.table(cluster_rows, schema=CLUSTERS_SCHEMA)
    dropped = clusters.filter(pc.invert(clusters.column("is_kept")))
    ledger = pa.table({"id": dropped.column("id"), "cluster": dropped.column("cluster"),
                       "kept_id": dropped.column("kept_id"), "similarity": dropped.column("similarity"),
                       "method": pa.array([method] * dropped.num_rows, pa.string())}, schema=LEDGER_SCHEMA)
    return DedupResult(clusters=clusters, ledger=ledger)


def empty_result() -> DedupResult:
    return DedupResult(CLUSTERS_SCHEMA.empty_table(), LEDGER_SCHEMA.empty_table())
