import json

import pytest

from core.cli import main
from tests.dedup.near_duplicates import UNRELATED, VARIANTS

pytest.importorskip("core.load")


def write_alpaca(path, instructions):
    rows = [{"instruction": text, "input": "", "output": f"Answer number {i}."} for i, text in enumerate(instructions)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.fixture
def train_file(tmp_path):
    return write_alpaca(tmp_path / "train.jsonl", list(VARIANTS.values()) + UNRELATED)


def run_json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_json_summary_and_clusters_file(train_file, tmp_path, capsys):
    output = tmp_path / "clusters.jsonl"
    summary = run_json(capsys, ["dedup", str(train_file), "--method", "minhash", "--threshold", "0.7",
                                "--output", str(output), "--json"])
    assert summary["rows"] == 8 and summary["clusters"] == 1 and summary["duplicates"] == 3
    assert summary["kept"] == 5 and summary["method"] == "minhash"
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(lines) == 3
    assert all(set(line) == {"id", "cluster", "kept_id", "similarity", "method"} for line in lines)
    kept_ids = {line["kept_id"] for line in lines}
    assert len(kept_ids) == 1 and kept_ids.isdisjoint({line["id"] for line in lines})
    assert all(line["method"] == "minhash" and 0.7 <= line["similarity"] <= 1.0 for line in lines)


def test_cli_exact_and_reference(train_file, tmp_path, capsys):
    summary = run_json(capsys, ["dedup", str(train_file), "--method", "exact", "--json"])
    assert (summary["clusters"], summary["duplicates"]) == (1, 2)
    evaluation = write_alpaca(tmp_path / "eval.jsonl", [UNRELATED[1], "Something the training set never saw."])
    summary = run_json(capsys, ["dedup", str(train_file), "--method", "exact", "--reference", str(evaluation),
                                "--json"])
    assert (summary["duplicates"], summary["clusters"]) == (1, 1)


def test_cli_rejects_options_of_another_method(train_file, capsys):
    assert main(["dedup", str(train_file), "--method", "exact", "--threshold", "0.8"]) == 2
    assert "--threshold does not apply to --method exact" in capsys.readouterr().err
    assert main(["dedup", str(train_file) + ".missing", "--method", "exact"]) == 2
