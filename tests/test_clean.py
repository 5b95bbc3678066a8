"""The page's core: widgets from ColumnSpecs, the filter a setting means, and refilter == the engine."""

import numpy as np
import pyarrow as pa

from core.clean import (column_stats, dedup_ledger, filter_for_setting, needed_metrics, page_recipe, refilter,
                        toggle_label, widget_kind)
from core.engine.local import run_table
from core.ledger import assert_accounted
from core.filters import CategoryFilter, ThresholdFilter
from core.metrics.entropy import Entropy
from core.metrics.length import TextLength
from core.metrics.refusal import Refusal, RepeatedResponse
from core.schema import message, records_to_table
from core.steps import ColumnSpec

LOWER = ColumnSpec(name="response_toxicity", dtype="float", description="", better="lower", range=(0.0, 1.0))
HIGHER = ColumnSpec(name="response_entropy_bits", dtype="float", description="", better="higher")
NEUTRAL = ColumnSpec(name="response_tokens", dtype="int", description="")
CATEGORY = ColumnSpec(name="json_state", dtype="category", description="")
BAD_FLAG = ColumnSpec(name="has_unclosed_code_fence", dtype="bool", description="", better="lower")
GOOD_FLAG = ColumnSpec(name="is_language_reliable", dtype="bool", description="", better="higher")


def test_widget_kind_follows_the_spec_not_the_name():
    assert [widget_kind(s) for s in (LOWER, HIGHER, NEUTRAL, CATEGORY, BAD_FLAG)] == \
           ["max", "min", "range", "multiselect", "toggle"]
    assert widget_kind(ColumnSpec(name="x", dtype="float", description="", filterable=False)) is None
    assert widget_kind(ColumnSpec(name="x", dtype="list", description="")) is None


def test_slider_bounds_snap_to_a_grid_and_include_the_natural_range():
    stats = column_stats(LOWER, pa.chunked_array([[0.013, 0.42, None]]))
    assert (stats.low, stats.high, stats.step) == (0.0, 1.0, 0.01)
    ints = column_stats(NEUTRAL, pa.chunked_array([[3, 4000]]))
    assert (ints.low, ints.high, ints.step) == (3.0, 4000.0, 1.0)
    assert column_stats(CATEGORY, pa.chunked_array([["none", "valid", "none", None]])).categories == ["none", "valid"]


def test_settings_at_their_defaults_mean_no_filter():
    stats = column_stats(LOWER, pa.chunked_array([[0.1, 0.9]]))
    assert filter_for_setting(LOWER, stats, stats.high) is None
    assert filter_for_setting(LOWER, stats, 0.2) == ThresholdFilter(column="response_toxicity", max=0.2)
    hstats = column_stats(HIGHER, pa.chunked_array([[2.0, 6.0]]))
    assert filter_for_setting(HIGHER, hstats, 3.0) == ThresholdFilter(column="response_entropy_bits", min=3.0)
    nstats = column_stats(NEUTRAL, pa.chunked_array([[3, 4000]]))
    assert filter_for_setting(NEUTRAL, nstats, (3, 4000)) is None
    assert filter_for_setting(NEUTRAL, nstats, (3, 2048)) == ThresholdFilter(column="response_tokens", max=2048)
    cstats = column_stats(CATEGORY, pa.chunked_array([["none", "valid", "invalid"]]))
    assert filter_for_setting(CATEGORY, cstats, ["none", "valid", "invalid"]) is None
    assert filter_for_setting(CATEGORY, cstats, ["valid"]) == CategoryFilter(column="json_state", allowed=["valid"])


def test_toggles_drop_the_bad_side():
    assert filter_for_setting(BAD_FLAG, None, True) == CategoryFilter(column="has_unclosed_code_fence", blocked=[True])
    assert filter_for_setting(GOOD_FLAG, None, True) == CategoryFilter(column="is_language_reliable", blocked=[False])
    assert filter_for_setting(BAD_FLAG, None, False) is None
    assert toggle_label(GOOD_FLAG) == "Drop rows where is language reliable is false"


def _table():
    canned = "Thanks, please see our FAQ."
    answers = ["Sure, here it is.", "I'm sorry, but I can't help with that.", canned, canned, canned, "Too short"]
    table = records_to_table([{"id": f"r{i}", "messages": [message("user", f"q{i}"), message("assistant", a)]}
                              for i, a in enumerate(answers)])
    return table


def test_refilter_matches_the_engine_on_the_same_recipe():
    table = _table()
    dedup = RepeatedResponse(min_prompts=3)
    filters = [ThresholdFilter(column="refusal_score", max=0.5), ThresholdFilter(column="response_words", min=3)]
    recipe = page_recipe([Refusal(), TextLength(), Entropy()], [dedup], filters)
    assert [s.name for s in recipe.steps] == ["refusal", "text_length", "repeated_response", "threshold", "threshold"]
    steps = recipe.build_steps()
    scored = run_table(steps[:2], table)[0]  # the page has the metric columns cached
    outcome = refilter(scored, steps, {"repeated_response": dedup_ledger(scored, dedup, "repeated_response")})
    kept, ledger, summary = run_table(steps, table, batch_size=2)
    assert outcome.kept_ids() == kept.column("id").to_pylist() == ["r0", "r2"]
    assert sorted(outcome.ledger.column("reason").to_pylist()) == sorted(ledger.column("reason").to_pylist())
    assert outcome.funnel == summary.funnel == [("input", 6), ("repeated_response", 4), ("refusal_score", 3),
                                                ("response_words", 2)]
    assert outcome.kept_head(2).column("id").to_pylist() == ["r0", "r2"]
    assert_accounted(table.column("id").to_pylist(), outcome.kept_ids(), outcome.ledger)
    assert_accounted(table.column("id").to_pylist(), kept.column("id").to_pylist(), ledger)


def test_needed_metrics_only_those_the_filters_read():
    assert needed_metrics([Refusal()], [ThresholdFilter(column="response_tokens", max=3)]) == []
    assert needed_metrics([Refusal()], [ThresholdFilter(column="refusal_score", max=0.3)]) == [Refusal()]


def test_page_recipe_keeps_the_metric_a_stratified_split_needs():
    from core.metrics.validity import Validity
    from core.recipe import ExportSettings, Split
    export = ExportSettings(split=Split(validation_fraction=0.1, stratify_by="json_state"))
    recipe = page_recipe([Refusal(), Validity()], [], [ThresholdFilter(column="refusal_score", max=0.5)], export)
    assert [s.name for s in recipe.steps] == ["refusal", "validity", "threshold"]
    recipe.build_steps()


def test_verdict_cache_re_evaluates_only_changed_filters():
    from core.clean import VerdictCache
    from core.filters import RegexFilter

    calls = []

    class CountingRegex(RegexFilter):
        def keep(self, table):
            calls.append(self.pattern)
            return super().keep(table)

    table = run_table([Refusal()], _table())[0]
    cache = VerdictCache()
    regex = CountingRegex(pattern="FAQ")
    first = refilter(table, [regex, ThresholdFilter(column="refusal_score", max=0.5)], {}, cache.verdict_of("t1"))
    moved = refilter(table, [regex, ThresholdFilter(column="refusal_score", max=0.99)], {}, cache.verdict_of("t1"))
    assert calls == ["FAQ"]                     # the slider move did not re-run the regex
    assert first.kept_ids() == ["r0", "r5"] and moved.kept_ids() == ["r0", "r5"]
    refilter(table, [regex], {}, cache.verdict_of("t2"))  # other metric columns: evaluated again
    assert calls == ["FAQ", "FAQ"]


def test_reasons_and_labels_read_as_words_but_keep_the_column_in_the_ledger():
    from core.clean import readable_reason, widget_label
    titles = {"refusal_score": "Refusal score", "json_state": "JSON in response", "refusal": "Never matched"}
    assert readable_reason("refusal_score>0.5", titles) == "Refusal score > 0.5"
    assert readable_reason("json_state=invalid", titles) == "JSON in response = invalid"
    assert readable_reason("refusal_score missing", titles) == "Refusal score missing"
    assert readable_reason("exact: duplicate", titles) == "exact: duplicate"
    assert widget_label(LOWER) == "Response toxicity at most"  # no label: the name made readable
    assert widget_label(Refusal().columns()[0]) == "Refusal score at most"
    assert toggle_label(BAD_FLAG) == "Drop rows where has unclosed code fence is true"


def test_a_recipe_splits_into_widget_settings_and_extra_steps():
    from core.clean import recipe_widgets, setting_for_filter
    from core.recipe import Recipe
    from core.metrics.validity import Validity

    entries = [Refusal().to_entry(), Validity().to_entry(), TextLength().to_entry(),
               {"kind": "metric", "name": "entropy", "params": {"ngram_sizes": [5]}},       # other params: extra
               {"kind": "dedup", "name": "exact", "params": {"keep": "longest"}},
               {"kind": "dedup", "name": "minhash", "params": {"threshold": 0.7}},         # a second dedup: extra
               {"kind": "filter", "name": "threshold", "params": {"column": "refusal_score", "max": 0.4}},
               {"kind": "filter", "name": "threshold", "params": {"column": "refusal_score", "min": 0.1}},  # extra
               {"kind": "filter", "name": "category", "params": {"column": "has_unclosed_code_fence", "blocked": [True]}},
               {"kind": "filter", "name": "category", "params": {"column": "json_state", "allowed": ["none", "valid"]}},
               {"kind": "filter", "name": "threshold", "params": {"column": "response_words", "min": 3, "drop_missing": True}},
               {"kind": "filter", "name": "threshold", "params": {"column": "response_dup_5gram_char_frac", "max": 0.3}},
               {"kind": "filter", "name": "regex", "params": {"pattern": "FAQ", "field": "response", "mode": "must_not_match"}},
               {"kind": "transform", "name": "redact_pii", "params": {"actions": {"email": "fake"}, "salt": "s1"}}]
    recipe = Recipe.model_validate({"version": 1, "steps": entries})
    offered = {"refusal": {}, "validity": {}, "text_length": {}, "entropy": {}}
    specs = {s.name: s for m in (Refusal(), Validity(), TextLength(), Entropy()) for s in m.columns() if widget_kind(s)}
    w = recipe_widgets(recipe, offered, specs)
    assert w.metrics == ["refusal", "validity", "text_length"]
    assert sorted(w.column_filters) == ["has_unclosed_code_fence", "json_state", "refusal_score"]
    assert w.dedup == {"method": "exact", "keep": "longest"}
    assert w.regex == {"field": "response", "banned": "FAQ", "required": ""}
    assert w.redact == {"actions": {"email": "fake"}, "salt": "s1"}
    assert [e["name"] for e in w.extra] == ["entropy", "minhash", "threshold", "threshold", "threshold"]
    assert [e["params"].get("column") for e in w.extra[2:]] == ["refusal_score", "response_words",
                                                               "response_dup_5gram_char_frac"]
    stats = column_stats(specs["refusal_score"], pa.chunked_array([[0.0, 0.9]]))
    assert setting_for_filter(specs["refusal_score"], stats, {"max": 0.4}) == 0.4
    assert setting_for_filter(specs["refusal_score"], stats, {"max": 7.0}) == 1.0  # clamped to the slider
    words = column_stats(specs["response_words"], pa.chunked_array([[2, 80]]))
    assert setting_for_filter(specs["response_words"], words, {"min": 5}) == (5, 80)


def test_page_recipe_runs_transforms_last_and_keeps_extra_metrics():
    from core.transforms.pii_redact import RedactPii
    redact = RedactPii(actions={"email": "redact"}, salt="x")
    recipe = page_recipe([Refusal()], [], [ThresholdFilter(column="refusal_score", max=0.5)],
                         extra_metrics=[Entropy()], transforms=[redact])
    assert [(s.kind, s.name) for s in recipe.steps] == [("metric", "refusal"), ("metric", "entropy"),
                                                        ("filter", "threshold"), ("transform", "redact_pii")]


def test_dedup_keeps_the_first_row_by_position_even_when_the_data_has_an_order_column():
    from core.steps import build_step
    from tests.dedup.near_duplicates import conversation_table

    table = conversation_table(["same question", "other question", "same question"], ids=["a", "b", "c"])
    table = table.append_column("order", pa.array([30, 20, 10], pa.int64()))  # a user column, not the run order
    step = build_step("dedup", "exact", {"keep": "first"})
    page = dedup_ledger(table, step, "exact")
    kept, engine, _ = run_table([step], table, batch_size=2)
    assert page.column("id").to_pylist() == engine.column("id").to_pylist() == ["c"]
    assert page.column("kept_id").to_pylist() == ["a"]
    assert kept.column("id").to_pylist() == ["a", "b"]
