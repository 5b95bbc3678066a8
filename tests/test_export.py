"""Export: normalization, the seeded split, and CLI outputs that load back as exactly the kept rows."""

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli import main
from core.export import assign_validation, build_report, chat_template_preview, normalize_table, split_paths
from core.ledger import assert_accounted
from core.load import load_dataset
from core.recipe import Normalization, Recipe
from core.schema import message, records_to_table, role_texts

CHAT = "tests/fixtures/clean_export/chat.jsonl"   # 12 readable rows + 1 broken line (line 7)
RECIPE = """\
version: 1
steps:
  - {kind: metric, name: refusal}
  - {kind: dedup, name: repeated_response, params: {min_prompts: 2}}
  - {kind: dedup, name: exact}
  - {kind: filter, name: threshold, params: {column: refusal_score, max: 0.5}}
export: {format: FORMAT}
"""
# c02, c04, c12 refuse; c05 repeats c01 exactly; line 7 is unreadable.
EXPECTED_KEPT = ["c01", "c03", "c06", "c07", "c08", "c09", "c10", "c11"]


def test_whitespace_unescape_and_unicode_normalization():
    table = records_to_table([{"id": "1", "messages": [
        message("user", "  Hello\r\nworld  \n\n\n\nbye  "),
        message("assistant", "Line one\\nLine two &amp; more"),
        message("assistant", "cafe\u0301 keeps a real\nnewline and a literal \\n")]}])
    out = normalize_table(table, Normalization(whitespace=True, unescape=True, unicode="NFC"))
    contents = [m["content"] for m in out.column("messages").to_pylist()[0]]
    assert contents == ["Hello\nworld\n\nbye", "Line one\nLine two & more", "café keeps a real\nnewline and a literal \\n"]
    untouched = normalize_table(table, Normalization(whitespace=False, unescape=False, unicode=None))
    assert untouched.equals(table)


def test_split_is_deterministic_order_free_and_seeded():
    ids = [f"row-{i}" for i in range(1000)]
    a = assign_validation(ids, 0.1, seed=3)
    assert a.sum() == 100
    shuffled = list(reversed(ids))
    b = assign_validation(shuffled, 0.1, seed=3)
    assert set(np.array(ids)[a]) == set(np.array(shuffled)[b])
    assert set(np.array(ids)[assign_validation(ids, 0.1, seed=4)]) != set(np.array(ids)[a])
    assert not assign_validation(ids, 0.0).any()


def test_stratified_split_keeps_proportions():
    ids = [str(i) for i in range(200)]
    strata = ["code"] * 150 + ["math"] * 50
    is_val = assign_validation(ids, 0.2, seed=0, strata=strata)
    assert is_val[:150].sum() == 30 and is_val[150:].sum() == 10


def test_split_paths():
    train, val = split_paths("out/clean.jsonl.gz")
    assert (train.name, val.name) == ("clean.train.jsonl.gz", "clean.validation.jsonl.gz")


@pytest.mark.parametrize("fmt,suffix", [("openai", "jsonl"), ("sharegpt", "json"), ("alpaca", "json"),
                                        ("parquet", "parquet")])
def test_cli_output_loads_back_as_exactly_the_kept_rows(fmt, suffix, tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("FORMAT", fmt))
    out, rejected = tmp_path / f"clean.{suffix}", tmp_path / "rejected.jsonl"
    code = main(["run", str(recipe), "--input", CHAT, "--output", str(out), "--rejected", str(rejected),
                 "--ledger", str(tmp_path / "ledger.parquet"), "--json", "--batch-size", "5"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["input_rows"], summary["kept_rows"], summary["dropped_rows"]) == (13, 8, 5)
    assert summary["by_reason"]["refusal_score>0.5"] == 3 and summary["by_reason"]["exact: duplicate"] == 1
    assert summary["by_reason"]["unreadable: invalid JSON"] == 1
    assert load_dataset(out).dataset.ids == EXPECTED_KEPT
    lines = [json.loads(line) for line in rejected.read_text().splitlines()]
    assert sorted(line["id"] for line in lines) == ["c02", "c04", "c05", "c12", "line 7"]
    dup = next(line for line in lines if line["id"] == "c05")
    assert dup["sieve_drop"]["kept_id"] == "c01" and dup["messages"][0]["content"].startswith("How do I reverse")
    assert next(line for line in lines if line["id"] == "line 7")["raw"].startswith('{"id": "c99"')
    ledger = pq.read_table(tmp_path / "ledger.parquet")
    assert sorted(ledger.column("id").to_pylist()) == ["c02", "c04", "c05", "c12", "line 7"]
    input_ids = load_dataset(CHAT, on_error="skip").dataset.ids + ["line 7"]
    assert_accounted(input_ids, load_dataset(out).dataset.ids, ledger)


def test_rejected_file_loads_back_with_the_loader(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("FORMAT", "openai"))
    clean = tmp_path / "clean.jsonl"
    main(["run", str(recipe), "--input", "tests/fixtures/clean_export/chat.jsonl", "--output", str(clean),
          "--rejected", str(tmp_path / "rejected.jsonl")])
    back = load_dataset(tmp_path / "rejected.jsonl", on_error="skip")
    assert sorted(back.dataset.ids) == ["c02", "c04", "c05", "c12"]   # the unreadable line stays unreadable
    meta = json.loads(back.dataset.table.column("meta")[0].as_py())
    assert "sieve_drop" in json.dumps(meta)


def test_cli_split_writes_train_and_validation(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("{format: FORMAT}", "{format: openai, split: {validation_fraction: 0.25, seed: 5}}"))
    main(["run", str(recipe), "--input", CHAT, "--output", str(tmp_path / "clean.jsonl"), "--json"])
    train = load_dataset(tmp_path / "clean.train.jsonl").dataset.ids
    val = load_dataset(tmp_path / "clean.validation.jsonl").dataset.ids
    assert len(val) == 2 and sorted(train + val) == sorted(EXPECTED_KEPT)
    expected_val = np.array(EXPECTED_KEPT)[assign_validation(EXPECTED_KEPT, 0.25, seed=5)]
    assert sorted(val) == sorted(expected_val)


def test_mistral_chat_template_preview():
    record = {"id": "1", "messages": [message("system", "Be brief."), message("user", "Hi"),
                                      message("assistant", "Hello")]}
    [preview] = chat_template_preview([record], "mistral")
    assert preview["text"] == "<s> [INST] Be brief.\n\nHi [/INST] Hello</s>"
    assert preview["tokens"] > 5


def test_a_row_the_template_cannot_render_does_not_hide_the_others():
    tool_row = {"id": "tool", "messages": [
        message("user", "Weather in Oslo?"),
        message("assistant", "", tool_calls=[{"type": "function", "function": {"name": "weather", "arguments": "{}"}}]),
        message("tool", '{"temp": -3}', name="weather"), message("assistant", "-3 °C.")]}
    plain = {"id": "plain", "messages": [message("user", "Hi"), message("assistant", "Hello")]}
    tool_preview, plain_preview = chat_template_preview([tool_row, plain], "mistral")
    assert tool_preview["text"] is None and "cannot render" in tool_preview["error"]
    assert plain_preview["error"] is None and plain_preview["text"].endswith("Hello</s>")


def test_report_has_counts_reasons_and_charts():
    table = records_to_table([{"id": str(i), "messages": [message("user", "q"), message("assistant", "a")]} for i in range(3)])
    table = table.append_column("refusal_score", pa.array([0.1, 0.9, 0.2]))
    summary = {"input_rows": 3, "kept_rows": 2, "dropped_rows": 1, "by_reason": {"refusal_score>0.5": 1},
               "funnel": [("input", 3), ("refusal_score", 2)]}
    html = build_report(summary, Recipe.from_yaml(RECIPE.replace("FORMAT", "openai")), table, table.slice(0, 1),
                        ["refusal_score"])
    assert "refusal_score&gt;0.5" in html and "<b>3</b> rows in" in html and "plotly" in html.lower()


def test_jinja_chat_template_of_a_local_tokenizer_folder(tmp_path):
    from transformers import BertTokenizer

    from core.errors import SieveInputError

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hi", "hello", "<", "|", ">", "user", "assistant"]
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(vocab)})
    plain = tmp_path / "plain"
    tokenizer.save_pretrained(str(plain))
    tokenizer.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}")
    tokenizer.save_pretrained(str(tmp_path / "chat"))
    record = {"id": "7", "messages": [message("user", "hi"), message("assistant", "hello")]}
    [preview] = chat_template_preview([record], str(tmp_path / "chat"))
    assert preview == {"id": "7", "text": "<|user|>hi\n<|assistant|>hello\n", "tokens": preview["tokens"], "error": None}
    assert preview["tokens"] >= 6
    with pytest.raises(SieveInputError, match="no chat_template"):
        chat_template_preview([record], str(plain))
    with pytest.raises(SieveInputError, match="tokenizer folder not found"):
        chat_template_preview([record], str(tmp_path / "missing"))
