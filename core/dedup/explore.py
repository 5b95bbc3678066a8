"""What the Duplicates page needs beyond a resolve: cache keys, a similarity graph and histograms.

Signatures depend only on the text (field, shingles, model), never on threshold or keep policy, so
they are cached once per dataset and method; moving a threshold only re-bands MinHash values or
re-cuts the embedding neighbour graph built at the lowest threshold the page offers.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from core.dedup.base import NearDuplicateStep, fixed_size_matrix, has_text
from core.dedup.exact import equal_key_pairs
from core.dedup.minhash import digest_candidate_pairs, estimated_jaccard, optimal_bands
from core.steps import DedupResult

# Parameters that change the result but not the signatures.
_RESOLVE_ONLY = {"threshold", "keep", "score_column", "reference"}
# Lowest threshold each page slider offers: the graph is built once at this floor.
GRAPH_FLOOR = {"exact": 1.0, "minhash": 0.5, "embedding": 0.8}


def signature_key(step: NearDuplicateStep) -> str:
    """Cache key of a step's signatures: its name and the parameters signatures depend on."""
    params = {k: v for k, v in step.model_dump(mode="json").items() if k not in _RESOLVE_ONLY}
    return json.dumps({"dedup": step.name, **params}, sort_keys=True)


def similarity_graph(step: NearDuplicateStep, signatures: pa.Table, floor: float | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, similarity) of every pair found at or above `floor` (default: the page's floor)."""
    floor = GRAPH_FLOOR[step.name] if floor is None else floor
    valid = has_text(signatures)
    if step.name == "exact":
        left, right = equal_key_pairs(signatures.column("text_hash").to_numpy(zero_copy_only=False), valid)
        return left, right, np.ones(len(left))
    if step.name == "minhash":
        digests = fixed_size_matrix(signatures.column("minhash"), np.uint32)
        left, right = digest_candidate_pairs(digests, *optimal_bands(floor, step.num_perm), valid)
        similarity = estimated_jaccard(digests, left, right)
        above = similarity >= floor
        return left[above], right[above], similarity[above]
    left, right, similarity = step.neighbours(signatures, floor)
    return left, right, similarity.astype(np.float64)


def nearest_similarity(n: int, left: np.ndarray, right: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """Each row's highest similarity to any other row in the graph (NaN: no neighbour above the floor)."""
    best = np.full(n, -np.inf)
    np.maximum.at(best, left, similarity)
    np.maximum.at(best, right, similarity)
    return np.where(np.isinf(best), np.nan, best)


def resolve_from_graph(step: NearDuplicateStep, signatures: pa.Table,
                       graph: tuple[np.ndarray, np.ndarray, np.ndarray]) -> DedupResult:
    """The step's clusters from a cached graph cut at its threshold (embedding); others re-resolve."""
    if step.name != "embedding":
        return step.resolve(signatures)
    left, right, similarity = graph
    above = similarity >= step.similarity_threshold
    return step.resolve_from_pairs(signatures, left[above], right[above], similarity[above])


def with_keep_inputs(step: NearDuplicateStep, signatures: pa.Table, table: pa.Table) -> pa.Table:
    """Cached signatures with the score column the step's keep policy needs (not part of the cache key)."""
    from core.schema import with_columns
    return with_columns(signatures, {"score": step.keep_columns(table).column("score")})


def cluster_sizes(result: DedupResult) -> pa.Table:
    """cluster, size, kept_id, lowest similarity to the kept row; largest cluster first."""
    clusters = result.clusters
    if clusters.num_rows == 0:
        return pa.table({"cluster": pa.array([], pa.int64()), "size": pa.array([], pa.int64()),
                         "kept_id": pa.array([], pa.string()), "min_similarity": pa.array([], pa.float64())})
    grouped = clusters.group_by("cluster").aggregate([("id", "count"), ("kept_id", "min"), ("similarity", "min")])
    table = pa.table({"cluster": grouped.column("cluster"), "size": grouped.column("id_count"),
                      "kept_id": grouped.column("kept_id_min"), "min_similarity": grouped.column("similarity_min")})
    return table.sort_by([("size", "descending"), ("cluster", "ascending")])
