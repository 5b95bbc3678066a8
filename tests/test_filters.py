"""Generic filters over computed columns: thresholds, categories, regex, JSON Schema, languages, drift."""

import numpy as np
import pyarrow as pa
import pytest

from core.errors import SieveConfigError
from core.filters import (CategoryFilter, JsonSchemaFilter, LanguageDriftFilter, LanguagesFilter, PluginFilter,
                          RegexFilter, ThresholdFilter, code_fraction)
from core.schema import message, records_to_table
from core.steps import build_step


def table_with(responses, prompts=None, **columns):
    prompts = prompts or [f"question {i}" for i in range(len(responses))]
    table = records_to_table([{"id": f"r{i}", "messages": [message("user", p), message("assistant", r)]}
                              for i, (p, r) in enumerate(zip(prompts, responses))])
    for name, values in columns.items():
        table = table.append_column(name, pa.array(values))
    return table


def test_threshold_max_and_min_with_reasons_and_missing_values():
    table = table_with(["a"] * 5, response_toxicity=[0.1, 0.25, None, 0.2, 0.9])
    result = ThresholdFilter(column="response_toxicity", max=0.2).keep(table)
    assert result.keep.tolist() == [True, False, True, True, False]
    assert list(result.reasons) == [None, "response_toxicity>0.2", None, None, "response_toxicity>0.2"]
    assert result.threshold == "<= 0.2"
    strict = ThresholdFilter(column="response_toxicity", min=0.15, max=0.5, drop_missing=True).keep(table)
    assert strict.keep.tolist() == [False, True, False, True, False]
    assert strict.reasons[0] == "response_toxicity<0.15" and strict.reasons[2] == "response_toxicity missing"


def test_threshold_needs_a_bound_and_an_ordered_range():
    with pytest.raises(SieveConfigError, match="give min, max or both"):
        build_step("filter", "threshold", {"column": "x"})
    with pytest.raises(SieveConfigError, match="above max"):
        build_step("filter", "threshold", {"column": "x", "min": 2, "max": 1})


def test_missing_column_names_the_metric_to_add():
    table = table_with(["a"])
    with pytest.raises(SieveConfigError, match="'refusal_score': add the metric 'refusal'"):
        ThresholdFilter(column="refusal_score", max=0.5).keep(table)
    with pytest.raises(SieveConfigError, match="'nonsense_col': no registered metric computes it"):
        ThresholdFilter(column="nonsense_col", max=0.5).keep(table)


def test_category_allowed_blocked_and_bool_toggle():
    table = table_with(["a"] * 4, topic=["code", "math", None, "chat"], is_valid_json=[True, False, True, None])
    assert CategoryFilter(column="topic", allowed=["code", "chat"]).keep(table).keep.tolist() == [True, False, False, True]
    blocked = CategoryFilter(column="topic", blocked=["math"]).keep(table)
    assert blocked.keep.tolist() == [True, False, True, True] and blocked.reasons[1] == "topic=math"
    toggle = CategoryFilter(column="is_valid_json", blocked=[False]).keep(table)
    assert toggle.keep.tolist() == [True, False, True, True] and toggle.reasons[1] == "is_valid_json=false"


def test_regex_must_match_and_must_not_match_on_a_role():
    table = table_with(["See [1] for details", "no citation here", "As an AI, I think"],
                       prompts=["cite please", "x", "opinion?"])
    must = RegexFilter(pattern=r"\[\d+\]", mode="must_match", label="citation").keep(table)
    assert must.keep.tolist() == [True, False, False]
    assert must.reasons[1] == "response does not match citation"
    banned = RegexFilter(pattern="as an ai", ignore_case=True).keep(table)
    assert banned.keep.tolist() == [True, True, False]
    on_prompt = RegexFilter(pattern="^cite", field="prompt", mode="must_match").keep(table)
    assert on_prompt.keep.tolist() == [True, False, False]
    with pytest.raises(SieveConfigError, match="invalid regular expression"):
        build_step("filter", "regex", {"pattern": "(unclosed"})
    with pytest.raises(SieveConfigError, match="unknown text field"):
        build_step("filter", "regex", {"pattern": "x", "field": "answer"})


SCHEMA = {"type": "object", "required": ["name", "age"],
          "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}}


def test_json_schema_checks_json_responses_only_unless_required():
    responses = ['{"name": "Ada", "age": 36}', '{"name": "Bob"}', '```json\n{"name": "Cy", "age": -1}\n```',
                 "Just prose.", '{"name": "Dee", "age": 4']
    table = table_with(responses)
    result = build_step("filter", "json_schema", {"schema": SCHEMA}).keep(table)
    assert result.keep.tolist() == [True, False, False, True, True]
    assert result.values[1] == "(root): 'age' is a required property"
    assert result.values[2].startswith("age: -1 is less than the minimum")
    strict = JsonSchemaFilter(schema=SCHEMA, require_json=True).keep(table)
    assert strict.keep.tolist() == [True, False, False, False, False]
    assert strict.reasons[3] == "not JSON"
    assert JsonSchemaFilter(schema=SCHEMA).to_entry()["params"]["schema"] == SCHEMA
    with pytest.raises(SieveConfigError, match="invalid JSON Schema"):
        build_step("filter", "json_schema", {"schema": {"type": "nonsense"}})


def test_languages_filter_requires_a_set():
    table = table_with(["a"] * 3, response_language=["en", "fr", "de"])
    result = LanguagesFilter(allowed=["en", "fr"]).keep(table)
    assert result.keep.tolist() == [True, True, False] and result.reasons[2] == "response_language=de"


def test_language_drift_with_guards():
    long_fr = "Bonjour, voici une réponse complète et détaillée en français pour vous."
    long_en = "Please explain in detail how photosynthesis works in plants."
    code = "```python\nfor i in range(10):\n    print(i)\n```"
    prompts = [long_en, long_en, "Hi", long_en, long_en, long_en]
    responses = [long_fr, "Photosynthesis converts light into sugar in the chloroplasts.", long_fr, code, long_fr, long_fr]
    table = table_with(responses, prompts,
                       prompt_language=["en", "en", "en", "en", "en", "en"],
                       response_language=["fr", "en", "fr", "fr", "fr", None],
                       response_language_score=[0.95, 0.99, 0.95, 0.9, 0.3, None])
    result = LanguageDriftFilter().keep(table)
    # drift; same language; short prompt; code answer; low confidence (mixed); unknown
    assert result.keep.tolist() == [False, True, True, True, True, True]
    assert result.reasons[0] == "language drift" and result.values[0] == "en->fr"
    assert code_fraction(code) == 1.0 and code_fraction(long_fr) == 0.0


def test_plugin_filter_loads_module_function(tmp_path, monkeypatch):
    (tmp_path / "sieve_digit_checks.py").write_text(
        "import numpy as np\nfrom core.schema import role_texts\n"
        "def has_digit(table):\n    return np.array([any(c.isdigit() for c in t) for t in role_texts(table)])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = PluginFilter(function="sieve_digit_checks:has_digit").keep(table_with(["a1", "b"]))
    assert result.keep.tolist() == [True, False] and result.reasons[1] == "plugin sieve_digit_checks:has_digit"
    with pytest.raises(SieveConfigError, match="cannot be loaded"):
        PluginFilter(function="sieve_digit_checks:nope").setup()


def test_filters_are_fast_enough_to_be_vectorized():
    n = 100_000
    table = pa.table({"id": pa.array([str(i) for i in range(n)]), "score": pa.array(np.linspace(0, 1, n))})
    result = ThresholdFilter(column="score", max=0.25).keep(table)
    assert int((~result.keep).sum()) == n - int(np.searchsorted(np.linspace(0, 1, n), 0.25, side="right"))
