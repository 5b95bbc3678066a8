"""Golden round trips: every fixture, written to every target and read back, gives the same
conversations, except where the target cannot hold something and the write report says so."""

import pytest

from core.load import load_dataset
from core.writers import write_dataset
from tests.formats.roundtrip import differing_ids

FIXTURES = ["alpaca.json", "alpaca.csv", "wrapped.json", "sharegpt.json", "sharegpt_pairs.json", "openai.jsonl",
            "openai_dpo.jsonl", "dolly.jsonl", "prompt_completion.jsonl", "hh.jsonl", "oasst.jsonl", "preference.jsonl",
            "chat_text.jsonl"]
TARGETS = {"openai": ".jsonl", "sharegpt": ".json", "alpaca": ".jsonl.gz", "parquet": ".parquet"}
# (fixture, target) -> (ids that may change, words each reported loss must contain)
LOSSY = {
    ("sharegpt.json", "alpaca"): ({"weather-1", "bing-2"}, ["tool calls", "per-message fields"]),
    ("openai.jsonl", "alpaca"): ({"0", "call-7"}, ["tool calls", "per-message fields", "names"]),
    ("sharegpt.json", "openai"): ({"bing-2"}, ["source role names"]),
    ("oasst.jsonl", "alpaca"): (set(), ["per-message fields"]),
}
READ_BACK_AS = {"openai": "openai", "sharegpt": "sharegpt", "alpaca": "alpaca", "parquet": "canonical"}


@pytest.mark.parametrize("fixture", FIXTURES)
@pytest.mark.parametrize("target", list(TARGETS))
def test_round_trip(fixture, target, formats_dir, tmp_path):
    source = load_dataset(formats_dir / fixture)
    out = tmp_path / f"out{TARGETS[target]}"
    written = write_dataset(source.dataset, out, to=target)
    back = load_dataset(out)
    before, after = source.dataset.records(), back.dataset.records()
    expected_format = READ_BACK_AS[target]
    pairs = sum(r["rejected"] is not None for r in before)
    if target == "sharegpt" and pairs * 2 > len(before):  # mostly pairs: detected as the pairs flavour
        expected_format = "sharegpt_pairs"
    assert back.detection.format == expected_format
    assert written.rows == len(before) == len(after)
    may_change, loss_words = LOSSY.get((fixture, target), (set(), []))
    changed = differing_ids(before, after, with_meta=target != "alpaca")
    assert set(changed) <= may_change
    assert set(changed) <= set(written.lossy_ids)
    for word in loss_words:
        assert any(word in loss for loss in written.losses), (word, written.losses)
    if not loss_words:
        assert written.losses == []
    if target == "parquet":  # our own schema: everything, meta included, reads back unchanged
        assert before == after


def test_alpaca_target_reports_what_it_drops(formats_dir, tmp_path):
    written = write_dataset(load_dataset(formats_dir / "sharegpt.json").dataset, tmp_path / "a.jsonl", to="alpaca")
    after = load_dataset(tmp_path / "a.jsonl").dataset.records()
    assert [m["role"] for m in after[0]["messages"]] == ["user", "assistant"]
    assert written.lossy_ids == ["weather-1", "bing-2"]
    assert "alpaca: tool calls and tool results cannot be held by Alpaca and were dropped (1 records)" in written.losses
