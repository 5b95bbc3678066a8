"""Load page in AppTest: sample on first visit, counts equal core's, paging and search, uploads with
bad records, format override, and a file nothing can be read from."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.load import load_sample
from ui import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")

# Four lines: two good Alpaca records, one truncated JSON line, one with a number for `instruction`.
BAD_JSONL = (b'{"instruction": "Name a primary colour.", "output": "Red."}\n'
             b'{"instruction": "Add 2 and 3.", "output": \n'
             b'{"instruction": 3, "output": "three"}\n'
             b'{"instruction": "Translate hello into French.", "output": "Bonjour."}\n')


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_ids(at: AppTest) -> list[str]:
    """Ids of the conversations on the current page (each card starts with **id**)."""
    return [m.group(1) for md in at.markdown if (m := re.match(r"^\*\*(\S+)\*\* · \d+ messages", md.value))]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="load.source").set_value("Upload a file").run()
    return at.file_uploader(key="load.file").set_value((name, data, "application/octet-stream")).run()


def test_opens_on_the_sample_with_core_counts(app, sample):
    report = sample.report
    assert app.title[0].value == "Load a dataset"
    assert metrics(app) == {"Format": "mixed", "Confidence": "100%", "Input records": f"{report.input_records:,}",
                            "Loaded": f"{report.loaded:,}", "Rejected": "0"}
    assert any(c.value.startswith(f"{report.loaded:,} loaded + 0 rejected = {report.input_records:,}") and c.value.endswith("✓")
               for c in app.caption)
    assert shown_ids(app) == sample.dataset.ids[:10]
    assert app.session_state["sieve.source_label"] == "sample"
    # The roles/turns summary is cached under its declared key.
    assert app.session_state[state.LOAD_SHAPE]["roles"]["user"] >= report.loaded


def test_paging_and_page_size(app, sample):
    app.number_input(key="load.page").set_value(3).run()
    assert shown_ids(app) == sample.dataset.ids[20:30]
    app.selectbox(key="load.page_size").set_value(25).run()
    assert app.number_input(key="load.page").value == 1, "changing the page size goes back to page 1"
    assert shown_ids(app) == sample.dataset.ids[:25]
    last = -(-sample.dataset.num_rows // 25)
    app.number_input(key="load.page").set_value(last).run()
    assert shown_ids(app) == sample.dataset.ids[(last - 1) * 25:]


def test_search_by_id_and_by_text(app, sample):
    app.text_input(key="load.search").set_value("oai-0007").run()
    assert shown_ids(app) == ["oai-0007"]
    app.text_input(key="load.search").set_value("DENSE_RANK").run()
    expected = [r["id"] for r in sample.dataset.records()
                if any("dense_rank" in m["content"].lower() for m in r["messages"])]
    assert expected and shown_ids(app) == expected
    app.text_input(key="load.search").set_value("no such words anywhere zzz").run()
    assert shown_ids(app) == [] and "No conversation matches" in app.info[0].value


def test_upload_with_bad_records_lists_them_and_offers_the_download(app):
    upload(app, "mixed_quality.jsonl", BAD_JSONL)
    assert not app.exception
    assert metrics(app) == {"Format": "alpaca", "Confidence": "100%", "Input records": "4", "Loaded": "2", "Rejected": "2"}
    assert shown_ids(app) == ["0", "3"], "ids fall back to the record index"
    assert app.warning[0].value.startswith("2 records could not be read")
    assert [t.label for t in app.tabs] == ["Conversations", "Rejected records (2)"]
    rejects = app.dataframe[-1].value
    assert rejects["file"].tolist() == ["mixed_quality.jsonl"] * 2
    assert rejects["line"].tolist() == [2, 3]
    assert rejects["field"].tolist()[1] == "instruction"
    assert rejects["raw excerpt"].tolist()[1] == '{"instruction": 3, "output": "three"}'
    assert any(b.label.startswith("Download rejected") for b in app.get("download_button"))
    assert app.session_state["sieve.source_label"] == "mixed_quality.jsonl"
    assert app.session_state[state.LOAD_SHAPE]["rows"] == 2, "a new load replaces the sample's summary"
    # The Overview names the upload by its file name, not by the server's temporary copy.
    app.switch_page("pages/overview.py").run()
    header = app.caption[0].value
    assert header.startswith("mixed_quality.jsonl · format **alpaca**") and "sieve-upload" not in header


def test_format_override_reloads_and_keeps_the_dataset_when_nothing_fits(app):
    records = [{"prompt": f"Question {i}?", "completion": f"Answer {i}."} for i in range(5)]
    upload(app, "pairs.jsonl.gz", gzip.compress("\n".join(json.dumps(r) for r in records).encode()))
    assert metrics(app)["Format"] == "prompt_completion" and metrics(app)["Loaded"] == "5"
    app.selectbox(key="load.format").set_value("alpaca").run()
    assert not app.exception
    assert "all 5 records were rejected as alpaca" in app.error[0].value
    assert len(app.dataframe[0].value) == 5
    assert metrics(app)["Format"] == "prompt_completion", "the last good dataset stays loaded"
    app.selectbox(key="load.format").set_value("auto-detect").run()
    assert not app.error and metrics(app)["Loaded"] == "5"


def test_unreadable_upload_shows_an_error_not_a_traceback(app, sample):
    upload(app, "notes.json", b'[{"instruction": "Hi", "output": ')
    assert not app.exception
    assert app.error and "notes.json" in app.error[0].value
    assert metrics(app)["Input records"] == f"{sample.report.input_records:,}", "the sample is still loaded"


def test_back_to_the_sample(app, sample):
    upload(app, "mixed_quality.jsonl", BAD_JSONL)
    app.radio(key="load.source").set_value("Bundled sample").run()
    assert metrics(app)["Input records"] == f"{sample.report.input_records:,}"
    assert app.session_state["sieve.source_label"] == "sample"


def test_unknown_format_points_to_the_format_box(app):
    upload(app, "table.csv", b"a,b\n1,2\n")
    assert not app.exception
    assert "table.csv: cannot tell the format" in app.error[0].value
    assert "choose one in the Format box above" in app.error[0].value
    app.selectbox(key="load.format").set_value("prompt_completion").run()
    assert "its only record was rejected as prompt_completion" in app.error[0].value


def test_raw_text_shows_messages_verbatim(app, sample):
    app.text_input(key="load.search").set_value("alp-0001").run()
    assert not app.text
    app.toggle(key="load.raw").set_value(True).run()
    record = next(r for r in sample.dataset.records() if r["id"] == "alp-0001")
    assert [t.value for t in app.text] == [m["content"] for m in record["messages"]]
