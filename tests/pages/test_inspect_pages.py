"""Inspect pages on the bundled sample: each renders the numbers the core computes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from core.dedup.exact import ExactDedup
from core.dedup.runner import deduplicate
from core.load import load_sample
from core.metrics.length import TextLength, TokenLength
from core.metrics.summary import summarize, summary_metrics
from core.scoring import score_table

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def scored():
    """The sample with every summary metric column, as the core computes it."""
    table = load_sample().dataset.table
    columns = score_table(table, summary_metrics("mistral"))
    return pa.table({"id": table.column("id"), **columns})


@pytest.fixture(scope="module")
def summary(scored):
    return summarize(scored)


def open_page(page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def kpis(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def column(scored: pa.Table, name: str) -> np.ndarray:
    return scored.column(name).to_numpy(zero_copy_only=False)


def test_overview_shows_core_numbers_and_the_planted_problems(scored, summary):
    app = open_page("pages/overview.py")
    shown = kpis(app)
    assert shown["Conversations"] == f"{scored.num_rows:,}"
    assert shown["Median tokens"] == f"{summary['tokens']['total']['p50']:,.0f}"
    assert shown["Valid JSON"] == f"{summary['json']['valid_json_pct']} %"
    assert shown["Mean entropy (bits)"] == f"{summary['entropy']['mean_response_entropy_bits']:.2f}"
    labels = " | ".join(e.label for e in app.expander)
    duplicates = deduplicate(load_sample().dataset.table, ExactDedup(fields="conversation")).ledger.num_rows
    assert f"Exact duplicate conversations: {duplicates:,}" in labels
    assert f"Broken JSON: {int((column(scored, 'json_state') == 'broken').sum())}" in labels
    assert f"Unclosed code fences: {int(column(scored, 'has_unclosed_code_fence').sum())}" in labels
    assert f"Language mismatches: {int(column(scored, 'is_language_mismatch').sum())}" in labels
    # Every language, not only the top few the summary keeps; "unknown" (no prose) is not a language.
    languages = set(column(scored, "response_language")) - {"unknown"}
    assert shown["Response languages"] == f"{len(languages):,}"


def test_core_finds_the_problems_planted_in_the_sample(scored):
    """sample_data/README.md plants these; the Overview lists what the core flags."""
    ids = np.array(scored.column("id").to_pylist())
    flagged = lambda mask: set(ids[mask])  # noqa: E731
    assert {"alp-0056", "oai-0023", "alp-0078"} <= flagged(column(scored, "json_state") == "broken")
    assert {"alp-0059", "oai-0072", "sg-0009"} <= flagged(column(scored, "has_unclosed_code_fence"))
    assert {"alp-0118", "oai-0016", "sg-0057"} <= flagged(column(scored, "is_language_mismatch"))
    assert not {"alp-0062", "oai-0064"} & flagged(column(scored, "is_language_mismatch"))  # price maths, in English
    assert {"alp-0031", "oai-0058"} <= flagged(column(scored, "response_words") <= 2)


def test_token_lengths_page_follows_the_context_length_and_tokenizer(scored):
    app = open_page("pages/token_lengths.py")
    total = column(scored, "total_tokens")
    assert kpis(app)["Total tokens"] == f"{int(total.sum()):,}"
    assert kpis(app)["Over 4,096 tokens"] == f"{int((total > 4096).sum()):,}"
    assert len(app.get("plotly_chart")) >= 2

    app.number_input(key="token_lengths_context").set_value(200).run()
    assert kpis(app)["Over 200 tokens"] == f"{int((total > 200).sum()):,}"

    app.selectbox(key="tokenizer_picker").set_value("cl100k").run()
    cl100k = score_table(load_sample().dataset.table, [TokenLength(tokenizer="cl100k")])["total_tokens"]
    assert kpis(app)["Total tokens"] == f"{int(pa.compute.sum(cl100k).as_py()):,}"
    assert kpis(app)["Total tokens"] != f"{int(total.sum()):,}"


def test_moving_the_context_length_recomputes_no_metric(monkeypatch):
    app = open_page("pages/token_lengths.py")

    def recompute(self, table):
        raise AssertionError(f"{self.name} recomputed on a widget move")
    for metric in (TokenLength, TextLength):
        monkeypatch.setattr(metric, "compute", recompute)
    app.number_input(key="token_lengths_context").set_value(200).run()
    assert not app.exception, [e.value for e in app.exception]
    assert "Over 200 tokens" in kpis(app)


def test_entropy_page(scored, summary):
    app = open_page("pages/entropy.py")
    shown = kpis(app)
    assert shown["Mean response entropy"] == f"{summary['entropy']['mean_response_entropy_bits']:.2f} bits"
    assert shown["Repetitive rows"] == f"{summary['entropy']['repetitive_rows']:,}"
    assert len(app.get("plotly_chart")) == 3


def test_validity_page(summary):
    app = open_page("pages/validity.py")
    shown = kpis(app)
    assert shown["Valid JSON"] == f"{summary['json']['valid_json_pct']} %"
    assert shown["Unclosed code fences"] == f"{summary['markdown']['unclosed_fence_rows']:,}"
    assert shown["Unbalanced tables"] == f"{summary['markdown']['unbalanced_table_rows']:,}"


def test_language_page(scored, summary):
    app = open_page("pages/language.py")
    shown = kpis(app)
    assert shown["Language mismatches"] == f"{summary['languages']['mismatch_rows']:,}"
    assert shown["Unreliable rows"] == f"{summary['languages']['unreliable_rows']:,}"
    prompt_languages = {c for c in column(scored, "prompt_language") if c != "unknown"}
    assert shown["Prompt languages"] == f"{len(prompt_languages):,}"
    # Ticking a mismatched row opens it as a conversation, named above the bubbles.
    first = np.array(scored.column("id").to_pylist())[column(scored, "is_language_mismatch")][0]
    app.session_state["language_mismatch_rows.table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    assert any(m.value == f"**Conversation `{first}`**" for m in app.markdown)
    assert len(app.chat_message) >= 2
    # Counting reliable rows only leaves the detector's guesses on short prompts ("la", "el") out.
    app.toggle(key="language_reliable_only").set_value(True).run()
    reliable = column(scored, "is_language_reliable")
    reliable_prompts = set(column(scored, "prompt_language")[reliable]) - {"unknown"}
    assert kpis(app)["Prompt languages"] == f"{len(reliable_prompts):,}" and len(reliable_prompts) < len(prompt_languages)


@pytest.mark.slow
def test_profile_page_offers_the_report_as_html():
    app = open_page("pages/profile.py")
    (button,) = app.get("download_button")
    assert button.proto.label == "Download the report (HTML)" and button.proto.url.endswith(".html")
    (frame,) = app.get("iframe")
    report = frame.proto.srcdoc
    assert "<title>Sieve metrics — sample</title>" in report and "YData Profiling" in report
    assert "response_entropy_bits" in report and "total_tokens" in report
    assert "code_languages" not in report  # free text stays out of the report


def test_profile_page_can_add_spacy_entities():
    from core.metrics.spacy_stats import SpacyStats

    app = open_page("pages/profile.py")
    app.toggle(key="profile_spacy").set_value(True).run()
    assert not app.exception, [e.value for e in app.exception]
    counts = score_table(load_sample().dataset.table, [SpacyStats()])["response_entity_labels"].to_pylist()
    labels = {item.split(":")[0] for row in counts for item in row.split(",") if item}
    bars = json.loads(app.get("plotly_chart")[0].proto.spec)["data"]
    assert {x for bar in bars for x in bar["x"]} == labels  # one bar per entity label the core finds
    assert "response_entity_count" in app.get("iframe")[0].proto.srcdoc


def test_a_tokenizer_folder_that_does_not_load_is_reported_not_kept(tmp_path):
    app = open_page("pages/token_lengths.py")
    app.selectbox(key="tokenizer_picker").set_value("local folder").run()
    app.text_input(key="tokenizer_picker_folder").set_value(str(tmp_path)).run()  # an empty folder
    assert any(str(tmp_path) in e.value for e in app.error)
    assert app.session_state["sieve.tokenizer"] != str(tmp_path)
    assert not app.exception


def test_a_row_picked_before_the_table_shrank_is_dropped_not_an_error():
    app = open_page("pages/token_lengths.py")
    app.session_state["token_over.table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    app.run()
    assert any(m.value.startswith("**Conversation `") for m in app.markdown)  # the 2nd of the 2 rows over 4,096
    app.number_input(key="token_lengths_context").set_value(8160).run()  # now 1 row is over: row 1 is gone
    assert not app.exception, [e.value for e in app.exception]
    assert not any(m.value.startswith("**Conversation `") for m in app.markdown)
