"""Synthesize page against the scripted OpenAI-compatible server: connection test, a small run, add rows."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.load import load_sample
from tests.synth.fake_openai import fake_server  # noqa: F401  (fixture)

APP = str(Path(__file__).resolve().parents[2] / "app.py")
KEY = "sk-page-71c0ffee-memory-only"


def open_page(url: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/synthesize.py").run()
    at.text_input(key="synth.base_url").set_value(url)
    at.text_input(key="synth.model").set_value("fake-small")
    at.radio(key="synth.key_mode").set_value("Typed here (kept in memory only)").run()
    at.text_input(key="synth.api_key").set_value(KEY)
    return at


def test_connection_test_lists_the_models(fake_server):
    at = open_page(fake_server.url)
    at.button(key="synth.test").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Connected: 2 models (fake-small, fake-teacher)"]
    assert fake_server.models_requests == 1 and fake_server.auth_headers == [f"Bearer {KEY}"]


def test_connection_failure_is_an_error_not_a_traceback():
    at = open_page("http://127.0.0.1:9/v1")
    at.button(key="synth.test").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Connection failed: cannot reach http://127.0.0.1:9/v1")


def test_small_run_then_add_accepted_rows_to_the_dataset(fake_server, tmp_path, monkeypatch):
    monkeypatch.setenv("SIEVE_CACHE_DIR", str(tmp_path))
    sample_rows = load_sample().dataset.num_rows
    at = open_page(fake_server.url)
    at.text_area(key="synth.topics").set_value("tides\nvolcanoes\nglaciers")
    at.number_input(key="synth.rows").set_value(3)
    at.button(key="synth.run").click().run()
    assert not at.exception
    result = at.session_state["sieve.synth_result"]
    assert len(result["accepted"]) == 3 and result["rejected"] == []
    assert len(fake_server.chat_requests) == 9  # instruction, completion, judge per row
    assert [m.value for m in at.metric][:2] == ["3", "0"]

    at.button(key="synth.add").click().run()
    assert not at.exception
    dataset = at.session_state["sieve.load_result"].dataset
    assert dataset.num_rows == sample_rows + 3
    assert dataset.ids[-3:] == [r["id"] for r in result["accepted"]]
    assert at.success[-1].value == f"Added 3 rows; the dataset now has {sample_rows + 3:,} rows."
    # the typed key reached the server and no file
    assert set(fake_server.auth_headers) == {f"Bearer {KEY}"}
    assert [p for p in tmp_path.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()] == []


def test_evolve_and_distil_chosen_rows_of_the_current_dataset(fake_server, tmp_path, monkeypatch):
    monkeypatch.setenv("SIEVE_CACHE_DIR", str(tmp_path))
    chosen = load_sample().dataset.ids[:2]
    at = open_page(fake_server.url)
    at.radio(key="synth.source").set_value("dataset").run()
    at.text_area(key="synth.ids").set_value(", ".join(chosen))
    at.text_input(key="synth.teacher").set_value("fake-teacher")
    at.number_input(key="synth.evol").set_value(1)
    at.button(key="synth.run").click().run()
    assert not at.exception
    accepted = at.session_state["sieve.synth_result"]["accepted"]
    assert [r["meta"]["synth"]["source_id"] for r in accepted] == chosen
    assert all(len(r["meta"]["synth"]["evol"]) == 1 and r["meta"]["synth"]["teacher"] == "fake-teacher"
               for r in accepted)
    # per row: one Evol rewrite by the generator, one answer by the teacher, one judgement
    assert [b["model"] for b in fake_server.chat_requests] == ["fake-small"] * 2 + ["fake-teacher"] * 2 + ["fake-small"] * 2


def test_a_missing_key_variable_is_explained_in_the_pages_terms(monkeypatch):
    monkeypatch.delenv("SIEVE_QA_UNSET_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/synthesize.py").run()
    at.text_input(key="synth.base_url").set_value("http://127.0.0.1:9/v1")
    at.radio(key="synth.key_mode").set_value("From an environment variable").run()
    at.text_input(key="synth.key_env").set_value("SIEVE_QA_UNSET_KEY")
    at.button(key="synth.run").click().run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("environment variable SIEVE_QA_UNSET_KEY (api_key_env) is not set")
    assert "pick 'None (local server)' under API key" in message and "api_key_env: null" not in message
