"""What the three dedup methods share: text field choice, keep columns, resolve and decontamination.

A method supplies `text_signatures` (its per-row state), `similar_pairs` (verified pairs at its
threshold), `similarity_function` (member vs. kept row) and `reference_matches` (rows matching a
reference file). Everything else — clustering, keep policy, ledger — is here, written once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from core.dedup.clusters import SimilarityTo, resolve_pairs
from core.dedup.keep import keep_rank
from core.dedup.normalize import DedupField, dedup_texts
from core.errors import SieveInputError
from core.schema import role_texts, with_columns
from core.steps import Deduplicator, DedupResult


class NearDuplicateStep(Deduplicator):
    """Base of exact / minhash / embedding dedup (not registered itself)."""

    fields: DedupField = Field("instruction", description="Text compared: first user turn (instruction), "
                               "all user turns (prompt) or every turn with its role (conversation)")
    reference: str | None = Field(None, description="Decontaminate instead of dedup: drop rows that are "
                                  "near-duplicates of any row of this file (an evaluation set)")

    @model_validator(mode="after")
    def _score_column_for_best_score(self):
        if self.keep == "best_score" and not self.score_column:
            raise ValueError("keep='best_score' needs score_column (the metric column to maximize)")
        return self

    @property
    def similarity_threshold(self) -> float:
        return float(getattr(self, "threshold", 1.0))

    @property
    def method(self) -> str:
        return self.name if not self.reference else f"{self.name}:reference"

    # ------------------------------------------------------------ per batch

    def signatures(self, table: pa.Table) -> pa.Table:
        """id, length (response chars), score, has_text, plus the method's own columns."""
        return with_columns(self.keep_columns(table), self.text_signatures(dedup_texts(table, self.fields)))

    def keep_columns(self, table: pa.Table) -> pa.Table:
        """id, length, score: what the keep policies read (the runner adds the global `order`)."""
        return pa.table({"id": table.column("id"),
                         "length": pa.array([len(t) for t in role_texts(table, "response")], pa.int64()),
                         "score": self._scores(table)})

    def _scores(self, table: pa.Table) -> pa.Array:
        if self.keep != "best_score":
            return pa.array(np.full(table.num_rows, np.nan))
        if self.score_column not in table.column_names:
            raise SieveInputError(f"keep='best_score' needs the column '{self.score_column}', which is not "
                                  "in the dataset; compute that metric first", field=self.score_column)
        values = table.column(self.score_column).to_numpy(zero_copy_only=False)
        return pa.array(np.asarray(values, dtype=np.float64))

    def text_signatures(self, texts: list[str]) -> dict[str, pa.Array]:
        """Method-specific per-row columns; must include `has_text` (rows without text never match)."""
        raise NotImplementedError

    # ------------------------------------------------------------ whole dataset

    def similar_pairs(self, signatures: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(left, right, similarity) of every pair of rows at or above the threshold."""
        raise NotImplementedError

    def similarity_function(self, signatures: pa.Table) -> SimilarityTo:
        raise NotImplementedError

    def reference_matches(self, signatures: pa.Table, reference: pa.Table
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, reference row, similarity): the best reference match of every contaminated row."""
        raise NotImplementedError

    def resolve(self, signatures: pa.Table) -> DedupResult:
        if self.reference:
            from core.dedup.decontaminate import decontaminate
            return decontaminate(self, signatures)
        return self.resolve_from_pairs(signatures, *self.similar_pairs(signatures))

    def resolve_from_pairs(self, signatures: pa.Table, left: np.ndarray, right: np.ndarray,
                           similarity: np.ndarray | None = None) -> DedupResult:
        """Clusters from already-found pairs (the page re-cuts a cached neighbour graph this way)."""
        return resolve_pairs(signatures.column("id"), left, right,
                             keep_rank(signatures, self.keep), self.similarity_function(signatures),
                             self.similarity_threshold, self.method, pair_similarity=similarity)


def has_text(signatures: pa.Table) -> np.ndarray:
    return signatures.column("has_text").to_numpy(zero_copy_only=False).astype(bool)


def fixed_size_matrix(column: pa.ChunkedArray | pa.Array, dtype) -> np.ndarray:
    """A fixed-size-list column (minhash values, vectors) as an (n, width) matrix (no copy from one chunk)."""
    if isinstance(column, pa.ChunkedArray):
        # combine_chunks copies even a single chunk: 1 GB for 1M x 256 float32 vectors.
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    array = column
    width = array.type.list_size
    values = array.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=dtype).reshape(len(array), width)


def matrix_column(matrix: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.reshape(-1)), matrix.shape[1])
