"""What the Clean & Export page builds, without the page: widget kinds from ColumnSpecs, the filter a
widget setting means, the recipe those settings make, and the fast re-filter over cached columns.

A slider never recomputes a metric: metric columns are cached per dataset fingerprint, dedup results
per (fingerprint, step), and `refilter` only runs filters (and applies the cached dedup drops).
The recipe it builds puts metrics first, then dedup steps (on the whole input, so their result does
not depend on the sliders and can be cached), then filters; the CLI runs exactly that order.
"""

from __future__ import annotations

import json
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from core import ledger as ledger_mod
from core.engine.plan import (dedup_signatures, dedup_threshold, dropping_labels, evaluate_filters, funnel,
                              step_labels)
from core.filters import CategoryFilter, ThresholdFilter
from core.recipe import ExportSettings, Recipe
from core.steps import ColumnSpec, Deduplicator, Filter, Metric, Step

WidgetKind = Literal["max", "min", "range", "multiselect", "toggle"]
PAGE_GROUPS = ("quality", "safety", "duplicates", "language", "validity", "length")


def widget_kind(spec: ColumnSpec) -> WidgetKind | None:
    """Which widget a column gets: lower-is-better -> a max slider, higher -> min, no direction -> range."""
    if not spec.filterable:
        return None
    if spec.dtype in ("float", "int"):
        return {"lower": "max", "higher": "min"}.get(spec.better or "", "range")
    if spec.dtype == "bool":
        return "toggle"
    if spec.dtype == "category":
        return "multiselect"
    return None


@dataclass
class ColumnStats:
    low: float | None = None       # slider bounds, on the slider's step grid
    high: float | None = None
    step: float | None = None
    categories: list | None = None


def _slider_grid(low: float, high: float, is_int: bool) -> tuple[float, float, float]:
    """Bounds snapped outward to a step of about 1/100 of the range, so every value is reachable."""
    if is_int:
        return float(math.floor(low)), float(math.ceil(high)), 1.0
    span = high - low
    step = 10 ** math.floor(math.log10(span / 100)) if span > 0 else 0.01
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def column_stats(spec: ColumnSpec, values: pa.ChunkedArray | pa.Array) -> ColumnStats:
    """Slider bounds (the spec's natural range, else the data's) or the categories present."""
    kind = widget_kind(spec)
    if kind in ("max", "min", "range"):
        data = np.asarray(pa.compute.cast(values, pa.float64()).to_numpy(zero_copy_only=False), float)
        data = data[~np.isnan(data)]
        low, high = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
        if spec.range:
            low, high = min(low, spec.range[0]), max(high, spec.range[1])
        low, high, step = _slider_grid(low, high, spec.dtype == "int")
        return ColumnStats(low=round(low, 10), high=round(high, 10), step=step)
    if kind == "multiselect":
        counts = Counter(v for v in values.to_pylist() if v is not None)
        return ColumnStats(categories=[v for v, _ in counts.most_common()])
    return ColumnStats()


def filter_for_setting(spec: ColumnSpec, stats: ColumnStats, setting: Any) -> Filter | None:
    """The filter a widget value means, or None while the widget keeps every row (its default)."""
    kind = widget_kind(spec)
    if kind == "max" and setting is not None and setting < stats.high:
        return ThresholdFilter(column=spec.name, max=float(setting))
    if kind == "min" and setting is not None and setting > stats.low:
        return ThresholdFilter(column=spec.name, min=float(setting))
    if kind == "range" and setting is not None:
        low, high = setting
        bounds = {"min": float(low) if low > stats.low else None, "max": float(high) if high < stats.high else None}
        if bounds["min"] is not None or bounds["max"] is not None:
            return ThresholdFilter(column=spec.name, **bounds)
    if kind == "multiselect" and setting is not None and set(setting) != set(stats.categories or []):
        return CategoryFilter(column=spec.name, allowed=list(setting))
    if kind == "toggle" and setting:
        # "drop the bad side": True is bad when lower is better, False when higher is better
        return CategoryFilter(column=spec.name, blocked=[spec.better != "higher"])
    return None


def toggle_label(spec: ColumnSpec) -> str:
    return f"Drop rows where {spec.name} is {'false' if spec.better == 'higher' else 'true'}"


def needed_metrics(metrics: Sequence[Metric], steps: Sequence[Step], extra_columns: Sequence[str] = ()) -> list[Metric]:
    """The metrics whose columns the filters, a dedup keep policy or `extra_columns` read, in the given order."""
    wanted = set(extra_columns)
    for step in steps:
        if isinstance(step, Filter):
            wanted.update(step.required_columns())
        elif isinstance(step, Deduplicator) and step.score_column:
            wanted.add(step.score_column)
    return [m for m in metrics if wanted & {c.name for c in m.columns()}]


def page_recipe(metrics: Sequence[Metric], dedups: Sequence[Deduplicator], filters: Sequence[Filter],
                export: ExportSettings | None = None) -> Recipe:
    """The recipe the page's settings make: needed metrics, then dedup steps, then filters."""
    steps: list[Step] = [*dedups, *filters]
    stratify = [export.split.stratify_by] if export and export.split.stratify_by else []
    return Recipe.from_steps([*needed_metrics(metrics, steps, stratify), *steps], export,
                             description="Built on the Clean & Export page")


class Refiltered:
    """The page's outcome: keep mask, ledger, funnel; the kept table is only built when asked for."""

    def __init__(self, table: pa.Table, keep: np.ndarray, ledger: pa.Table, funnel_rows: list[tuple[str, int]]):
        self.table, self.keep, self.ledger, self.funnel = table, keep, ledger, funnel_rows
        self.by_reason = ledger_mod.by_reason(ledger)
        self._kept: pa.Table | None = None

    @property
    def kept_rows(self) -> int:
        return int(self.keep.sum())

    @property
    def kept(self) -> pa.Table:
        if self._kept is None:
            self._kept = self.table.filter(pa.array(self.keep))
        return self._kept

    def kept_ids(self) -> list[str]:
        return pa.compute.filter(self.table.column("id"), pa.array(self.keep)).to_pylist()

    def kept_head(self, n: int) -> pa.Table:
        return self.table.take(pa.array(np.flatnonzero(self.keep)[:n]))


def dedup_ledger(table: pa.Table, step: Deduplicator, label: str, batch_size: int = 8192) -> pa.Table:
    """The resolved ledger of one dedup step over a whole table, computed as the engines do (cache it)."""
    step.setup()
    signatures = [dedup_signatures(step, table.slice(start, batch_size), start)
                  for start in range(0, table.num_rows, batch_size)]
    if not signatures:
        return ledger_mod.empty_ledger()
    result = step.resolve(pa.concat_tables(signatures, promote_options="permissive"))
    return ledger_mod.from_dedup(result, label, dedup_threshold(step))


class VerdictCache:
    """Filter verdicts over one table, keyed by the filter's recipe entry: moving one slider
    re-evaluates that one filter; a regex or JSON Schema validator is not re-run each time."""

    def __init__(self, max_entries: int = 64):
        self.max_entries = max_entries
        self.table_key: str | None = None
        self.entries: OrderedDict[str, Any] = OrderedDict()

    def verdict_of(self, table_key: str):
        """A `verdict_of` for `evaluate_filters` over the table identified by `table_key`."""
        if table_key != self.table_key:  # another dataset or other metric columns: start afresh
            self.table_key, self.entries = table_key, OrderedDict()

        def verdict(step: Filter, table: pa.Table):
            key = json.dumps(step.to_entry(), sort_keys=True)
            if key not in self.entries:
                self.entries[key] = step.keep(table)
                while len(self.entries) > self.max_entries:
                    self.entries.popitem(last=False)
            self.entries.move_to_end(key)
            return self.entries[key]
        return verdict


def refilter(table: pa.Table, steps: Sequence[Step], dedup_ledgers: dict[str, pa.Table],
             verdict_of=None) -> Refiltered:
    """Apply a page recipe's dedup drops and filters to a table whose metric columns are cached.

    Dedup steps must come before every filter (as `page_recipe` orders them) so their ledgers,
    resolved once over the whole table, are what the engines compute; `dedup_ledgers` maps each
    dedup step's label to that ledger. Nothing here filters the table: the verdicts are masks.
    """
    steps = [s for s in steps if not isinstance(s, Metric)]
    labels = step_labels(steps)
    ids = table.column("id")
    dropped_before = np.zeros(table.num_rows, bool)
    ledgers = []
    filters: list[tuple[Filter, str]] = []
    for step, label in zip(steps, labels):
        if isinstance(step, Deduplicator):
            if filters:
                raise ValueError("refilter needs dedup steps before filters (see page_recipe)")
            dedup = dedup_ledgers[label]
            hit = pa.compute.fill_null(pa.compute.is_in(ids, value_set=dedup.column("id")), False)
            hit = hit.to_numpy(zero_copy_only=False) & ~dropped_before
            if hit.any():
                rows = np.flatnonzero(hit)
                # the dedup ledger in this table's row order, only rows not dropped by an earlier dedup
                positions = pa.compute.index_in(ids.take(pa.array(rows)), value_set=dedup.column("id"))
                ledgers.append(dedup.take(positions))
                dropped_before |= hit
        else:
            filters.append((step, label))
    keep = ~dropped_before
    if filters:
        keep, filter_ledger = evaluate_filters(table, [f for f, _ in filters], [l for _, l in filters],
                                               already_dropped=np.flatnonzero(dropped_before), verdict_of=verdict_of)
        ledgers.append(filter_ledger)
    ledger = ledger_mod.concat(ledgers)
    return Refiltered(table, keep, ledger, funnel(table.num_rows, dropping_labels(steps), ledger_mod.by_step(ledger)))
