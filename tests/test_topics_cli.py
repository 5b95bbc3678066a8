"""`python -m core topics` on a small Alpaca file with a tiny local model (the real code path, no download)."""

from __future__ import annotations

import json

import pytest

from core.cli import main
from tests.tiny_models import WORDS, build_tiny_bert, build_tiny_static


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    bert = build_tiny_bert(tmp_path_factory.mktemp("bert"))
    return str(build_tiny_static(tmp_path_factory.mktemp("static") / "model", bert))


@pytest.fixture
def alpaca_file(tmp_path):
    topics = [["bake", "bread", "flour", "oven"], ["football", "goal", "match", "team"], ["python", "code", "loop", "bug"]]
    rows = [{"instruction": f"explain {' '.join(topic[i % 4:] + topic[:i % 4])}", "input": "", "output": "ok"}
            for topic in topics for i in range(8)]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(rows))
    return path


def test_topics_json_summary_and_row_output(tiny_model, alpaca_file, tmp_path, capsys):
    out = tmp_path / "rows.jsonl"
    code = main(["topics", str(alpaca_file), "--model", tiny_model, "--k", "3", "--json", "--output", str(out)])
    assert code == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model"] == tiny_model and info["field"] == "instruction" and info["method"] == "kmeans"
    assert sum(c["size"] for c in info["clusters"]) == 24 and len(info["clusters"]) == 3
    assert set(info["diversity"]) >= {"cluster_entropy_bits", "distinct_1", "distinct_2", "mean_pairwise_distance"}
    # 13 distinct words over 24 rows x 5 words
    assert info["diversity"]["distinct_1"] == pytest.approx(13 / 120)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 24 and set(rows[0]) == {"id", "cluster", "label", "x", "y"}
    labels = {c["cluster"]: c["label"] for c in info["clusters"]}
    assert all(r["label"] == labels[r["cluster"]] for r in rows)
    assert set(WORDS) >= {"bread", "goal", "python"}  # the tiny model knows these words


def test_unknown_model_folder_exits_2_with_a_message(alpaca_file, capsys):
    assert main(["topics", str(alpaca_file), "--model", "/no/such/model"]) == 2
    assert "field 'model'" in capsys.readouterr().err


def test_bad_output_extension_is_refused(alpaca_file, tmp_path, capsys):
    assert main(["topics", str(alpaca_file), "--output", str(tmp_path / "rows.txt")]) == 2
    assert "write .jsonl or .parquet" in capsys.readouterr().err
