"""Run metric steps over a table in batches: the one place metrics are computed (page, CLI, engines)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from core.progress import ProgressCallback
from core.steps import Metric


def score_table(table: pa.Table, metrics: Sequence[Metric], *, batch_size: int = 4096,
                on_progress: ProgressCallback | None = None) -> dict[str, pa.Array]:
    """Every column of every metric for every row of `table`, computed once, batch by batch."""
    columns: dict[str, list[Any]] = {}
    total = table.num_rows * max(len(metrics), 1)
    done = 0
    for metric in metrics:
        metric.setup()
        names = [c.name for c in metric.columns()]
        parts: dict[str, list] = {n: [] for n in names}
        for start in range(0, table.num_rows, batch_size):
            batch = table.slice(start, batch_size)
            result = metric.compute(batch)
            missing = set(names) - set(result)
            if missing:
                raise RuntimeError(f"metric {metric.name} did not return {sorted(missing)}")
            for n in names:
                values = result[n]
                if len(values) != batch.num_rows:
                    raise RuntimeError(f"metric {metric.name} returned {len(values)} values for "
                                       f"{batch.num_rows} rows in column {n}")
                parts[n].append(values)
            done += batch.num_rows
            if on_progress:
                on_progress(done, total, f"{metric.title or metric.name}")
        for n in names:
            columns[n] = _concat(parts[n])
    return columns


def _concat(parts: list) -> pa.Array:
    arrays = [p if isinstance(p, (pa.Array, pa.ChunkedArray)) else pa.array(np.asarray(p) if _is_numeric(p) else p)
              for p in parts]
    if not arrays:
        return pa.array([])
    chunked = pa.chunked_array(arrays) if len(arrays) > 1 else arrays[0]
    return chunked.combine_chunks() if isinstance(chunked, pa.ChunkedArray) else chunked


def _is_numeric(values) -> bool:
    return isinstance(values, np.ndarray) and values.dtype.kind in "biuf"
