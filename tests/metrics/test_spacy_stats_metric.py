import math

from core.metrics.spacy_stats import SpacyStats
from tests.metrics.inspect_records import conversation, table_of


def test_blank_pipeline_finds_rule_entities():
    text = "Email ada@example.com or visit https://example.org before March 3, 2024; it costs $20 for 3 people."
    out = SpacyStats(model="blank").compute(table_of(conversation("q", text)))
    labels = dict(item.split(":") for item in out["response_entity_labels"][0].split(","))
    assert labels == {"EMAIL": "1", "URL": "1", "DATE": "1", "MONEY": "1", "CARDINAL": "1"}
    assert out["response_entity_count"].tolist() == [5]


def test_blank_pipeline_shares_and_empty_pos_without_a_tagger():
    # 6 tokens: "The", "cat", "sat", "on", "it", "." -> 1 punct; stop words: the, on, it (3 of 5 words)
    out = SpacyStats(model="blank").compute(table_of(conversation("q", "The cat sat on it."), conversation("q", "")))
    assert out["response_punct_share"].tolist() == [1 / 6, 0.0]
    assert out["response_stopword_share"].tolist() == [3 / 5, 0.0]
    assert math.isnan(out["response_noun_share"][0])


def test_auto_falls_back_to_rules_when_no_pipeline_is_installed():
    import spacy

    out = SpacyStats(model="auto").compute(table_of(conversation("q", "Call me at 10:30 am.")))
    if not spacy.util.is_package("en_core_web_sm"):
        assert out["response_entity_labels"] == ["TIME:1"]
    assert out["response_entity_count"][0] >= 1
