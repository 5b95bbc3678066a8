"""Decontamination: drop rows that are near-duplicates of any row of a reference file (an eval set).

Works with every method: the reference is signed with the same step, then each dataset row is
matched against it. The ledger's `kept_id` is `reference:<reference row id>` and `cluster` is the
reference row's position, so a reader sees which eval item a row leaked from.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from core.dedup.clusters import CLUSTERS_SCHEMA, LEDGER_SCHEMA
from core.steps import DedupResult

REFERENCE_PREFIX = "reference:"


def load_reference_table(path: str) -> pa.Table:
    """The reference file as a canonical table, through the same loaders as any dataset."""
    from core.load import load_dataset
    return load_dataset(path).dataset.table


def decontaminate(step, signatures: pa.Table, reference_table: pa.Table | None = None) -> DedupResult:
    """Rows of `signatures` matching any row of the step's reference file (or `reference_table`)."""
    from core.dedup.runner import compute_signatures

    if reference_table is None:
        reference_table = load_reference_table(step.reference)
    reference = compute_signatures(reference_table, step)
    rows, matches, similarity = step.reference_matches(signatures, reference)
    rows, matches, similarity = _best_per_row(rows, matches, similarity)
    ids = signatures.column("id").to_pylist()
    reference_ids = reference.column("id").to_pylist()
    kept_ids = [f"{REFERENCE_PREFIX}{reference_ids[m]}" for m in matches.tolist()]
    columns = {"id": [ids[r] for r in rows.tolist()], "cluster": matches.astype(np.int64),
               "kept_id": kept_ids, "similarity": np.minimum(similarity.astype(np.float64), 1.0)}
    ledger = pa.table({**columns, "method": [step.method] * len(rows)}, schema=LEDGER_SCHEMA)
    clusters = pa.table({**columns, "is_kept": np.zeros(len(rows), bool)}, schema=CLUSTERS_SCHEMA)
    return DedupResult(clusters=clusters, ledger=ledger)


def _best_per_row(rows: np.ndarray, matches: np.ndarray, similarity: np.ndarray):
    """One match per dataset row (its most similar reference row), in dataset order."""
    order = np.lexsort((-similarity, rows))
    rows, matches, similarity = rows[order], matches[order], similarity[order]
    first = np.concatenate([[True], rows[1:] != rows[:-1]]) if len(rows) else np.zeros(0, bool)
    return rows[first], matches[first], similarity[first]
