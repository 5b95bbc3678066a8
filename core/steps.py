"""Step contracts and the registry.

Four kinds of step, each a pydantic model whose fields are its parameters (so the same object is
the recipe entry, the UI form via `model_json_schema()`, and the thing that runs):

- Metric (score once): `compute(table) -> {column: values}`; never drops or edits rows. Its
  `columns()` say dtype, unit, bins and which direction is better, so pages and filters need no
  hard-coded knowledge of any metric.
- Filter (threshold many): reads computed columns only; `keep(table) -> KeepResult`.
- Deduplicator: `signatures(table)` per batch, then `resolve(signatures)` over the whole dataset
  into clusters, a kept row per cluster and a ledger entry per dropped duplicate.
- Transform: the only kind that rewrites text, and it says so in its name.

Every step is registered by (kind, name); a recipe is an ordered list of {kind, name, params}.
Heavy libraries and models load in `setup()`, never at import, so opening the app stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from core.errors import SieveConfigError

StepKind = Literal["metric", "filter", "dedup", "transform"]
Better = Literal["higher", "lower"] | None
Group = Literal["length", "quality", "safety", "duplicates", "language", "validity", "topics", "other"]


class ColumnSpec(BaseModel):
    """What a computed column is, for plots, sliders and reports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dtype: Literal["float", "int", "bool", "category", "str", "list"]
    description: str
    label: str | None = None       # short human label for sliders and axes ("Response entropy")
    unit: str | None = None
    better: Better = None          # which way is "good": a filter keeps >= min when higher is better
    bins: int | None = None        # histogram bins hint
    range: tuple[float, float] | None = None  # natural bounds (e.g. 0..1) for sliders
    group: Group = "other"
    filterable: bool = True        # offer a slider/toggle on Clean & Export

    @property
    def title(self) -> str:
        """The label to show a person: `label`, else the column name made readable."""
        return self.label or self.name.replace("_", " ").capitalize()


class Step(BaseModel):
    """Base of every step: parameters are the model's fields; unknown parameters are an error."""

    model_config = ConfigDict(extra="forbid")

    kind: ClassVar[StepKind]
    name: ClassVar[str]
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def setup(self) -> None:
        """Load models or other expensive state once per process/worker. Idempotent."""

    def to_entry(self) -> dict:
        """The recipe entry for this step."""
        return {"kind": self.kind, "name": self.name, "params": self.model_dump(mode="json")}


class Metric(Step):
    kind: ClassVar[StepKind] = "metric"
    # A model-backed metric (embeddings, toxicity) runs in an actor pool on Ray.
    uses_model: ClassVar[bool] = False

    def columns(self) -> list[ColumnSpec]:
        raise NotImplementedError

    def compute(self, table: pa.Table) -> dict[str, Any]:
        """One value per row for every column in `columns()`; vectorized over the batch."""
        raise NotImplementedError


@dataclass
class KeepResult:
    """A filter's verdict on a batch: keep mask, and for each dropped row its reason and value."""

    keep: np.ndarray            # bool, one per row
    reasons: list[str | None]   # e.g. "toxicity>0.20"; None where kept
    values: list[Any]           # the value the decision was made on
    threshold: str              # human-readable threshold, e.g. "<= 0.20"


class Filter(Step):
    kind: ClassVar[StepKind] = "filter"

    def required_columns(self) -> list[str]:
        raise NotImplementedError

    def keep(self, table: pa.Table) -> KeepResult:
        raise NotImplementedError


@dataclass
class DedupResult:
    """Clusters over the whole dataset. Rows not in any cluster are unique and kept.

    `ledger` has one row per dropped duplicate: id, cluster, kept_id, similarity, method.
    `clusters` has one row per member of a multi-member cluster (kept rows included):
    id, cluster, kept_id, similarity (to the kept row; 1.0 for the kept row itself), is_kept.
    """

    clusters: pa.Table
    ledger: pa.Table

    @property
    def dropped_ids(self) -> set[str]:
        return set(self.ledger.column("id").to_pylist())


KeepPolicy = Literal["first", "longest", "best_score"]


class Deduplicator(Step):
    kind: ClassVar[StepKind] = "dedup"
    uses_model: ClassVar[bool] = False

    keep: KeepPolicy = Field("first", description="Which row of a cluster survives")
    score_column: str | None = Field(None, description="Metric column for keep='best_score' (higher wins)")

    def signatures(self, table: pa.Table) -> pa.Table:
        """Per-batch, per-row state the global step needs (hashes, MinHash bands, embeddings).

        Must contain `id`, plus `order` (global row number), `length` and `score` for keep policies;
        the engine adds `order`, `length` and `score` where the batch does not.
        """
        raise NotImplementedError

    def resolve(self, signatures: pa.Table) -> DedupResult:
        """Cluster all signatures and apply the keep policy."""
        raise NotImplementedError


class Transform(Step):
    kind: ClassVar[StepKind] = "transform"

    def apply(self, table: pa.Table) -> pa.Table:
        """Rewrite message text in place of the batch; record what changed in each row's meta."""
        raise NotImplementedError


# ---------------------------------------------------------------- registry

_REGISTRY: dict[tuple[str, str], type[Step]] = {}
# Packages whose import registers steps. Each must import only light modules at import time.
_STEP_PACKAGES = ("core.metrics", "core.filters", "core.dedup", "core.transforms")


def register(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step available to recipes, the CLI and the UI by its name."""
    key = (cls.kind, cls.name)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise RuntimeError(f"two steps registered as {key}")
    _REGISTRY[key] = cls
    return cls


def load_all() -> None:
    for package in _STEP_PACKAGES:
        try:
            importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name != package:
                raise


def list_steps(kind: StepKind | None = None) -> list[type[Step]]:
    load_all()
    return sorted((c for (k, _), c in _REGISTRY.items() if kind in (None, k)), key=lambda c: (c.kind, c.name))


def get_step_class(kind: str, name: str) -> type[Step]:
    load_all()
    try:
        return _REGISTRY[(kind, name)]
    except KeyError:
        known = ", ".join(sorted(n for k, n in _REGISTRY if k == kind)) or "none"
        raise SieveConfigError(f"unknown {kind} step '{name}' (known: {known})") from None


def build_step(kind: str, name: str, params: dict | None = None) -> Step:
    """Instantiate a registered step, turning validation errors into a message naming the field."""
    from pydantic import ValidationError

    cls = get_step_class(kind, name)
    try:
        return cls(**(params or {}))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(params)'}: {e['msg']}" for e in exc.errors())
        raise SieveConfigError(f"{kind} '{name}': {problems}") from None
