"""Embedding dedup: cosine similarity of L2-normalized sentence embeddings.

Neighbours come from blockwise matrix products (each block bounded in bytes, so memory grows
with n, never n x n; exact, the reference) or, from AUTO_HNSW_ROWS rows on, from an approximate
HNSW index (ann.py; pairs of the same form, O(n log n)); at most `max_neighbours` per row are
kept. Clusters are stars around kept rows (see clusters.py), so chains of paraphrases never merge
rows far from their kept row.
"""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.dedup.base import NearDuplicateStep, fixed_size_matrix, has_text, matrix_column
from core.schema import with_columns
from core.dedup.normalize import dedup_texts
from core.steps import register

BLOCK_BYTES = 64 * 2 ** 20
MAX_NEIGHBOURS = 32
# From this many rows with text, index="auto" uses HNSW: exact search costs O(n^2) (1-2 min CPU
# at 100k rows, hours at 1M), HNSW about O(n log n); below it exact is as fast and has no approximation.
AUTO_HNSW_ROWS = 50_000
NeighbourIndex = Literal["auto", "exact", "hnsw"]


def embed_texts(texts: list[str], model: str) -> np.ndarray:
    """L2-normalized float32 embeddings from the shared provider (imported lazily: it loads models)."""
    from core.embeddings import embed
    return np.asarray(embed(texts, model=model), dtype=np.float32)


def neighbour_pairs(vectors: np.ndarray, threshold: float, *, valid: np.ndarray | None = None,
                    max_neighbours: int = MAX_NEIGHBOURS, block_bytes: int = BLOCK_BYTES,
                    on_block: Callable[[int, int], None] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, cosine) for left < right with cosine >= threshold, top `max_neighbours` per row."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(vectors)
    if valid is not None and not valid.all():
        # A row without text gets a zero vector: similarity 0, below any threshold, no masking needed.
        vectors = np.where(valid[:, None], vectors, np.float32(0))
    block = max(1, block_bytes // (4 * max(n, 1)))
    lefts, rights, sims = [], [], []
    for start in range(0, n, block):
        stop = min(start + block, n)
        similarity = vectors[start:stop] @ vectors[start:].T      # (block, n - start): later rows only
        # Inside the diagonal square, keep only pairs to strictly later rows.
        similarity[:, :stop - start][np.tril_indices(stop - start)] = -np.inf
        left, right, value = _top_pairs(similarity, threshold, max_neighbours)
        lefts.append(left + start)
        rights.append(right + start)
        sims.append(value)
        if on_block:
            on_block(stop, n)
    if not lefts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(sims)


def find_neighbours(vectors: np.ndarray, threshold: float, *, index: NeighbourIndex = "auto",
                    valid: np.ndarray | None = None, max_neighbours: int = MAX_NEIGHBOURS,
                    on_block: Callable[[int, int], None] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, right, cosine) pairs at or above `threshold`, by exact search or HNSW (see chosen_index)."""
    if chosen_index(index, len(vectors) if valid is None else int(np.count_nonzero(valid))) == "hnsw":
        from core.dedup.ann import hnsw_pairs
        return hnsw_pairs(vectors, threshold, valid=valid, max_neighbours=max_neighbours, on_block=on_block)
    return neighbour_pairs(vectors, threshold, valid=valid, max_neighbours=max_neighbours, on_block=on_block)


def chosen_index(index: NeighbourIndex, rows_with_text: int) -> str:
    """'exact' or 'hnsw': what `index` means for this many rows."""
    if index == "auto":
        return "hnsw" if rows_with_text >= AUTO_HNSW_ROWS else "exact"
    return index


def _top_pairs(similarity: np.ndarray, threshold: float, k: int):
    """Entries >= threshold of a block, at most k per row (the most similar)."""
    rows, columns = np.nonzero(similarity >= threshold)
    if len(rows) and np.bincount(rows).max() > k:  # rare: a row with many near-identical neighbours
        crowded = np.flatnonzero(np.bincount(rows) > k)
        top = np.argpartition(-similarity[crowded], k - 1, axis=1)[:, :k]
        is_crowded = np.isin(rows, crowded)
        rows = np.concatenate([rows[~is_crowded], np.repeat(crowded, k)])
        columns = np.concatenate([columns[~is_crowded], top.reshape(-1)])
        kept = similarity[rows, columns] >= threshold
        rows, columns = rows[kept], columns[kept]
    return rows.astype(np.int64), columns.astype(np.int64), similarity[rows, columns]


def best_reference_match(vectors: np.ndarray, reference: np.ndarray, threshold: float, *,
                         valid: np.ndarray, reference_valid: np.ndarray, block_bytes: int = BLOCK_BYTES):
    """(row, reference row, cosine) for every row whose nearest valid reference row is >= threshold."""
    reference = np.where(reference_valid[:, None], reference, 0).astype(np.float32)
    block = max(1, block_bytes // (4 * max(len(reference), 1)))
    rows, matches, sims = [], [], []
    for start in range(0, len(vectors), block):
        similarity = vectors[start:start + block] @ reference.T
        best = similarity.argmax(axis=1) if len(reference) else np.zeros(len(similarity), np.int64)
        value = similarity[np.arange(len(similarity)), best] if len(reference) else np.full(len(similarity), -1.0)
        hit = (value >= threshold) & valid[start:start + block]
        rows.append(np.flatnonzero(hit) + start)
        matches.append(best[hit])
        sims.append(value[hit])
    return np.concatenate(rows), np.concatenate(matches), np.concatenate(sims)


@register
class EmbeddingDedup(NearDuplicateStep):
    name = "embedding"
    title = "Semantic near-duplicates (embeddings)"
    description = "Rows whose sentence embeddings have cosine similarity at or above the threshold."
    uses_model = True

    threshold: float = Field(0.9, ge=0.5, le=1.0, description="Cosine similarity from which rows are duplicates")
    model: str = Field("static", description="Embedding model: 'static' (fast, distilled), 'minilm', "
                       "or a local model folder")
    index: NeighbourIndex = Field("auto", description="Neighbour search: 'exact' (all pairs, O(n^2)), 'hnsw' "
                                  f"(approximate graph, O(n log n)) or 'auto' (hnsw from {AUTO_HNSW_ROWS:,} rows)")

    def text_signatures(self, texts: list[str]) -> dict[str, pa.Array]:
        vectors = embed_texts(texts, self.model)
        return self.vector_signatures(vectors, texts)

    @staticmethod
    def vector_signatures(vectors: np.ndarray, texts: list[str]) -> dict[str, pa.Array]:
        """Signature columns from embeddings computed elsewhere (the page shares them with Topics)."""
        return {"vector": matrix_column(np.asarray(vectors, dtype=np.float32)),
                "has_text": pa.array([bool(t.strip()) for t in texts], pa.bool_())}

    def signatures_from_vectors(self, table: pa.Table, vectors: np.ndarray) -> pa.Table:
        """Signatures of a whole table from embeddings computed elsewhere (the page shares them with Topics)."""
        signatures = self.keep_columns(table)
        columns = self.vector_signatures(vectors, dedup_texts(table, self.fields))
        return with_columns(signatures, {"order": pa.array(np.arange(table.num_rows, dtype=np.int64)), **columns})

    def similar_pairs(self, signatures: pa.Table):
        return self.neighbours(signatures, self.threshold)

    def neighbours(self, signatures: pa.Table, threshold: float):
        """(left, right, cosine) at or above `threshold` with this step's index (the page passes its floor)."""
        return find_neighbours(fixed_size_matrix(signatures.column("vector"), np.float32), threshold,
                               index=self.index, valid=has_text(signatures))

    def similarity_function(self, signatures: pa.Table):
        vectors = fixed_size_matrix(signatures.column("vector"), np.float32)
        return lambda kept, members: vectors[members] @ vectors[kept]

    def reference_matches(self, signatures: pa.Table, reference: pa.Table):
        return best_reference_match(fixed_size_matrix(signatures.column("vector"), np.float32),
                                    fixed_size_matrix(reference.column("vector"), np.float32),
                                    self.threshold, valid=has_text(signatures),
                                    reference_valid=has_text(reference))
