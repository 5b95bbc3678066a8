"""Topics page on the bundled sample, with a tiny static model distilled in the test (SIEVE_EMBEDDING_MODEL).

The product's default model stays the real one; the tiny model keeps this test fast on a fresh clone.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.diversity import distinct_n
from core.embeddings import embed
from core.load import load_sample
from core.topics import analyze_topics
from tests.tiny_models import build_tiny_bert, build_tiny_static

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(scope="module")
def sample():
    return load_sample().dataset


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, sample):
    words = Counter(w for t in sample.texts("conversation") for w in re.findall(r"[a-z]+", t.lower()))
    bert = build_tiny_bert(tmp_path_factory.mktemp("bert"), words=tuple(w for w, _ in words.most_common(400)))
    folder = str(build_tiny_static(tmp_path_factory.mktemp("static") / "model", bert, dims=16))
    previous = os.environ.get("SIEVE_EMBEDDING_MODEL")
    os.environ["SIEVE_EMBEDDING_MODEL"] = folder
    yield folder
    if previous is None:
        os.environ.pop("SIEVE_EMBEDDING_MODEL", None)
    else:
        os.environ["SIEVE_EMBEDDING_MODEL"] = previous


def open_topics() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("pages/topics.py").run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_the_numbers_core_computes(tiny_model, sample):
    at = open_topics()
    assert at.text_input(key="topics.model_folder").value == tiny_model  # the env default, as a local folder
    texts = sample.texts("instruction")
    expected = analyze_topics(texts, embed(texts, tiny_model))
    d = expected.diversity
    topics_found = sum(c.id >= 0 for c in expected.clusters)
    assert metric(at, "Topics") == f"{topics_found:,}"
    assert metric(at, "Cluster entropy") == f"{d.cluster_entropy_bits:.2f} bits"
    assert metric(at, "Distinct-1") == f"{distinct_n(texts, 1):.3f}"
    assert metric(at, "Distinct-2") == f"{d.distinct_2:.3f}"
    assert metric(at, "Mean pairwise distance") == f"{d.mean_pairwise_distance:.3f}"
    table = at.dataframe[0].value
    assert list(table["size"]) == [c.size for c in expected.clusters]
    assert table["size"].sum() == sample.num_rows
    assert list(table["label"]) == [c.label for c in expected.clusters]
    assert len(at.get("plotly_chart")) == 1 and len(at.get("image")) == 1


def test_chosen_k_and_other_text_field(tiny_model, sample):
    at = open_topics()
    at.toggle(key="topics.auto_k").set_value(False).run()
    at.number_input(key="topics.k").set_value(4).run()
    at.selectbox(key="topics.field").set_value("response").run()
    assert not at.exception, at.exception
    assert metric(at, "Topics") == "4"
    texts = sample.texts("response")
    assert metric(at, "Distinct-2") == f"{distinct_n(texts, 2):.3f}"
    assert at.dataframe[0].value["size"].sum() == sample.num_rows


def test_hdbscan_renders_and_a_bad_folder_is_a_message_not_a_traceback(tiny_model):
    at = open_topics()
    at.radio(key="topics.method").set_value("hdbscan").run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["size"].sum() > 0
    at.text_input(key="topics.model_folder").set_value("/no/such/folder").run()
    assert not at.exception
    assert any("not a folder" in w.value for w in at.warning)


def test_ticking_a_cluster_lists_its_rows(tiny_model, sample):
    at = open_topics()
    first = at.dataframe[0].value.iloc[0]
    at.session_state["topics.clusters"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception, at.exception
    assert any(f"**{first['size']:,} rows selected**" in m.value for m in at.markdown)
    rows_table = at.dataframe[1].value
    assert len(rows_table) == first["size"] and set(rows_table["topic"]) == {first["label"]}


def test_lassoing_points_on_the_map_lists_those_rows(tiny_model, sample):
    at = open_topics()
    points = [{"curve_number": 0, "point_index": 0}, {"curve_number": 1, "point_index": 2}]
    at.session_state["topics.map"] = {"selection": {"points": points, "point_indices": [0, 2],
                                                    "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    assert any("**2 rows selected**" in m.value for m in at.markdown)
    assert set(at.dataframe[1].value["cluster"]) == {0, 1}
