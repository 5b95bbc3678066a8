"""Safety page on the bundled sample: scorer named, threshold counts match core, PII actions proposed."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.load import load_sample
from core.scoring import score_table
from core.steps import build_step

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/safety.py").run()
    assert not at.exception, at.exception
    return at


def metric_value(at, label):
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def sample_scores():
    dataset = load_sample().dataset
    return score_table(dataset.table, [build_step("metric", "toxicity"), build_step("metric", "pii")])


def test_the_page_says_which_scorer_produced_the_numbers(page):
    assert any("profanity-check" in info.value for info in page.info)
    assert not any("Detoxify" in info.value for info in page.info)


def test_threshold_slider_counts_match_the_core(page, sample_scores):
    response = sample_scores["response_toxicity"].to_numpy(zero_copy_only=False)
    for threshold in (0.5, 0.2):
        page.slider(key="safety_threshold").set_value(threshold).run()
        assert not page.exception
        expected = int(np.sum(np.nan_to_num(response, nan=-1) > threshold))
        assert metric_value(page, "Responses above") == f"{expected:,}"


def test_pii_counts_and_proposed_actions(page, sample_scores):
    rows_with_pii = int(np.sum(sample_scores["pii_count"].to_numpy() > 0))
    assert metric_value(page, "Rows with PII") == f"{rows_with_pii:,}"
    assert rows_with_pii >= 6                      # the sample's six planted PII rows at least
    page.selectbox(key="safety_action_email").set_value("drop").run()
    page.button(key="safety_pii_propose").click().run()
    assert not page.exception
    proposed = page.session_state["sieve.safety_steps"]["pii"]
    assert [(e["kind"], e["name"]) for e in proposed] == [("metric", "pii"), ("filter", "threshold"),
                                                          ("transform", "redact_pii")]
    assert proposed[1]["params"] == {"column": "pii_email_count", "max": 0}
    assert proposed[2]["params"]["actions"]["credit_card"] == "redact"


def test_profanity_tab_finds_the_planted_words(page):
    assert int(metric_value(page, "Responses with profanity")) >= 3   # crap, shit, bloody hell
    assert int(metric_value(page, "Prompts with profanity")) >= 1     # the hell


def test_detoxify_scorer_without_checkpoint_explains_and_with_one_shows_every_class(tmp_path):
    from tests.safety.tiny_detoxify import build_tiny_detoxify

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/safety.py").run()
    at.selectbox(key="safety_scorer").set_value("detoxify-original").run()
    assert not at.exception
    assert any("never downloads" in w.value for w in at.warning)
    checkpoint, config_dir = build_tiny_detoxify(tmp_path)
    at.text_input(key="safety_ckpt").input(str(checkpoint))
    at.text_input(key="safety_hf_dir").input(str(config_dir)).run()
    assert not at.exception, at.exception
    assert any("Detoxify original" in info.value for info in at.info)
    assert at.selectbox(key="safety_class").options == [
        "toxicity", "severe toxicity", "obscene", "threat", "insult", "identity attack"]
