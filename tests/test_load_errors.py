"""Bad input: every case names the file, the line (or record) and the field; skip mode rejects the
record with the same reason and the counts add up; nothing ends in a traceback or a silent drop."""

import gzip
import json

import orjson
import pytest

from core.errors import SieveInputError
from core.load import RejectsFile, iter_batches, load_dataset

ALPACA = '{"instruction": "Name a colour.", "input": "", "output": "Blue."}'
SHAREGPT_OK = '{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}'

# name, file name, content, substrings the message must contain, rejected in skip mode (None = whole file fails)
RECORD_ERRORS = [
    ("bad line in JSONL", "bad.jsonl", f"{ALPACA}\n{{\"instruction\": \"x\", \"output\": \n{ALPACA}\n",
     ["bad.jsonl", "line 2", "record 1", "invalid JSON"], 1),
    ("truncated JSON array", "cut.json", f"[{ALPACA},\n{ALPACA},\n{{\"instruction\": \"Nam",
     ["cut.json", "line 3", "record 2", "truncated JSON"], 1),
    ("missing required field", "missing.jsonl", f'{ALPACA}\n{{"instruction": "Name a fruit.", "input": ""}}\n',
     ["missing.jsonl", "line 2", "record 1", "field 'output'", "missing required field 'output'"], 1),
    ("wrong type", "types.jsonl", f'{ALPACA}\n{{"instruction": 42, "input": "", "output": "x"}}\n',
     ["types.jsonl", "line 2", "field 'instruction'", "expected a string, got number"], 1),
    ("mixed schemas", "mixed.jsonl", f"{ALPACA}\n{ALPACA}\n{ALPACA}\n{SHAREGPT_OK}\n",
     ["mixed.jsonl", "line 4", "field 'instruction'", "looks like sharegpt", "mixed schemas"], 1),
    ("no assistant turn", "noanswer.json",
     '[' + SHAREGPT_OK + ',\n{"conversations": [{"from": "human", "value": "Anyone there?"}]}]',
     ["noanswer.json", "line 2", "record 1", "field 'conversations'", "no assistant turn"], 1),
    ("unknown role", "roles.jsonl",
     SHAREGPT_OK + '\n{"conversations": [{"from": "human", "value": "Hi"}, {"from": "narrator", "value": "…"}]}\n',
     ["roles.jsonl", "line 2", "field 'conversations[1].from'", "unknown role 'narrator'"], 1),
    ("empty conversation", "empty_conv.jsonl", SHAREGPT_OK + '\n{"conversations": []}\n',
     ["empty_conv.jsonl", "line 2", "field 'conversations'", "empty conversation"], 1),
    ("message without role", "norole.jsonl",
     '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'
     '{"messages": [{"content": "a"}, {"role": "assistant", "content": "b"}]}\n',
     ["norole.jsonl", "line 2", "field 'messages[0].role'", "missing required field 'role'"], 1),
    ("record is not an object", "list.jsonl", f'{ALPACA}\n["a", "b"]\n',
     ["list.jsonl", "line 2", "expected a JSON object, got array"], 1),
    ("function_call not JSON", "call.jsonl",
     SHAREGPT_OK + '\n{"conversations": [{"from": "human", "value": "Weather?"}, '
     '{"from": "function_call", "value": "get_weather(Lyon)"}, {"from": "gpt", "value": "Sunny."}]}\n',
     ["call.jsonl", "line 2", "field 'conversations[1].value'", "function_call is not valid JSON"], 1),
    ("HH transcript without markers", "hh.jsonl",
     '{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: hello", "rejected": "\\n\\nHuman: hi\\n\\nAssistant: go away"}\n'
     '{"chosen": "just some text Human: x Assistant: y", "rejected": "other"}\n',
     ["hh.jsonl", "line 2", "field 'chosen'", "not an HH transcript"], 1),
    ("malformed alpaca history", "history.json",
     f'[{ALPACA},\n{{"instruction": "Go on", "output": "Done.", "history": [["only one"]]}}]',
     ["history.json", "line 2", "field 'history[0]'", "[user, assistant] pair"], 1),
    ("CSV row with the wrong field count after an embedded newline", "rows.csv",
     'instruction,input,output\n"Write a\ntwo-line poem",,"Roses,\nred."\nToo,many,fields,here\n',
     ["rows.csv", "line 5", "record 1", "row has 4 fields but the header has 3"], 1),
    ("empty element between commas", "commas.json", f"[{ALPACA},,\n{ALPACA}]",
     ["commas.json", "line 1", "empty element"], 1),
    ("text after the JSON array", "trailing.json", f"[{ALPACA}]\n[{ALPACA}]\n",
     ["trailing.json", "unexpected text after the end of the JSON value"], 1),
    ("OASST unknown role", "tree.jsonl",
     '{"message_tree_id": "ok", "prompt": {"message_id": "x", "text": "Q", "role": "prompter", "replies": '
     '[{"message_id": "y", "text": "A", "role": "assistant", "replies": []}]}}\n'
     '{"message_tree_id": "t", "prompt": {"message_id": "a", "text": "Q", "role": "prompter", "replies": '
     '[{"message_id": "b", "text": "A", "role": "moderator", "replies": []}]}}\n',
     ["tree.jsonl", "line 2", "field 'prompt.replies[0].role'", "unknown role 'moderator'"], 1),
]


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize("case", RECORD_ERRORS, ids=[c[0] for c in RECORD_ERRORS])
def test_record_error_names_file_line_and_field(tmp_path, case):
    _, name, content, expected, rejected = case
    path = _write(tmp_path, name, content)
    with pytest.raises(SieveInputError) as info:
        load_dataset(path)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize("case", RECORD_ERRORS, ids=[c[0] for c in RECORD_ERRORS])
def test_skip_mode_rejects_the_record_and_counts_add_up(tmp_path, case):
    _, name, content, expected, rejected = case
    result = load_dataset(_write(tmp_path, name, content), on_error="skip")
    report = result.report
    assert len(report.rejected) == rejected
    assert report.input_records == report.loaded + len(report.rejected)
    assert report.loaded >= 1 and result.dataset.num_rows == report.loaded
    bad = report.rejected[0]
    assert bad.file.endswith(name) and bad.raw is not None
    described = f"line {bad.line}, record {bad.record}, field '{bad.field}': {bad.reason}"
    for part in expected[1:]:
        assert part in described or part in bad.reason, (part, described)


def test_invalid_utf8_names_the_field_it_is_in(tmp_path):
    content = ALPACA.encode() + b'\n{"instruction": "Caf\xe9", "input": "", "output": "ok"}\n'
    with pytest.raises(SieveInputError) as info:
        load_dataset(_write(tmp_path, "latin1.jsonl", content))
    assert str(info.value).startswith(f"{tmp_path / 'latin1.jsonl'}, line 2, record 1, field 'instruction': "
                                      "invalid UTF-8")


def test_invalid_utf8_in_a_csv_cell(tmp_path):
    content = b'instruction,input,output\nfine,,yes\n"caf\xe9",,no\n'
    result = load_dataset(_write(tmp_path, "latin1.csv", content), on_error="skip")
    (bad,) = result.report.rejected
    assert (bad.line, bad.record, bad.field, bad.reason) == (3, 1, "instruction", "invalid UTF-8")


FILE_ERRORS = [
    ("empty file", "empty.jsonl", b"", "file is empty"),
    ("only whitespace", "blank.json", b"  \n\n ", "only whitespace"),
    ("wrong extension", "data.txt", ALPACA.encode(), "unsupported file extension .txt"),
    ("no extension", "data", ALPACA.encode(), "unsupported file extension (none)"),
    ("not gzip though named .gz", "x.jsonl.gz", ALPACA.encode(), "the name says gzip but the content is not"),
    ("not parquet though named .parquet", "x.parquet", ALPACA.encode(), "not a Parquet file"),
    ("UTF-16 text", "wide.jsonl", "\ufeff".encode("utf-16-le") + ALPACA.encode("utf-16-le"), "UTF-16"),
    ("not JSON at all", "prose.json", b"Dear team, here is the data", "not JSON"),
    ("truncated gzip", "cut.jsonl.gz", gzip.compress((ALPACA + "\n").encode() * 500)[:-40], "cannot read the file"),
    ("unknown format", "labels.jsonl", b'{"text": "great movie", "label": 1}\n',
     "cannot tell the format (no known format matches; keys seen: text, label)"),
    ("empty JSON array", "none.json", b"[]", "no records found"),
    ("truncated before the first record closes the file", "open.json", b'{"data": [', "truncated JSON"),
]


@pytest.mark.parametrize("case", FILE_ERRORS, ids=[c[0] for c in FILE_ERRORS])
def test_file_level_errors_name_the_file(tmp_path, case):
    _, name, content, expected = case
    path = _write(tmp_path, name, content)
    for mode in ("raise", "skip"):  # nothing to carry on with: both modes stop with the reason
        with pytest.raises(SieveInputError) as info:
            load_dataset(path, on_error=mode)
        assert str(info.value).startswith(str(path)) and expected in str(info.value), str(info.value)


def test_missing_file_and_unknown_format_override(tmp_path):
    with pytest.raises(SieveInputError, match="file not found"):
        load_dataset(tmp_path / "nope.jsonl")
    path = _write(tmp_path, "a.jsonl", ALPACA + "\n")
    with pytest.raises(SieveInputError, match="unknown format 'vicuna'; choose one of canonical"):
        load_dataset(path, format="vicuna")


def test_forcing_the_wrong_format_rejects_every_record_with_its_field(tmp_path):
    path = _write(tmp_path, "a.jsonl", ALPACA + "\n" + ALPACA + "\n")
    result = load_dataset(path, format="sharegpt", on_error="skip")
    assert result.detection.evidence[:1] == ["format set by the user: sharegpt"]
    assert "detection alone would have chosen alpaca" in result.detection.evidence
    assert [(r.line, r.field) for r in result.report.rejected] == [(1, "conversations"), (2, "conversations")]
    assert result.dataset.num_rows == 0


def test_rejects_file_is_jsonl_with_every_field(tmp_path):
    path = _write(tmp_path, "bad.jsonl", f'{ALPACA}\n{{"instruction": 1, "output": "x"}}\nnot json\n')
    with RejectsFile(tmp_path / "rejects.jsonl") as rejects:
        for _ in iter_batches(path, on_error="skip", on_reject=rejects.write):
            pass
    assert rejects.count == 2
    rows = [orjson.loads(line) for line in (tmp_path / "rejects.jsonl").read_bytes().splitlines()]
    assert [(r["line"], r["record"], r["field"]) for r in rows] == [(2, 1, "instruction"), (3, 2, None)]
    assert rows[0]["raw"] == '{"instruction": 1, "output": "x"}' and rows[1]["raw"] == "not json"
    assert set(rows[0]) == {"file", "line", "record", "field", "reason", "raw"}


def test_raw_text_of_a_huge_bad_record_is_truncated(tmp_path):
    huge = json.dumps({"instruction": 5, "output": "x" * 50_000})
    result = load_dataset(_write(tmp_path, "big.jsonl", f"{ALPACA}\n{huge}\n"), on_error="skip")
    assert len(result.report.rejected[0].raw) == 10_000


def test_array_cut_between_records_loads_them_and_warns(tmp_path):
    result = load_dataset(_write(tmp_path, "cut.json", f"[{ALPACA},\n{ALPACA},\n"))
    assert result.dataset.num_rows == 2
    assert result.report.warnings == [
        "truncated JSON: the file ends before the closing ']' (every record before it was read)"]


def test_wrapper_key_is_evidence_not_a_warning_but_a_misnamed_file_is_both(tmp_path):
    wrapped = load_dataset(_write(tmp_path, "w.json", f'{{"rows": [{ALPACA}]}}'))
    assert 'records are the array under key "rows"' in wrapped.detection.evidence
    assert wrapped.report.warnings == []
    misnamed = load_dataset(_write(tmp_path, "m.json", f"{ALPACA}\n{ALPACA}\n"))
    assert "file named .json holds JSON Lines" in misnamed.detection.evidence
    assert misnamed.report.warnings == ["file named .json holds JSON Lines"]
