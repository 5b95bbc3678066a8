"""Clean & Export page: sliders re-filter cached columns, and the page's recipe runs the same in the CLI."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cli import main
from core.filters import ThresholdFilter
from core.load import load_dataset, load_sample, write_dataset
from core.metrics.refusal import Refusal
from core.recipe import Recipe
from core.scoring import score_table

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/clean_export.py"
KEPT_IDS = "clean.kept_ids"


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_value(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


def slider(at: AppTest, label: str):
    return next(s for s in at.slider if s.label == label)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return open_page()


def test_moving_the_refusal_slider_drops_what_the_core_drops(page):
    at = page
    assert metric_value(at, "Kept rows") == metric_value(at, "Input rows")
    slider(at, "Refusal score at most").set_value(0.5).run()
    assert not at.exception
    sample = load_sample().dataset.table
    scores = score_table(sample, [Refusal()])["refusal_score"]
    expected = int(ThresholdFilter(column="refusal_score", max=0.5).keep(sample.append_column("refusal_score", scores)).keep.sum())
    assert metric_value(at, "Kept rows") == expected < sample.num_rows
    # the planted refusals from sample_data/README.md are among the dropped rows
    assert {"alp-0088", "oai-0034", "sg-0010", "sg-0050", "oai-0079"}.isdisjoint(at.session_state[KEPT_IDS])
    recipe = Recipe.model_validate(at.session_state["sieve.recipe"])
    assert [(s.kind, s.name) for s in recipe.steps] == [("metric", "refusal"), ("filter", "threshold")]


def test_search_explains_why_a_row_went(page):
    at = page
    at.text_input(key="clean.search").set_value("oai-0034").run()
    assert any("Dropped by **refusal_score**" in w.value for w in at.warning)


def test_parity_page_recipe_gives_the_same_kept_ids_in_the_cli(page, tmp_path, capsys):
    at = page
    at.selectbox(key="clean.dedup").set_value("exact").run()
    next(t for t in at.toggle if t.label.startswith("Drop rows where unclosed code fence")).set_value(True).run()
    slider(at, "Response tokens (mistral) between").set_value((5, slider(at, "Response tokens (mistral) between").max)).run()
    at.text_input(key="clean.rx.banned").set_value(r"\bSELECT\b").run()
    assert not at.exception, [e.value for e in at.exception]
    page_ids = list(at.session_state[KEPT_IDS])
    recipe = Recipe.model_validate(at.session_state["sieve.recipe"])
    assert {s.kind for s in recipe.steps} == {"metric", "dedup", "filter"}

    recipe_path, data_path, out_path = tmp_path / "recipe.yaml", tmp_path / "sample.parquet", tmp_path / "clean.jsonl"
    recipe_path.write_text(recipe.to_yaml())
    write_dataset(load_sample().dataset.table, data_path, to="parquet")
    assert main(["run", str(recipe_path), "--input", str(data_path), "--output", str(out_path), "--json",
                 "--batch-size", "64"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kept_rows"] == len(page_ids) == metric_value(at, "Kept rows")
    assert load_dataset(out_path).dataset.ids == page_ids
    reasons = summary["by_reason"]
    assert reasons["exact: duplicate"] >= 5 and reasons["has_unclosed_code_fence=true"] >= 1
    assert reasons["response_tokens<5"] >= 1 and reasons["refusal_score>0.5"] >= 1
    assert any(r.startswith("response matches") for r in reasons)


def test_saved_recipe_runs_and_plugins_are_refused(page):
    at = page
    plugin = "version: 1\nsteps:\n  - {kind: filter, name: plugin, params: {function: 'os:getcwd'}}\n"
    at.text_area(key="clean.recipe_text").set_value(plugin).run()
    assert any("--allow-plugins" in e.value and "line 3" in e.value for e in at.error)
    refusals = ("version: 1\nsteps:\n  - {kind: metric, name: refusal}\n"
                "  - {kind: filter, name: threshold, params: {column: refusal_score, max: 0.5}}\n")
    at.text_area(key="clean.recipe_text").set_value(refusals).run()
    assert not at.exception
    sample = load_sample().dataset.table
    scores = score_table(sample, [Refusal()])["refusal_score"]
    kept = int((scores.to_numpy() <= 0.5).sum())
    assert any(f"{kept:,} of {sample.num_rows:,} rows kept" in s.value for s in at.success)
