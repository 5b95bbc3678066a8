"""The Duplicates page on the bundled sample: planted duplicates are found; the threshold moves totals."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytest.importorskip("core.load")

ROOT = Path(__file__).resolve().parents[2]
PLANTED_EXACT = {"alp-0025", "alp-0060", "alp-0039", "sg-0062", "oai-0051", "sg-0072", "oai-0069"}
PLANTED_NEAR = {"oai-0041", "oai-0021", "oai-0032", "sg-0077", "alp-0020"}


def metric_values(at):
    return {m.label: m.value for m in at.metric}


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/duplicates.py")
    at.run()
    assert not at.exception
    return at


def test_exact_finds_the_planted_exact_duplicates(page):
    page.radio(key="dedup_method").set_value("exact").run()
    page.selectbox(key="dedup_fields").set_value("conversation").run()
    assert not page.exception and not page.error
    values = metric_values(page)
    from core.dedup.runner import deduplicate
    from core.load import load_sample
    from core.steps import build_step
    table = load_sample().dataset.table
    expected = deduplicate(table, build_step("dedup", "exact", {"fields": "conversation"}))
    assert values["Rows"] == f"{table.num_rows:,}"
    assert PLANTED_EXACT <= expected.dropped_ids
    assert int(values["Duplicates (would be dropped)"]) == expected.ledger.num_rows
    assert int(values["Clusters"]) >= 6
    # the first cluster opens with the kept row and a member side by side
    assert "similarity to kept" in " ".join(m.value for m in page.markdown)


def test_minhash_finds_planted_near_duplicates_and_threshold_moves_totals(page):
    from core.dedup.runner import deduplicate
    from core.load import load_sample
    from core.steps import build_step

    page.radio(key="dedup_method").set_value("minhash").run()
    page.selectbox(key="dedup_fields").set_value("conversation").run()
    assert not page.exception
    loose = int(metric_values(page)["Duplicates (would be dropped)"])
    expected = deduplicate(load_sample().dataset.table,
                           build_step("dedup", "minhash", {"fields": "conversation", "threshold": 0.7}))
    assert loose == expected.ledger.num_rows
    assert (PLANTED_EXACT | PLANTED_NEAR) <= expected.dropped_ids
    page.slider(key="dedup_threshold_minhash").set_value(0.95).run()
    strict = int(metric_values(page)["Duplicates (would be dropped)"])
    assert strict < loose
    assert strict >= len(PLANTED_EXACT)


def test_keep_best_score_computes_the_metric_and_matches_core(page):
    from core.dedup.keep import score_metrics
    from core.dedup.runner import deduplicate
    from core.load import load_sample
    from core.scoring import score_table
    from core.steps import build_step

    page.radio(key="dedup_method").set_value("minhash").run()
    page.selectbox(key="dedup_fields").set_value("instruction").run()
    page.slider(key="dedup_threshold_minhash").set_value(0.5).run()
    page.selectbox(key="dedup_keep").set_value("best_score").run()
    page.selectbox(key="dedup_score_column").set_value("prompt_chars").run()
    assert not page.exception and not page.error
    shown = page.dataframe[0].value
    table = load_sample().dataset.table
    table = table.append_column("prompt_chars", score_table(table, [score_metrics()["prompt_chars"]])["prompt_chars"])
    expected = deduplicate(table, build_step("dedup", "minhash", {"fields": "instruction", "threshold": 0.5,
                                                                  "keep": "best_score", "score_column": "prompt_chars"}))
    assert sorted(shown["kept id"]) == sorted(set(expected.ledger.column("kept_id").to_pylist()))
    assert int(metric_values(page)["Duplicates (would be dropped)"]) == expected.ledger.num_rows
