"""Detection picks the right format with evidence, including near-ambiguous inputs."""

import json

import pytest

from core.load import detect_file, load_dataset

CASES = [  # (records, expected format, evidence fragment)
    ([{"instruction": "Sum 2+2", "input": "", "output": "4"}], "alpaca", "instruction, input, output"),
    ([{"instruction": "Sum 2+2", "context": "", "response": "4", "category": "math"}], "dolly",
     "instruction, context, response, category"),
    ([{"instruction": "Sum 2+2", "response": "4"}], "dolly", "instruction, response"),
    ([{"prompt": "Sum 2+2", "completion": "4"}], "prompt_completion", "prompt, completion"),
    ([{"prompt": "Sum 2+2", "response": "4"}], "prompt_completion", "prompt, response"),
    ([{"prompt": "Sum 2+2", "chosen": "4", "rejected": "5"}], "prompt_completion", "prompt, chosen, rejected"),
    ([{"instruction": "Sum 2+2", "chosen": "4", "rejected": "5"}], "alpaca", "instruction, chosen, rejected"),
    ([{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}], "sharegpt",
     "conversations[].from/value"),
    ([{"conversations": [{"from": "human", "value": "hi"}], "chosen": {"from": "gpt", "value": "yo"},
       "rejected": {"from": "gpt", "value": "no"}}], "sharegpt_pairs", "conversations, chosen, rejected"),
    ([{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}], "openai",
     "messages[].role/content"),
    ([{"conversations": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}], "sharegpt",
     "conversations[].role/content"),
    ([{"messages": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}], "sharegpt",
     "messages[].from/value"),
    ([{"chosen": "\n\nHuman: hi\n\nAssistant: yo", "rejected": "\n\nHuman: hi\n\nAssistant: no"}], "hh",
     "Human:/Assistant: markers"),
    ([{"prompt": "hi", "chosen": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
       "rejected": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "no"}],
       "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}], "preference",
     "prompt, chosen[]/rejected[] message lists"),
    ([{"text": "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>"}], "chat_text",
     "text with chatml markers"),
    ([{"id": "1", "messages": [{"role": "user", "content": "hi", "name": None, "tool_calls": None}],
       "rejected": None, "meta": '{"source_format": "alpaca"}'}], "canonical", "meta.source_format"),
]


@pytest.mark.parametrize("records,expected,evidence", CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_near_ambiguous_records_are_told_apart(tmp_path, records, expected, evidence):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records * 3))
    detection = detect_file(path)
    assert detection.format == expected
    assert evidence in detection.evidence[0]
    assert detection.confidence >= 0.75


def test_role_content_turns_under_conversations_load_as_sharegpt(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"conversations": [{"role": "user", "content": "hi"},
                                                  {"role": "assistant", "content": "yo"}]}) + "\n")
    (record,) = load_dataset(path).dataset.records()
    assert [(m["role"], m["content"]) for m in record["messages"]] == [("user", "hi"), ("assistant", "yo")]


def test_mixed_file_has_low_confidence_and_names_the_other_format(tmp_path):
    alpaca = {"instruction": "a", "input": "", "output": "b"}
    sharegpt = {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [alpaca] * 6 + [sharegpt] * 4))
    detection = detect_file(path)
    assert detection.format == "alpaca"
    assert detection.confidence == pytest.approx(0.6 * 0.6 * (0.5 + 0.5 * 0.4))  # mean × share × margin
    assert "some records look like another format: sharegpt (4)" in detection.evidence


def test_runner_up_is_in_the_evidence(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"conversations": [{"from": "human", "value": "q"}],
                                "chosen": {"from": "gpt", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}}))
    detection = detect_file(path)
    assert detection.evidence[-2:] == ["runner-up sharegpt: mean score 0.50 vs 1.00", "file read as JSON Lines"]
    assert detection.confidence == 1.0


def test_unknown_format_lists_the_keys(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a tweet", "label": "neither"}\n')
    detection = detect_file(path)
    assert (detection.format, detection.confidence) == ("unknown", 0.0)
    assert detection.evidence == ["no known format matches; keys seen: text, label", "file read as JSON Lines"]


@pytest.mark.parametrize("name,expected", [
    ("alpaca.json", "alpaca"), ("alpaca.csv", "alpaca"), ("wrapped.json", "alpaca"), ("sharegpt.json", "sharegpt"),
    ("sharegpt_pairs.json", "sharegpt_pairs"), ("openai.jsonl", "openai"), ("openai_dpo.jsonl", "openai"),
    ("dolly.jsonl", "dolly"), ("prompt_completion.jsonl", "prompt_completion"), ("hh.jsonl", "hh"),
    ("oasst.jsonl", "oasst"), ("oasst_rows.jsonl", "oasst"), ("preference.jsonl", "preference"),
    ("chat_text.jsonl", "chat_text")])
def test_every_fixture_is_detected(formats_dir, name, expected):
    assert detect_file(formats_dir / name).format == expected


def test_messages_stored_as_json_text_in_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    messages = json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    turns = json.dumps([{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}])
    pq.write_table(pa.table({"messages": [messages]}), tmp_path / "m.parquet")
    pq.write_table(pa.table({"conversations": [turns]}), tmp_path / "c.parquet")
    for name, expected in (("m.parquet", "openai"), ("c.parquet", "sharegpt")):
        result = load_dataset(tmp_path / name)
        assert result.detection.format == expected
        assert [m["content"] for m in result.dataset.records()[0]["messages"]] == ["hi", "yo"]
        assert result.detection.evidence[-1] == "file read as Parquet"
