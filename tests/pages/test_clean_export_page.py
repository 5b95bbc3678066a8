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
    assert any("Dropped by **Refusal score** (`refusal_score`): refusal_score>0.5" in w.value for w in at.warning)


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
    saved_run = at.session_state["clean.saved_run"]
    at.slider(key="clean.val").set_value(0.1).run()  # a page widget moves: the saved recipe is not re-run
    assert at.session_state["clean.saved_run"] is saved_run
    assert any(f"{kept:,} of {sample.num_rows:,} rows kept" in s.value for s in at.success)


def kept_after(steps: list) -> list[str]:
    from core.engine.local import run_table
    kept, _, _ = run_table(steps, load_sample().dataset.table)
    return kept.column("id").to_pylist()


def test_safety_proposals_join_the_recipe_and_can_be_removed():
    from core.steps import build_step
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    proposal = [build_step("metric", "profanity").to_entry(),
                {"kind": "filter", "name": "threshold", "params": {"column": "response_profanity_count", "max": 0}}]
    at.session_state["sieve.safety_steps"] = {"profanity": proposal}
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    recipe = Recipe.model_validate(at.session_state["sieve.recipe"])
    entries = [s.model_dump() for s in recipe.steps]
    assert entries[-1] == build_step("filter", "threshold", proposal[1]["params"]).to_entry()
    assert proposal[0] in entries
    expected = kept_after(Recipe.model_validate({"steps": proposal}).build_steps())
    assert list(at.session_state[KEPT_IDS]) == expected and len(expected) < load_sample().dataset.num_rows
    assert any("Safety page: profanity" in m.value for m in at.markdown)
    next(b for b in at.button if b.key.startswith("clean.outside.rm.")).click().run()
    assert at.session_state["sieve.safety_steps"] == {}
    assert metric_value(at, "Kept rows") == load_sample().dataset.num_rows


def test_recipe_round_trip_restores_the_widgets_and_the_kept_rows(tmp_path, capsys):
    at = open_page()
    slider(at, "Refusal score at most").set_value(0.4).run()
    next(t for t in at.toggle if t.label.startswith("Drop rows where unclosed code fence")).set_value(True).run()
    at.selectbox(key="clean.dedup").set_value("exact").run()
    at.selectbox(key="clean.dedup.keep").set_value("longest").run()
    at.text_input(key="clean.rx.banned").set_value(r"\bSELECT\b").run()
    at.toggle(key="clean.redact").set_value(True).run()
    at.selectbox(key="clean.redact.email").set_value("fake").run()
    at.slider(key="clean.val").set_value(0.1).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("rewritten" in c.value for c in at.caption)  # the redaction preview found a row with PII
    widget_keys = ["clean.metrics", "clean.f.refusal_score", "clean.f.has_unclosed_code_fence", "clean.dedup",
                   "clean.dedup.keep", "clean.rx.field", "clean.rx.banned", "clean.redact", "clean.redact.email",
                   "clean.redact.person", "clean.redact.salt", "clean.val", "clean.format", "clean.ws"]
    before = {k: at.session_state[k] for k in widget_keys}
    kept_before = list(at.session_state[KEPT_IDS])
    yaml_text = Recipe.model_validate(at.session_state["sieve.recipe"]).to_yaml()
    assert "redact_pii" in yaml_text

    fresh = open_page()
    fresh.text_area(key="clean.recipe_text").set_value(yaml_text).run()
    fresh.button(key="clean.recipe_load").click().run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    assert any("kept as extra steps" in s.value for s in fresh.success)
    assert {k: fresh.session_state[k] for k in widget_keys} == before
    assert list(fresh.session_state[KEPT_IDS]) == kept_before
    assert Recipe.model_validate(fresh.session_state["sieve.recipe"]).to_yaml() == yaml_text

    # the exported text is redacted in the CLI as on the page: an e-mail of the sample becomes a fake one
    recipe_path, data_path, out_path = tmp_path / "r.yaml", tmp_path / "s.parquet", tmp_path / "out.jsonl"
    recipe_path.write_text(yaml_text)
    write_dataset(load_sample().dataset.table, data_path, to="parquet")
    assert main(["run", str(recipe_path), "--input", str(data_path), "--output", str(out_path), "--json"]) == 0
    capsys.readouterr()
    exported = (tmp_path / "out.train.jsonl").read_text()
    assert "d.okoye@example.net" not in exported and "d.okoye@example.net" in (Path(APP).parent / "sample_data/sharegpt.json").read_text()


def test_steps_no_widget_expresses_are_kept_and_run():
    at = open_page()
    extra = ("version: 1\nsteps:\n  - {kind: metric, name: text_length}\n"
             "  - {kind: filter, name: threshold, params: {column: response_words, min: 40, drop_missing: true}}\n")
    at.text_area(key="clean.recipe_text").set_value(extra).run()
    at.button(key="clean.recipe_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 kept as extra steps" in s.value for s in at.success)
    steps = [s.model_dump() for s in Recipe.model_validate(at.session_state["sieve.recipe"]).steps]
    assert steps[-1]["params"]["drop_missing"] is True
    assert list(at.session_state[KEPT_IDS]) == kept_after(Recipe.from_yaml(extra).build_steps())
    at.text_area(key="clean.recipe_text").set_value(extra.replace("text_length", "plugin")).run()
    at.button(key="clean.recipe_load").click().run()
    assert any("unknown metric step 'plugin'" in e.value for e in at.error)


def test_a_dedup_added_on_the_duplicates_page_becomes_the_pages_dedup():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["sieve.recipe"] = {"version": 1, "steps": [
        {"kind": "dedup", "name": "minhash", "params": {"threshold": 0.8, "keep": "longest"}}]}
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="clean.dedup").value == "minhash"
    assert at.selectbox(key="clean.dedup.keep").value == "longest"
    assert at.slider(key="clean.dedup.minhash").value == 0.8
    steps = Recipe.model_validate(at.session_state["sieve.recipe"]).steps
    assert [(s.kind, s.name) for s in steps if s.kind == "dedup"] == [("dedup", "minhash")]
