"""Run one dedup step over a whole table: signatures batch by batch, then one resolve."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from core.progress import ProgressCallback
from core.steps import Deduplicator, DedupResult

BATCH_ROWS = 8192


def compute_signatures(table: pa.Table, step: Deduplicator, *, batch_size: int = BATCH_ROWS,
                       on_progress: ProgressCallback | None = None) -> pa.Table:
    """Every row's signature, with its global `order` for the keep policy."""
    step.setup()
    parts = []
    for start in range(0, table.num_rows, batch_size):
        batch = table.slice(start, batch_size)
        signatures = step.signatures(batch)
        order = pa.array(np.arange(start, start + batch.num_rows, dtype=np.int64))
        if "order" in signatures.column_names:
            signatures = signatures.drop_columns(["order"])
        parts.append(signatures.append_column("order", order))
        if on_progress:
            on_progress(start + batch.num_rows, table.num_rows, step.title or step.name)
    if not parts:
        return step.signatures(table).append_column("order", pa.array([], pa.int64()))
    # One chunk per column: vector and minhash matrices are then read without a copy (1 GB at 1M x 256).
    return pa.concat_tables(parts).combine_chunks()


def deduplicate(table: pa.Table, step: Deduplicator, *, batch_size: int = BATCH_ROWS,
                on_progress: ProgressCallback | None = None) -> DedupResult:
    """Clusters and ledger of `step` over `table` (or its decontamination against a reference)."""
    return step.resolve(compute_signatures(table, step, batch_size=batch_size, on_progress=on_progress))
