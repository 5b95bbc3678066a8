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
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from core import ledger as ledger_mod
from core.dedup.runner import deduplicate
from core.engine.plan import (dedup_threshold, dropping_labels, evaluate_filters, funnel,
                              step_labels)
from core.filters import CategoryFilter, ThresholdFilter
from core.recipe import ExportSettings, Recipe
from core.steps import ColumnSpec, Deduplicator, Filter, Metric, Step, Transform, get_step_class

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
        counted = pa.compute.value_counts(values)  # vectorized: this runs on every slider move
        categories, counts = counted.field("values"), counted.field("counts").to_numpy()
        most_first = np.argsort(-counts, kind="stable")  # ties in order of first appearance
        return ColumnStats(categories=[v for v in categories.take(pa.array(most_first)).to_pylist() if v is not None])
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
    return f"Drop rows where {spec.title.lower()} is {'false' if spec.better == 'higher' else 'true'}"


def widget_label(spec: ColumnSpec) -> str:
    """A slider or multiselect label in words ("Refusal score at most"); the column name goes in the help."""
    suffix = {"max": "at most", "min": "at least", "range": "between", "multiselect": "— keep"}.get(widget_kind(spec), "")
    return f"{spec.title} {suffix}".strip()


def readable_reason(reason: str, titles: dict[str, str]) -> str:
    """A ledger reason with its leading column name replaced by the column's title ("Refusal score > 0.5")."""
    for column in sorted(titles, key=len, reverse=True):
        rest = reason[len(column):]
        if reason.startswith(column) and rest[:1] in ("<", ">", "="):
            return f"{titles[column]} {rest[0]} {rest[1:]}"
        if reason.startswith(column) and rest[:1] == " ":
            return f"{titles[column]}{rest}"
    return reason


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
                export: ExportSettings | None = None, extra_metrics: Sequence[Metric] = (),
                transforms: Sequence[Transform] = ()) -> Recipe:
    """The recipe the page's settings make: needed metrics (and every extra one), dedup steps, filters,
    then transforms — last, so they rewrite only the exported text and never change which rows go."""
    steps: list[Step] = [*dedups, *filters]
    stratify = [export.split.stratify_by] if export and export.split.stratify_by else []
    extra_names = {m.name for m in extra_metrics}
    wanted = [m for m in needed_metrics(metrics, steps, stratify) if m.name not in extra_names]
    return Recipe.from_steps([*wanted, *extra_metrics, *steps, *transforms], export,
                             description="Built on the Clean & Export page")


KIND_ORDER = {"metric": 0, "dedup": 1, "filter": 2, "transform": 3}


def split_by_kind(steps: Sequence[Step]) -> dict[str, list[Step]]:
    """Steps grouped by kind, in the page's run order (metrics, dedup, filters, transforms)."""
    groups: dict[str, list[Step]] = {k: [] for k in KIND_ORDER}
    for step in steps:
        groups[step.kind].append(step)
    return groups


def in_page_order(entries: Sequence[dict]) -> bool:
    """Whether recipe entries already run in the page's order (else the page reorders them)."""
    ranks = [KIND_ORDER[e["kind"]] for e in entries]
    return ranks == sorted(ranks)


# ---------------------------------------------------------------- a saved recipe back into the widgets

DEDUP_METHODS = ("exact", "minhash", "embedding")
REDACT_ACTIONS = ("report", "redact", "fake")   # what the page offers per PII type (drop is a filter)


@dataclass
class RecipeWidgets:
    """What a recipe means for the page's widgets, and the steps no widget can express (`extra`)."""

    metrics: list[str]
    column_filters: dict[str, dict]     # column -> the threshold/category filter's params
    dedup: dict | None = None           # {"method", "threshold"?, "keep"}
    repeated_min_prompts: int | None = None
    drift_min_chars: int | None = None
    regex: dict | None = None           # {"field", "banned", "required"}
    json_schema: dict | None = None
    redact: dict | None = None          # {"actions", "salt"}
    export: ExportSettings | None = None
    extra: list[dict] | None = None


def _non_default(entry: dict) -> dict:
    """The parameters of a recipe entry that differ from the step's defaults."""
    cls = get_step_class(entry["kind"], entry["name"])
    given = cls.model_validate(entry["params"]).model_dump(mode="json")
    defaults = {name: f.get_default(call_default_factory=False) for name, f in cls.model_fields.items() if not f.is_required()}
    return {k: v for k, v in given.items() if k not in defaults or defaults[k] != v}


def recipe_widgets(recipe: Recipe, offered: dict[str, dict], specs: dict[str, ColumnSpec]) -> RecipeWidgets:
    """Split a recipe into widget settings and extra steps.

    `offered` maps each metric the page offers to the parameters it builds it with; `specs` are the
    column specs of those metrics. A step is a widget setting when the page would write exactly
    that entry; anything else is kept as an extra step (and still runs).
    """
    out = RecipeWidgets(metrics=[], column_filters={}, export=recipe.export, extra=[])
    for step in recipe.steps:
        entry = step.model_dump(mode="json")
        if not _to_widget(entry, out, offered, specs):
            out.extra.append(entry)
    # a column filter whose metric is not a widget metric (other parameters) is an extra step too
    for column in list(out.column_filters):
        if _metric_of(column, offered) not in out.metrics:
            out.extra.append(out.column_filters.pop(column))
    return out


def _metric_of(column: str, offered: dict[str, dict]) -> str | None:
    for name, params in offered.items():
        if column in {c.name for c in get_step_class("metric", name)(**params).columns()}:
            return name
    return None


def _to_widget(entry: dict, out: RecipeWidgets, offered: dict[str, dict], specs: dict[str, ColumnSpec]) -> bool:
    kind, name, params = entry["kind"], entry["name"], entry["params"]
    changed = _non_default(entry)
    if kind == "metric":
        if name in offered and name not in out.metrics and changed == _non_default({**entry, "params": offered[name]}):
            out.metrics.append(name)
            return True
        return False
    if kind == "filter" and name in ("threshold", "category"):
        spec = specs.get(params.get("column"))
        if spec is None or spec.name in out.column_filters or changed.get("drop_missing"):
            return False
        widget = widget_kind(spec)
        bounds = {k for k in ("min", "max") if changed.get(k) is not None}
        fits = (name == "threshold" and ((widget == "max" and bounds == {"max"}) or (widget == "min" and bounds == {"min"})
                                         or (widget == "range" and bounds)))
        fits = fits or (name == "category" and widget == "multiselect" and set(changed) == {"column", "allowed"})
        fits = fits or (name == "category" and widget == "toggle" and set(changed) == {"column", "blocked"}
                        and changed["blocked"] == [spec.better != "higher"])
        if fits:
            out.column_filters[spec.name] = entry
        return fits
    if kind == "dedup" and name in DEDUP_METHODS and out.dedup is None and set(changed) <= {"threshold", "keep"} \
            and params.get("keep", "first") in ("first", "longest"):
        out.dedup = {"method": name, **{k: v for k, v in _full(entry).items() if k in ("threshold", "keep")}}
        return True
    if kind == "dedup" and name == "repeated_response" and out.repeated_min_prompts is None and set(changed) <= {"min_prompts"}:
        out.repeated_min_prompts = _full(entry)["min_prompts"]
        return True
    if kind == "filter" and name == "language_drift" and out.drift_min_chars is None and set(changed) <= {"min_chars"}:
        out.drift_min_chars = _full(entry)["min_chars"]
        return True
    if kind == "filter" and name == "regex" and set(changed) <= {"pattern", "field", "mode"}:
        full = _full(entry)
        slot = "banned" if full["mode"] == "must_not_match" else "required"
        regex = out.regex or {"field": full["field"], "banned": "", "required": ""}
        if regex["field"] != full["field"] or regex[slot]:
            return False
        out.regex = {**regex, slot: full["pattern"]}
        return True
    if kind == "filter" and name == "json_schema" and out.json_schema is None and set(changed) <= {"schema"}:
        out.json_schema = params["schema"]
        return True
    if kind == "transform" and name == "redact_pii" and out.redact is None and set(changed) <= {"actions", "salt"}:
        full = _full(entry)
        if all(a in REDACT_ACTIONS for a in full["actions"].values()):
            out.redact = {"actions": full["actions"], "salt": full["salt"]}
            return True
    return False


def _full(entry: dict) -> dict:
    return get_step_class(entry["kind"], entry["name"]).model_validate(entry["params"]).model_dump(mode="json")


def setting_for_filter(spec: ColumnSpec, stats: ColumnStats, params: dict):
    """The widget value that means this threshold/category filter (the inverse of `filter_for_setting`),
    clamped to the widget's bounds and the categories present."""
    kind = widget_kind(spec)

    def clamp(x):
        return min(max(x, stats.low), stats.high)
    if kind == "max":
        return clamp(params["max"])
    if kind == "min":
        return clamp(params["min"])
    if kind == "range":
        low, high = params.get("min"), params.get("max")
        return (clamp(stats.low if low is None else low), clamp(stats.high if high is None else high))
    if kind == "multiselect":
        return [c for c in stats.categories or [] if c in params.get("allowed", [])]
    return True


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
    if table.num_rows == 0:
        return ledger_mod.empty_ledger()
    return ledger_mod.from_dedup(deduplicate(table, step, batch_size=batch_size), label, dedup_threshold(step))


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
