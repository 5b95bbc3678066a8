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
    return concat_signatures(parts)


def concat_signatures(parts: list[pa.Table]) -> pa.Table:
    """Per-batch signature tables as one table with one chunk per column, emptying `parts` as it goes.

    One chunk lets minhash / vector matrices be read without a copy. Matrix columns are copied batch
    by batch into one buffer and each batch's copy is released at once, so the peak is the signatures
    plus one batch, not twice the signatures (`combine_chunks` would hold both: +512 MB at 1M x 128).
    """
    names = parts[0].column_names
    matrices = {name: _stack_matrix(parts, name) for name in _matrix_columns(parts)}
    table = pa.concat_tables(parts, promote_options="permissive").combine_chunks()
    parts.clear()
    for name, column in matrices.items():
        table = table.append_column(name, column)
    return table.select([n for n in names if n in table.column_names]
                        + [n for n in table.column_names if n not in names])


def _stack_matrix(parts: list[pa.Table], name: str) -> pa.Array:
    """Column `name` of every part copied into one (rows, width) buffer, dropped from each part once copied."""
    kind = parts[0].schema.field(name).type
    values = np.empty((sum(p.num_rows for p in parts), kind.list_size), kind.value_type.to_pandas_dtype())
    start = 0
    for i, part in enumerate(parts):
        for chunk in part.column(name).chunks:
            values[start:start + len(chunk)] = chunk.flatten().to_numpy().reshape(len(chunk), kind.list_size)
            start += len(chunk)
        parts[i] = part.drop_columns([name])
    return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), kind.list_size)


def _matrix_columns(parts: list[pa.Table]) -> list[str]:
    """Fixed-size-list columns of numbers, the same type in every part and never null (else concat as is)."""
    names = []
    for field in parts[0].schema:
        kind = field.type
        if not (pa.types.is_fixed_size_list(kind)
                and (pa.types.is_integer(kind.value_type) or pa.types.is_floating(kind.value_type))):
            continue
        if all(field.name in p.column_names and p.schema.field(field.name).type == kind
               and all(c.null_count == 0 and c.flatten().null_count == 0 for c in p.column(field.name).chunks)
               for p in parts):
            names.append(field.name)
    return names


def deduplicate(table: pa.Table, step: Deduplicator, *, batch_size: int = BATCH_ROWS,
                on_progress: ProgressCallback | None = None) -> DedupResult:
    """Clusters and ledger of `step` over `table` (or its decontamination against a reference)."""
    return step.resolve(compute_signatures(table, step, batch_size=batch_size, on_progress=on_progress))
