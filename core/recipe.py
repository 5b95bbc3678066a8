"""Recipes: the ordered steps and export settings that reproduce a cleaning, saved as YAML.

    version: 1
    steps:
      - {kind: metric, name: refusal, params: {}}
      - {kind: filter, name: threshold, params: {column: refusal_score, max: 0.5}}
    export: {format: openai, normalization: {whitespace: true}, split: {validation_fraction: 0.1, seed: 0}}

Loading uses yaml.safe_load only; every problem (unknown key, bad parameter, unknown step, a
filter whose column no earlier metric computes) is reported with its key path and line. A step
that runs user code (the `plugin` filter) is refused unless the caller passes allow_plugins=True,
which only the CLI does, behind --allow-plugins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import SieveConfigError
from core.steps import Filter, Metric, Step, StepKind, get_step_class
from core.yaml_config import KeyPath, key_lines, line_of, read_config_text, validate_yaml

RECIPE_VERSION = 1
ExportFormat = Literal["openai", "sharegpt", "alpaca", "parquet"]


class RecipeStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: StepKind
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class Normalization(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whitespace: bool = Field(True, description="CRLF to LF, strip trailing spaces, at most one blank line, trim ends")
    unescape: bool = Field(False, description="Decode HTML entities and literal \\n / \\t in texts that have no real newlines")
    unicode: Literal["NFC", "NFKC"] | None = Field("NFC", description="Unicode normal form")


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid")

    validation_fraction: float = Field(0.0, ge=0.0, lt=1.0, description="Share of kept rows for validation (0 = no split)")
    seed: int = Field(0, description="Seed of the deterministic split")
    stratify_by: str | None = Field(None, description="Category column to stratify the split by")


class ExportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: ExportFormat = "openai"
    normalization: Normalization = Field(default_factory=Normalization)
    split: Split = Field(default_factory=Split)


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = RECIPE_VERSION
    name: str | None = None
    description: str | None = None
    steps: list[RecipeStep] = Field(default_factory=list)
    export: ExportSettings = Field(default_factory=ExportSettings)

    # ------------------------------------------------------------ YAML in/out

    @classmethod
    def from_yaml(cls, text: str, source: str = "<recipe>", *, allow_plugins: bool = False) -> "Recipe":
        """Parse and fully validate a recipe (steps included); errors name the key and line."""
        recipe = validate_yaml(cls, text, source)
        recipe.check(key_lines(text) if text.strip() else {}, source, allow_plugins=allow_plugins)
        return recipe

    @classmethod
    def load(cls, path: str | Path, *, allow_plugins: bool = False) -> "Recipe":
        return cls.from_yaml(read_config_text(path, "recipe file"), str(path), allow_plugins=allow_plugins)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False,
                              allow_unicode=True, width=100)

    def save(self, path: str | Path) -> None:
        from core.io import atomic_writer

        with atomic_writer(path) as fh:
            fh.write(self.to_yaml().encode("utf-8"))

    @classmethod
    def from_steps(cls, steps: list[Step], export: ExportSettings | None = None, **kw) -> "Recipe":
        entries = [RecipeStep(**s.to_entry()) for s in steps]
        return cls(steps=entries, export=export or ExportSettings(), **kw)

    # ------------------------------------------------------------ steps

    def check(self, lines: dict[KeyPath, int] | None = None, source: str = "<recipe>", *,
              allow_plugins: bool = False) -> list[Step]:
        """Build every step through the registry; raise one SieveConfigError listing every problem."""
        lines = lines or {}
        problems: list[str] = []
        built: list[Step] = []
        produced: set[str] = set()

        def where(loc: KeyPath) -> str:
            line = line_of(lines, loc) if lines else None
            return f"{source}, line {line}" if line else source

        for i, entry in enumerate(self.steps):
            loc = ("steps", i)
            try:
                cls = get_step_class(entry.kind, entry.name)
            except SieveConfigError as exc:
                problems.append(f"{where(loc + ('name',))}: steps.{i}.name: {exc}")
                continue
            if getattr(cls, "runs_user_code", False) and not allow_plugins:
                problems.append(f"{where(loc)}: steps.{i}: the '{entry.name}' {entry.kind} runs Python code; it is "
                                f"allowed only from the CLI with --allow-plugins, never from an uploaded recipe")
                continue
            try:
                step = cls.model_validate(entry.params)
            except ValidationError as exc:
                problems += [_param_problem(err, loc, where, i) for err in exc.errors()]
                continue
            if isinstance(step, Metric):
                produced.update(c.name for c in step.columns())
            elif isinstance(step, Filter):
                from core.filters import metric_for_column
                for column in step.required_columns():
                    if column not in produced:
                        producer = metric_for_column(column)
                        hint = f"add the metric '{producer}' before it" if producer else "no registered metric computes it"
                        problems.append(f"{where(loc)}: steps.{i}: filter '{entry.name}' needs the column "
                                        f"'{column}': {hint}")
            built.append(step)
        stratify = self.export.split.stratify_by
        if stratify and stratify not in produced:
            from core.filters import metric_for_column
            producer = metric_for_column(stratify)
            hint = f"add the metric '{producer}' to the steps" if producer else "no registered metric computes it"
            problems.append(f"{where(('export', 'split', 'stratify_by'))}: export.split.stratify_by: the column "
                            f"'{stratify}' is not computed by any step: {hint}")
        if problems:
            raise SieveConfigError("\n".join(problems))
        return built

    def build_steps(self, *, allow_plugins: bool = False) -> list[Step]:
        """The runnable steps, in order (validated again: a Recipe may be built in code)."""
        return self.check(allow_plugins=allow_plugins)


def _param_problem(error: dict, step_loc: KeyPath, where, index: int) -> str:
    param_loc = tuple(p for p in error["loc"] if isinstance(p, (str, int)))
    loc = step_loc + ("params",) + param_loc
    path = ".".join(map(str, (f"steps.{index}.params",) + param_loc))
    if error["type"] == "extra_forbidden":
        message = f"unknown key '{param_loc[-1]}'"
    elif error["type"] == "missing":
        message = "required key is missing"
    else:
        message = error["msg"]
    return f"{where(loc)}: {path}: {message}"
