"""Run one dedup step over a whole table: signatures batch by batch, then one resolve."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from core.progress import ProgressCallback
from core.steps import Deduplicator, DedupResult

BATCH_ROWS = 8192


def compute_signatures(table: pa.Table, step: Deduplicator, *, batch_size: int = BATCH_ROWS,
                       on_progress: ProgressCallback | None = None) -> pa.Table:
    """Every row's signature, with its global `order` for the keep policy (the engines' per-batch `dedup_signatures`)."""
    from core.engine.plan import dedup_signatures

    step.setup()
    if table.num_rows == 0:
        return dedup_signatures(step, table, 0)
    stack = SignatureStack(table.num_rows)
    for start in range(0, table.num_rows, batch_size):
        batch = table.slice(start, batch_size)
        stack.add(dedup_signatures(step, batch, start))
        if on_progress:
            on_progress(start + batch.num_rows, table.num_rows, step.title or step.name)
    return stack.table()


class SignatureStack:
    """Per-batch signature tables gathered into one table with one chunk per column.

    One chunk lets minhash / vector matrices be read without a copy. Those matrix columns are copied
    into one buffer sized for all `rows` as each batch arrives, and the batch's own copy is dropped:
    the peak is the signatures plus one batch. Concatenating and then combining would hold both
    (+512 MB at 1M x 128), and per-batch buffers freed late are not handed back to the OS in time.
    """

    def __init__(self, rows: int):
        self.rows, self.filled = rows, 0
        self.parts: list[pa.Table] = []
        self.matrices: dict[str, np.ndarray] = {}
        self.names: list[str] = []

    def add(self, part: pa.Table) -> None:
        if self.filled + part.num_rows > self.rows:
            raise ValueError(f"SignatureStack sized for {self.rows} rows got more")
        if not self.parts:
            self.names = part.column_names
            self.matrices = {f.name: np.empty((self.rows, f.type.list_size), f.type.value_type.to_pandas_dtype())
                             for f in part.schema if _stackable(part, f.name)}
        for name, values in self.matrices.items():
            if not _stackable(part, name) or part.schema.field(name).type.list_size != values.shape[1]:
                raise ValueError(f"signature column {name!r} changed type or has nulls in a later batch")
            start = self.filled
            for chunk in part.column(name).chunks:
                values[start:start + len(chunk)] = chunk.flatten().to_numpy().reshape(len(chunk), values.shape[1])
                start += len(chunk)
        self.parts.append(part.drop_columns(list(self.matrices)))
        self.filled += part.num_rows

    def table(self) -> pa.Table:
        """The stacked table (column order of the first batch); the stack is empty afterwards."""
        table = pa.concat_tables(self.parts, promote_options="permissive").combine_chunks()
        self.parts = []
        for name, values in self.matrices.items():
            values = values[:self.filled]
            table = table.append_column(name, pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)),
                                                                                values.shape[1]))
        self.matrices = {}
        first = [n for n in self.names if n in table.column_names]
        return table.select(first + [n for n in table.column_names if n not in first])


def _stackable(part: pa.Table, name: str) -> bool:
    """A fixed-size-list column of numbers without nulls: copied into one (rows, width) buffer."""
    if name not in part.column_names:
        return False
    kind = part.schema.field(name).type
    return (pa.types.is_fixed_size_list(kind)
            and (pa.types.is_integer(kind.value_type) or pa.types.is_floating(kind.value_type))
            and all(c.null_count == 0 and c.flatten().null_count == 0 for c in part.column(name).chunks))


def deduplicate(table: pa.Table, step: Deduplicator, *, batch_size: int = BATCH_ROWS,
                on_progress: ProgressCallback | None = None) -> DedupResult:
    """Clusters and ledger of `step` over `table` (or its decontamination against a reference)."""
    return step.resolve(compute_signatures(table, step, batch_size=batch_size, on_progress=on_progress))
