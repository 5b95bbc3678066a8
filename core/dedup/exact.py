"""Exact dedup: equal normalized text (NFKC, casefold, punctuation and whitespace collapsed)."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

from core.dedup.base import NearDuplicateStep, has_text
from core.dedup.normalize import normalize_texts
from core.steps import register


def text_hashes(normalized: list[str]) -> list[str]:
    """128-bit hex digest per normalized text (collisions are negligible at any dataset size)."""
    return [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in normalized]


def equal_key_pairs(keys: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each equal-key group, every other row of it): enough edges for its component."""
    rows = np.flatnonzero(valid)
    if len(rows) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = rows[np.argsort(keys[rows], kind="stable")]
    sorted_keys = keys[order]
    starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    first_of_group = order[np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
    member = ~starts
    return first_of_group[member], order[member]


@register
class ExactDedup(NearDuplicateStep):
    name = "exact"
    title = "Exact duplicates"
    description = "Rows whose chosen text is identical after NFKC, casefolding and collapsing punctuation and whitespace."

    def text_signatures(self, texts: list[str]) -> dict[str, pa.Array]:
        normalized = normalize_texts(texts)
        return {"text_hash": pa.array(text_hashes(normalized), pa.string()),
                "has_text": pa.array([bool(t) for t in normalized], pa.bool_())}

    def _keys(self, signatures: pa.Table) -> np.ndarray:
        return signatures.column("text_hash").to_numpy(zero_copy_only=False)

    def similar_pairs(self, signatures: pa.Table):
        left, right = equal_key_pairs(self._keys(signatures), has_text(signatures))
        return left, right, np.ones(len(left))

    def similarity_function(self, signatures: pa.Table):
        return lambda kept, members: np.ones(len(members))

    def reference_matches(self, signatures: pa.Table, reference: pa.Table):
        reference_row = {}
        for row, (key, present) in enumerate(zip(self._keys(reference), has_text(reference))):
            if present:
                reference_row.setdefault(key, row)
        rows, matches = [], []
        for row, (key, present) in enumerate(zip(self._keys(signatures), has_text(signatures))):
            if present and key in reference_row:
                rows.append(row)
                matches.append(reference_row[key])
        return np.array(rows, np.int64), np.array(matches, np.int64), np.ones(len(rows))
