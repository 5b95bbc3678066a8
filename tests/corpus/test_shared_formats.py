"""Corpus tier: every chat/instruction file in ../shared/data loads with the right format, and
converting it to each target and back gives the same conversations; where a target cannot hold
something, the write report names the loss and the changed rows are exactly among its lossy rows."""

import pytest

from core.errors import SieveInputError
from core.load import load_dataset
from core.writers import write_dataset
from tests.formats.roundtrip import differing_ids

pytestmark = pytest.mark.corpus

CHAT_FILES = {  # file -> (format, input records, conversations)
    "alpaca_original_5000.json": ("alpaca", 5000, 5000),
    "alpaca_gpt4_en_demo_999.json": ("alpaca", 999, 999),
    "sharegpt_glaive_toolcall_300.json": ("sharegpt", 300, 300),
    "sharegpt_dpo_pairs_300.json": ("sharegpt_pairs", 300, 300),
    "openai_messages_kto_300.json": ("openai", 300, 300),
    "oasst_en_100_trees.jsonl": ("oasst", 100, 564),
    "hh_rlhf_harmless_base_test.jsonl": ("hh", 2312, 2312),
    "xstest_completions_dev_500.jsonl": ("prompt_completion", 500, 500),
}
NOT_CHAT = ["davidson_dev_3000.jsonl", "mrpc_train_pairs.jsonl", "tatoeba_langid_dev.jsonl"]
TARGETS = {"openai": "jsonl", "sharegpt": "json", "alpaca": "jsonl", "parquet": "parquet"}
WRITABLE = {"openai", "sharegpt", "alpaca"}


@pytest.fixture(scope="module")
def loaded():
    cache = {}

    def get(path):
        if path not in cache:
            cache[path] = load_dataset(path)
        return cache[path]
    return get


def test_every_data_file_is_covered(shared_data):
    names = {p.name for p in shared_data.iterdir() if p.suffix in (".json", ".jsonl")}
    assert names == set(CHAT_FILES) | set(NOT_CHAT) | {"xstest_prompts.jsonl"}


@pytest.mark.parametrize("name", sorted(CHAT_FILES))
def test_detected_and_fully_loaded(shared_data, loaded, name):
    expected_format, records, conversations = CHAT_FILES[name]
    result = loaded(shared_data / name)
    assert result.detection.format == expected_format
    assert result.detection.confidence == 1.0
    assert (result.report.input_records, result.report.loaded, len(result.report.rejected)) == (records, records, 0)
    assert result.dataset.num_rows == conversations
    assert len(set(result.dataset.ids)) == conversations


@pytest.mark.parametrize("name", sorted(CHAT_FILES))
@pytest.mark.parametrize("target", list(TARGETS))
def test_convert_and_back(shared_data, loaded, tmp_path, name, target):
    source = loaded(shared_data / name)
    before = source.dataset.records()
    out = tmp_path / f"out.{TARGETS[target]}"
    written = write_dataset(source.dataset, out, to=target)
    after = load_dataset(out).dataset.records()
    keeps_meta = target != "alpaca"
    changed = differing_ids(before, after, with_meta=keeps_meta)
    assert set(changed) <= set(written.lossy_ids), written.losses
    if not written.losses:
        assert changed == []
    if target == "parquet":
        assert after == before
    original = CHAT_FILES[name][0].replace("_pairs", "")
    if original in WRITABLE and original != target:  # and back to the format it came in
        back = tmp_path / f"back.{TARGETS[original]}"
        written_back = write_dataset(after, back, to=original)
        again = load_dataset(back).dataset.records()
        changed_again = differing_ids(before, again, with_meta=keeps_meta and original != "alpaca")
        assert set(changed_again) <= set(written.lossy_ids) | set(written_back.lossy_ids)


def test_known_losses_are_reported(shared_data, loaded, tmp_path):
    glaive = loaded(shared_data / "sharegpt_glaive_toolcall_300.json")
    written = write_dataset(glaive.dataset, tmp_path / "a.jsonl", to="alpaca")
    calls = sum(1 for r in glaive.dataset.records() if any(m["tool_calls"] for m in r["messages"]))
    assert written.losses == [f"alpaca: tool calls and tool results cannot be held by Alpaca and were dropped "
                              f"({calls} records)"]
    assert written.lossy_rows == calls == 153


def test_oasst_best_path_gives_one_conversation_per_tree(shared_data):
    result = load_dataset(shared_data / "oasst_en_100_trees.jsonl", options={"oasst_paths": "best"})
    assert result.dataset.num_rows == 100 and result.report.loaded == 100


@pytest.mark.parametrize("name", NOT_CHAT)
def test_non_chat_files_are_refused_with_their_keys(shared_data, name):
    with pytest.raises(SieveInputError, match="cannot tell the format .*keys seen"):
        load_dataset(shared_data / name)


def test_prompts_without_answers_are_rejected_not_dropped(shared_data):
    result = load_dataset(shared_data / "xstest_prompts.jsonl", on_error="skip")
    assert result.detection.format == "prompt_completion" and result.detection.confidence < 0.5
    assert len(result.report.rejected) == result.report.input_records == 450
    assert {r.field for r in result.report.rejected} == {"completion"}
