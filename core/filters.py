"""Filters: keep/drop decisions over columns metrics already computed (threshold many, score once).

A filter never computes a metric. Where the column it needs is missing it raises a
SieveConfigError naming the metric that produces it. Reasons are short and aggregable
("response_toxicity>0.2"), so the breakdown by reason stays readable.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any, Callable, ClassVar, Literal

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr, field_validator, model_validator

from core.errors import SieveConfigError
from core.schema import TEXT_FIELDS, role_texts
from core.steps import Filter, KeepResult, list_steps, register

Category = str | bool | int | float


@lru_cache(maxsize=1)
def _column_producers() -> dict[str, str]:
    """Column name -> name of the registered metric that computes it (with default parameters)."""
    producers: dict[str, str] = {}
    for cls in list_steps("metric"):
        try:
            for spec in cls().columns():
                producers.setdefault(spec.name, cls.name)
        except Exception:  # a metric needing parameters cannot tell us its columns by default
            continue
    return producers


def metric_for_column(column: str) -> str | None:
    return _column_producers().get(column)


def require_column(table: pa.Table, column: str, step: str) -> pa.ChunkedArray:
    """The column, or a SieveConfigError naming the metric to add before `step`."""
    if column in table.column_names:
        return table.column(column)
    producer = metric_for_column(column)
    hint = f"add the metric '{producer}' before it" if producer else "no registered metric computes it"
    raise SieveConfigError(f"filter '{step}' needs the column '{column}': {hint}")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _verdict(dropped: np.ndarray, reasons: str | np.ndarray, values, threshold: str) -> KeepResult:
    """A KeepResult from a drop mask and one reason (or an array of reasons, one per row).

    Reasons and values stay numpy arrays (indexable like the contract's lists): building
    per-row Python lists would cost more than the filtering itself on 100k rows.
    """
    if isinstance(reasons, str):
        text, reasons = reasons, np.full(len(dropped), None, dtype=object)
        reasons[dropped] = text
    return KeepResult(keep=~dropped, reasons=reasons, values=values, threshold=threshold)


@register
class ThresholdFilter(Filter):
    """Keep rows whose numeric column lies within [min, max]; rows with no value are kept."""

    name: ClassVar[str] = "threshold"
    title: ClassVar[str] = "Threshold"

    column: str = Field(description="Metric column to threshold")
    min: float | None = Field(None, description="Drop rows below this value")
    max: float | None = Field(None, description="Drop rows above this value")
    drop_missing: bool = Field(False, description="Also drop rows where the metric has no value")

    @model_validator(mode="after")
    def _has_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def required_columns(self) -> list[str]:
        return [self.column]

    def threshold_text(self) -> str:
        parts = ([f">= {_fmt(self.min)}"] if self.min is not None else []) + \
                ([f"<= {_fmt(self.max)}"] if self.max is not None else [])
        return " and ".join(parts)

    def keep(self, table: pa.Table) -> KeepResult:
        col = require_column(table, self.column, self.name)
        if pa.types.is_boolean(col.type):
            col = pc.cast(col, pa.int8())
        values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        missing = np.isnan(values)
        too_low = np.zeros(len(values), bool) if self.min is None else values < self.min
        too_high = np.zeros(len(values), bool) if self.max is None else values > self.max
        dropped = too_low | too_high | (missing & self.drop_missing)

        reasons = np.full(len(values), None, dtype=object)
        if self.max is not None:
            reasons[too_high] = f"{self.column}>{_fmt(self.max)}"
        if self.min is not None:
            reasons[too_low] = f"{self.column}<{_fmt(self.min)}"
        if self.drop_missing:
            reasons[missing] = f"{self.column} missing"
        return _verdict(dropped, reasons, values, self.threshold_text())


def _membership(col: pa.ChunkedArray, wanted: list) -> np.ndarray:
    """Which values of `col` are in `wanted` (vectorized where the types agree)."""
    try:
        value_set = pa.array(wanted).cast(col.type)
        return pc.fill_null(pc.is_in(col, value_set=value_set), False).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        wanted_set = set(wanted)
        return np.array([v in wanted_set for v in col.to_pylist()], bool)


@register
class CategoryFilter(Filter):
    """Keep rows whose category (or bool) column is in `allowed` and not in `blocked`."""

    name: ClassVar[str] = "category"
    title: ClassVar[str] = "Category"

    column: str = Field(description="Category or bool metric column")
    allowed: list[Category] | None = Field(None, description="Keep only these values")
    blocked: list[Category] | None = Field(None, description="Drop these values")

    @model_validator(mode="after")
    def _has_set(self):
        if self.allowed is None and not self.blocked:
            raise ValueError("give allowed, blocked or both")
        return self

    def required_columns(self) -> list[str]:
        return [self.column]

    def threshold_text(self) -> str:
        parts = ([f"in {self.allowed}"] if self.allowed is not None else []) + \
                ([f"not in {self.blocked}"] if self.blocked else [])
        return " and ".join(parts)

    def keep(self, table: pa.Table) -> KeepResult:
        col = require_column(table, self.column, self.name)
        dropped = np.zeros(len(col), bool)
        if self.allowed is not None:
            dropped |= ~_membership(col, self.allowed)
        if self.blocked:
            dropped |= _membership(col, self.blocked)
        full = np.full(len(col), None, dtype=object)
        if dropped.any():
            shown = pc.cast(col.filter(pa.array(dropped)), pa.string()).to_numpy(zero_copy_only=False)
            full[dropped] = [f"{self.column}={v}" for v in shown]
        return _verdict(dropped, full, col, self.threshold_text())


@register
class LanguagesFilter(CategoryFilter):
    """Require a set of languages (ISO codes) in a language column."""

    name: ClassVar[str] = "languages"
    title: ClassVar[str] = "Required languages"

    column: str = Field("response_language", description="Language column to check")
    allowed: list[Category] | None = Field(description="Languages to keep, e.g. ['en', 'fr']")


@register
class RegexFilter(Filter):
    """Rows whose text must (or must not) match a regular expression."""

    name: ClassVar[str] = "regex"
    title: ClassVar[str] = "Regex validator"

    pattern: str = Field(description="Python regular expression (searched anywhere in the text)")
    field: str = Field("response", description=f"Text field: one of {', '.join(TEXT_FIELDS)}")
    mode: Literal["must_match", "must_not_match"] = Field("must_not_match", description="Keep rows that match, or rows that do not")
    ignore_case: bool = Field(False, description="Case-insensitive matching")
    label: str | None = Field(None, description="Short name for the reason (default: the pattern)")

    _compiled: re.Pattern | None = PrivateAttr(None)

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        if value not in TEXT_FIELDS:
            raise ValueError(f"unknown text field {value!r}; choose one of {', '.join(TEXT_FIELDS)}")
        return value

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return value

    def required_columns(self) -> list[str]:
        return []

    def keep(self, table: pa.Table) -> KeepResult:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)
        texts = role_texts(table, self.field)
        matches = np.fromiter((self._compiled.search(t) is not None for t in texts), bool, len(texts))
        dropped = ~matches if self.mode == "must_match" else matches
        name = self.label or f"/{self.pattern}/"
        reason = f"{self.field} does not match {name}" if self.mode == "must_match" else f"{self.field} matches {name}"
        snippets = [t[:80] for t in texts]
        return _verdict(dropped, reason, snippets, f"{self.mode} {name}")


def parse_json_text(text: str) -> tuple[bool, Any]:
    """(is JSON, value): the whole text, or the only ```json fenced block in it."""
    stripped = text.strip()
    if stripped.startswith("```"):
        body = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = body.rsplit("```", 1)[0].strip()
    if not stripped or stripped[0] not in "[{":
        return False, None
    try:
        return True, orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return False, None


@register
class JsonSchemaFilter(Filter):
    """JSON responses must satisfy a JSON Schema; non-JSON responses are kept unless required."""

    name: ClassVar[str] = "json_schema"
    title: ClassVar[str] = "JSON Schema"

    json_schema: dict = Field(alias="schema", description="The JSON Schema (draft 2020-12) responses must satisfy")
    field: str = Field("last_response", description="Text field holding the JSON")
    require_json: bool = Field(False, description="Also drop responses that are not JSON at all")

    model_config = {"populate_by_name": True, "extra": "forbid"}
    _validator: Any = PrivateAttr(None)

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict) -> dict:
        from jsonschema import Draft202012Validator, SchemaError
        try:
            Draft202012Validator.check_schema(value)
        except SchemaError as exc:
            raise ValueError(f"invalid JSON Schema: {exc.message}") from None
        return value

    def to_entry(self) -> dict:
        return {"kind": self.kind, "name": self.name, "params": self.model_dump(mode="json", by_alias=True)}

    def required_columns(self) -> list[str]:
        return []

    def keep(self, table: pa.Table) -> KeepResult:
        from jsonschema import Draft202012Validator
        if self._validator is None:
            self._validator = Draft202012Validator(self.json_schema)
        texts = role_texts(table, self.field)
        dropped = np.zeros(len(texts), bool)
        problems: list[str | None] = [None] * len(texts)
        for i, text in enumerate(texts):
            is_json, value = parse_json_text(text)
            if not is_json:
                dropped[i] = self.require_json
                problems[i] = "not JSON"
                continue
            error = next(iter(self._validator.iter_errors(value)), None)
            if error is not None:
                dropped[i] = True
                where = "/".join(map(str, error.absolute_path)) or "(root)"
                problems[i] = f"{where}: {error.message}"[:200]
        reasons = np.array(["not JSON" if p == "not JSON" else "JSON schema violation" for p in problems], object)
        return _verdict(dropped, reasons, problems, "satisfies the JSON Schema")


@register
class PluginFilter(Filter):
    """A Python function `module:function(table) -> bool mask | KeepResult`; CLI only, with --allow-plugins."""

    name: ClassVar[str] = "plugin"
    title: ClassVar[str] = "Python plugin"
    # Recipes refuse this step unless the caller explicitly allows user code (core.recipe).
    runs_user_code: ClassVar[bool] = True

    function: str = Field(description="'package.module:function' taking an Arrow batch")
    reason: str | None = Field(None, description="Reason recorded for dropped rows (default: the function)")

    _callable: Callable | None = PrivateAttr(None)

    @field_validator("function")
    @classmethod
    def _module_colon_function(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", value):
            raise ValueError("expected 'module:function', e.g. 'my_checks:has_citation'")
        return value

    def required_columns(self) -> list[str]:
        return []

    def setup(self) -> None:
        if self._callable is None:
            module_name, func_name = self.function.split(":")
            try:
                self._callable = getattr(importlib.import_module(module_name), func_name)
            except (ImportError, AttributeError) as exc:
                raise SieveConfigError(f"plugin '{self.function}' cannot be loaded: {exc}") from None

    def keep(self, table: pa.Table) -> KeepResult:
        self.setup()
        result = self._callable(table)
        if isinstance(result, KeepResult):
            return result
        keep = np.asarray(result, dtype=bool)
        if keep.shape != (table.num_rows,):
            raise SieveConfigError(f"plugin '{self.function}' returned {keep.shape} values for {table.num_rows} rows")
        reason = self.reason or f"plugin {self.function}"
        return _verdict(~keep, reason, [None] * len(keep), f"plugin {self.function}")


_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_CODE_LINE = re.compile(r"^\s*(?:[{}()\[\];<>#$]|def |class |import |from |return |for |if |while |var |let |const |function |SELECT |\w+\s*=\s*\S).*$",
                        re.MULTILINE)


def code_fraction(text: str) -> float:
    """Share of characters inside code fences or on code-looking lines (a guard, not a metric)."""
    if not text:
        return 0.0
    fenced = sum(len(m) for m in _FENCE.findall(text))
    rest = _FENCE.sub("", text)
    code_lines = sum(len(m) for m in _CODE_LINE.findall(rest))
    return min(1.0, (fenced + code_lines) / len(text))


@register
class LanguageDriftFilter(Filter):
    """Drop rows whose response language differs from the prompt language.

    Guards keep rows where language ID is unreliable: short texts, code-heavy answers, and
    low-confidence (mixed-language) detections when a confidence column is available.
    """

    name: ClassVar[str] = "language_drift"
    title: ClassVar[str] = "Language drift"

    prompt_column: str = Field("prompt_language", description="Language of the prompt (metric column)")
    response_column: str = Field("response_language", description="Language of the response (metric column)")
    confidence_column: str | None = Field("response_language_score", description=(
        "Confidence of the response language (metric column); below min_confidence the answer is "
        "treated as mixed and kept. Ignored when the column is absent."))
    min_confidence: float = Field(0.5, ge=0, le=1, description="Below this confidence, do not judge")
    min_chars: int = Field(20, ge=0, description="Prompts or responses shorter than this are not judged")
    max_code_fraction: float = Field(0.5, ge=0, le=1, description="Responses with more code than this are not judged")

    def required_columns(self) -> list[str]:
        return [self.prompt_column, self.response_column]

    def keep(self, table: pa.Table) -> KeepResult:
        prompt_col = require_column(table, self.prompt_column, self.name)
        response_col = require_column(table, self.response_column, self.name)
        differs = pc.fill_null(pc.and_(pc.not_equal(prompt_col, response_col),
                                       pc.and_(pc.not_equal(prompt_col, "unknown"), pc.not_equal(response_col, "unknown"))),
                               False).to_numpy(zero_copy_only=False)
        if self.confidence_column and self.confidence_column in table.column_names:
            confidence = pc.cast(table.column(self.confidence_column), pa.float64()).to_numpy(zero_copy_only=False)
            differs &= confidence >= self.min_confidence  # NaN (no detection) never passes
        dropped = np.zeros(table.num_rows, bool)
        candidates = np.flatnonzero(differs)
        if candidates.size:
            # Texts only for the few rows whose languages differ: the guards are cheap there.
            subset = table.take(pa.array(candidates))
            prompts, responses = role_texts(subset, "prompt"), role_texts(subset, "response")
            for row, p, r in zip(candidates, prompts, responses):
                if len(p.strip()) < self.min_chars or len(r.strip()) < self.min_chars:
                    continue
                if code_fraction(r) > self.max_code_fraction:
                    continue
                dropped[row] = True
        values = np.full(table.num_rows, None, dtype=object)
        if dropped.any():
            rows = pa.array(np.flatnonzero(dropped))
            values[dropped] = [f"{p}->{r}" for p, r in zip(prompt_col.take(rows).to_pylist(),
                                                            response_col.take(rows).to_pylist())]
        return _verdict(dropped, "language drift", values,
                        f"response language = prompt language (min {self.min_chars} chars, "
                        f"code <= {self.max_code_fraction:g}, confidence >= {self.min_confidence:g})")
