"""The drop ledger: one row per dropped input row, saying which step dropped it and why.

Every engine (local, Ray) and the page write the same schema, so `by_reason` counts, the funnel
and the "why did this row go?" search read the same table wherever the recipe ran.
Invariant: kept ids + ledger ids = input ids, exactly (`assert_accounted`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from core.steps import DedupResult

LEDGER_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("step", pa.string()),         # the step label (see core.engine.plan.step_labels)
    ("reason", pa.string()),       # e.g. "response_toxicity>0.2", "minhash: duplicate", "unreadable: …"
    ("value", pa.string()),        # the value the decision was made on, as text
    ("threshold", pa.string()),    # e.g. "<= 0.2"
    ("cluster", pa.int64()),       # dedup only
    ("kept_id", pa.string()),      # dedup only: the surviving twin
    ("similarity", pa.float64()),  # dedup only
])
UNREADABLE_STEP = "load"


def empty_ledger() -> pa.Table:
    return LEDGER_SCHEMA.empty_table()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def value_texts(values: Any, rows: np.ndarray) -> pa.Array:
    """The ledger's text form of values[rows]; vectorized for numeric arrays (the common case)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        picked = values[rows]
        text = pa.compute.cast(pa.array(np.round(picked, 6)), pa.string())
        return pa.compute.if_else(pa.array(np.isnan(picked)), pa.scalar(None, pa.string()), text)
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return pa.compute.cast(values.take(pa.array(rows)), pa.string()).combine_chunks() \
            if isinstance(values, pa.ChunkedArray) else pa.compute.cast(values.take(pa.array(rows)), pa.string())
    if isinstance(values, np.ndarray) and values.dtype.kind in "iub":
        return pa.compute.cast(pa.array(values[rows]), pa.string())
    return pa.array([_text(values[i]) for i in rows], pa.string())


def _table(ids: Sequence[str], step: str, reasons: Sequence[str | None], values: Sequence[Any],
           threshold: str | None, cluster=None, kept_id=None, similarity=None) -> pa.Table:
    n = len(ids)
    return pa.table({
        "id": pa.array(list(ids), pa.string()),
        "step": pa.array([step] * n, pa.string()),
        "reason": pa.array(list(reasons), pa.string()),
        "value": pa.array([_text(v) for v in values], pa.string()),
        "threshold": pa.array([threshold] * n, pa.string()),
        "cluster": pa.array(cluster if cluster is not None else [None] * n, pa.int64()),
        "kept_id": pa.array(kept_id if kept_id is not None else [None] * n, pa.string()),
        "similarity": pa.array(similarity if similarity is not None else [None] * n, pa.float64()),
    }, schema=LEDGER_SCHEMA)


def from_rows(ids: pa.Array, steps: pa.Array, reasons: pa.Array, values: pa.Array, thresholds: pa.Array) -> pa.Table:
    """Ledger rows for drops by several filters at once (Arrow string arrays, one entry per row)."""
    n = len(ids)
    if n == 0:
        return empty_ledger()
    return pa.table({
        "id": ids, "step": steps, "reason": reasons, "value": values,
        "threshold": thresholds, "cluster": pa.nulls(n, pa.int64()),
        "kept_id": pa.nulls(n, pa.string()), "similarity": pa.nulls(n, pa.float64()),
    }, schema=LEDGER_SCHEMA)


def from_dedup(result: DedupResult, step: str, threshold: str | None = None) -> pa.Table:
    """Ledger rows for every duplicate a dedup step dropped."""
    led = result.ledger
    if led.num_rows == 0:
        return empty_ledger()
    ids = led.column("id").to_pylist()
    kept = led.column("kept_id").to_pylist()
    sims = led.column("similarity").to_pylist() if "similarity" in led.column_names else [None] * len(ids)
    clusters = led.column("cluster").to_pylist() if "cluster" in led.column_names else [None] * len(ids)
    # One reason per step (not per kept twin) so by_reason stays a short list; the twin is kept_id.
    reasons = [f"{step}: duplicate"] * len(ids)
    return _table(ids, step, reasons, sims, threshold, cluster=clusters, kept_id=kept, similarity=sims)


def from_unreadable(ids: Sequence[str], messages: Sequence[str]) -> pa.Table:
    """Ledger rows for input records the loader could not read.

    The reason keeps the loader's message up to its first colon ("unreadable: invalid JSON") so
    the breakdown groups alike failures; the full message (with its column) is the value.
    """
    reasons = [f"unreadable: {m.split(':', 1)[0].strip()}" for m in messages]
    return _table(ids, UNREADABLE_STEP, reasons, list(messages), None)


def concat(parts: Iterable[pa.Table]) -> pa.Table:
    parts = [p for p in parts if p.num_rows]
    return pa.concat_tables(parts) if parts else empty_ledger()


def by_reason(ledger: pa.Table | Iterable[pa.Table]) -> dict[str, int]:
    """Dropped rows per reason, most frequent first."""
    tables = [ledger] if isinstance(ledger, pa.Table) else list(ledger)
    counts: Counter[str] = Counter()
    for t in tables:
        counts.update(_value_counts(t.column("reason")))
    return dict(counts.most_common())


def by_step(ledger: pa.Table) -> dict[str, int]:
    return _value_counts(ledger.column("step"))


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    if len(column) == 0:
        return {}
    counts = pa.compute.value_counts(column)
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))


class LedgerMismatch(AssertionError):
    """Kept + dropped != input: a row vanished or was counted twice. Always a bug."""


def assert_accounted(input_ids: Iterable[str], kept_ids: Iterable[str], ledger: pa.Table) -> None:
    """Kept + dropped = input, as multisets of ids: nothing lost, nothing counted twice."""
    expected = Counter(input_ids)
    got = Counter(kept_ids)
    got.update(ledger.column("id").to_pylist())
    if expected != got:
        lost = sorted((expected - got).elements())[:10]
        extra = sorted((got - expected).elements())[:10]
        raise LedgerMismatch(f"kept + dropped != input: missing {lost}, extra {extra}")
