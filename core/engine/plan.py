"""The engine-independent part of running a recipe: stages, step labels and the per-batch logic.

Both engines (local streaming, Ray Data) and the Clean & Export page call these pure functions,
so the same recipe gives the same kept rows and the same ledger wherever it runs:

- `plan_stages(steps)`: row stages (metrics, filters, transforms; batch by batch) separated by
  global dedup stages (signatures per batch, one `resolve`, then drops applied per batch).
- `run_row_steps(table, steps, labels)`: one batch through a row stage -> kept rows, ledger, dropped rows.
- `dedup_signatures` / `apply_dedup`: the two per-batch halves around a dedup `resolve`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core import ledger as ledger_mod
from core.schema import CANONICAL_COLUMNS, flat_messages, with_columns
from core.scoring import score_table
from core.steps import Deduplicator, Filter, KeepResult, Metric, Step, Transform


def step_label(step: Step) -> str:
    """A short name for the ledger and the funnel: the step name, plus its column where it has one."""
    column = getattr(step, "column", None)
    if isinstance(step, Filter) and step.name in ("threshold", "category") and column:
        return f"{column}"
    return f"{step.name}:{column}" if isinstance(column, str) and column else step.name


def step_labels(steps: Sequence[Step]) -> list[str]:
    """Unique labels in recipe order (a repeated label gets '#2', '#3')."""
    seen: Counter[str] = Counter()
    labels = []
    for step in steps:
        base = step_label(step)
        seen[base] += 1
        labels.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return labels


@dataclass
class Stage:
    """A run of row steps, or one global dedup step."""

    kind: str                       # "rows" | "dedup"
    steps: list[Step] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def plan_stages(steps: Sequence[Step]) -> list[Stage]:
    labels = step_labels(steps)
    stages: list[Stage] = []
    for step, label in zip(steps, labels):
        if isinstance(step, Deduplicator):
            stages.append(Stage("dedup", [step], [label]))
        else:
            if not stages or stages[-1].kind != "rows":
                stages.append(Stage("rows"))
            stages[-1].steps.append(step)
            stages[-1].labels.append(label)
    return stages


def dropping_labels(steps: Sequence[Step]) -> list[str]:
    """Labels of the steps that can drop rows (the funnel's bars), in order."""
    return [label for step, label in zip(steps, step_labels(steps)) if isinstance(step, (Filter, Deduplicator))]


class RowResult(NamedTuple):
    kept: pa.Table      # surviving rows, with any metric columns added
    ledger: pa.Table    # one row per dropped row (LEDGER_SCHEMA)
    dropped: pa.Table   # the dropped rows themselves (canonical columns), in ledger order


def evaluate_filters(table: pa.Table, filters: Sequence[Filter], labels: Sequence[str],
                     already_dropped: np.ndarray | None = None,
                     verdict_of: Callable[[Filter, pa.Table], KeepResult] | None = None) -> tuple[np.ndarray, pa.Table]:
    """(keep mask, ledger) of a run of filters over one table, without filtering the table in between.

    Every filter sees every row (filters are row-local, so the verdicts are those of running them one
    after the other); a dropped row is charged to the first filter that drops it, and rows in
    `already_dropped` are charged to none. The ledger is in row order. One pass, one final
    filter of the table: nested message columns are costly to filter, so doing it once matters.
    `verdict_of` (default `step.keep(table)`) lets the page reuse the verdicts of unchanged filters.
    """
    n = table.num_rows
    first = np.full(n, -1, dtype=np.int64)
    if already_dropped is not None:
        first[already_dropped] = len(filters)  # a sentinel: dropped before these filters
    verdicts = []
    for k, (step, label) in enumerate(zip(filters, labels)):
        verdict = verdict_of(step, table) if verdict_of else step.keep(table)
        keep = np.asarray(verdict.keep, dtype=bool)
        if keep.shape != (n,):
            raise RuntimeError(f"filter {label} returned {keep.shape} verdicts for {n} rows")
        first[(~keep) & (first < 0)] = k
        verdicts.append(verdict)
    dropped = np.flatnonzero((first >= 0) & (first < len(filters)))
    keep_mask = first < 0
    if dropped.size == 0:
        return keep_mask, ledger_mod.empty_ledger()
    charged = first[dropped]
    reasons = np.empty(dropped.size, dtype=object)
    values = np.empty(dropped.size, dtype=object)
    for k, (verdict, label) in enumerate(zip(verdicts, labels)):
        at = np.flatnonzero(charged == k)
        if at.size == 0:
            continue
        rows = dropped[at]
        given = np.asarray(verdict.reasons, dtype=object)[rows]
        reasons[at] = np.where(np.equal(given, None), label, given)
        values[at] = ledger_mod.value_texts(verdict.values, rows).to_numpy(zero_copy_only=False)
    ledger = ledger_mod.from_rows(
        table.column("id").take(pa.array(dropped)).combine_chunks(),
        pa.array(np.asarray(labels, dtype=object)[charged], pa.string()),
        pa.array(reasons, pa.string()), pa.array(values, pa.string()),
        pa.array(np.asarray([v.threshold for v in verdicts], dtype=object)[charged], pa.string()))
    return keep_mask, ledger


def run_row_steps(table: pa.Table, steps: Sequence[Step], labels: Sequence[str] | None = None) -> RowResult:
    """Run metrics, filters and transforms over one batch, in order; pure (no I/O, no globals)."""
    labels = list(labels) if labels is not None else step_labels(steps)
    ledgers, dropped = [], []
    pending: list[tuple[Filter, str]] = []

    def flush() -> pa.Table:
        keep, ledger = evaluate_filters(table, [f for f, _ in pending], [l for _, l in pending])
        pending.clear()
        if ledger.num_rows == 0:
            return table
        ledgers.append(ledger)
        dropped.append(table.filter(pa.array(~keep)).select(list(CANONICAL_COLUMNS)))
        return table.filter(pa.array(keep))

    for step, label in zip(steps, labels):
        if isinstance(step, Filter):
            pending.append((step, label))
            continue
        if pending:
            table = flush()
        if table.num_rows == 0:
            break
        if isinstance(step, Metric):
            table = with_columns(table, score_table(table, [step], batch_size=max(table.num_rows, 1)))
        elif isinstance(step, Transform):
            before = table.num_rows
            table = step.apply(table)
            if table.num_rows != before:
                raise RuntimeError(f"transform {label} changed the row count ({before} -> {table.num_rows})")
        else:
            raise TypeError(f"{label}: a {step.kind} step cannot run per batch")
    if pending and table.num_rows:
        table = flush()
    return RowResult(table, ledger_mod.concat(ledgers), _concat_canonical(dropped))


def _concat_canonical(parts: list[pa.Table]) -> pa.Table:
    from core.schema import CANONICAL_SCHEMA
    parts = [p.cast(CANONICAL_SCHEMA) for p in parts if p.num_rows]
    return pa.concat_tables(parts) if parts else CANONICAL_SCHEMA.empty_table()


# ---------------------------------------------------------------- dedup halves

def dedup_signatures(step: Deduplicator, table: pa.Table, first_order: int) -> pa.Table:
    """Per-batch signatures with the `order`, `length` and `score` columns the keep policies need."""
    n = table.num_rows
    # Always the position in the run: a dataset column that happens to be called "order" is not it.
    sig = with_columns(step.signatures(table), {"order": pa.array(np.arange(first_order, first_order + n, dtype=np.int64))})
    if "length" not in sig.column_names:
        sig = sig.append_column("length", _conversation_chars(table))
    if "score" not in sig.column_names:
        score = (pc.cast(table.column(step.score_column), pa.float64())
                 if step.score_column and step.score_column in table.column_names
                 else pa.nulls(n, pa.float64()))
        sig = sig.append_column("score", score)
    return sig


def _conversation_chars(table: pa.Table) -> pa.Array:
    parents, flat = flat_messages(table)
    lengths = pc.utf8_length(pc.fill_null(flat.field("content"), ""))
    totals = np.bincount(parents, weights=lengths.to_numpy(zero_copy_only=False), minlength=table.num_rows)
    return pa.array(totals.astype(np.int64))


def dedup_threshold(step: Deduplicator) -> str | None:
    """The ledger's threshold text for a dedup step with a similarity threshold (exact has none)."""
    value = getattr(step, "threshold", None)
    return f"similarity >= {value:g}" if isinstance(value, (int, float)) else None


def apply_dedup(table: pa.Table, dedup_ledger: pa.Table) -> RowResult:
    """Drop the rows of one batch that the resolved dedup ledger (LEDGER_SCHEMA) names."""
    if dedup_ledger.num_rows == 0 or table.num_rows == 0:
        return RowResult(table, ledger_mod.empty_ledger(), _concat_canonical([]))
    ids = table.column("id")
    is_dropped = pc.fill_null(pc.is_in(ids, value_set=dedup_ledger.column("id")), False)
    if not pc.any(is_dropped).as_py():
        return RowResult(table, ledger_mod.empty_ledger(), _concat_canonical([]))
    dropped = table.filter(is_dropped)
    # ledger rows in the batch's order, matched by id
    positions = pc.index_in(dropped.column("id"), value_set=dedup_ledger.column("id"))
    batch_ledger = dedup_ledger.take(positions)
    return RowResult(table.filter(pc.invert(is_dropped)), batch_ledger,
                     _concat_canonical([dropped.select(list(CANONICAL_COLUMNS))]))


def funnel(input_rows: int, labels: Sequence[str], drops_by_step: dict[str, int]) -> list[tuple[str, int]]:
    """Rows left after each dropping step, starting with the input (and unreadable rows first)."""
    rows = [("input", input_rows)]
    left = input_rows
    for label in [ledger_mod.UNREADABLE_STEP, *labels]:
        if label == ledger_mod.UNREADABLE_STEP and not drops_by_step.get(label):
            continue
        left -= drops_by_step.get(label, 0)
        rows.append((label, left))
    return rows
