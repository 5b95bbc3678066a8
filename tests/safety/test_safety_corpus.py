"""Corpus tier: scorers on Davidson tweets, PII false positives on 5,000 Alpaca rows (make eval)."""

import json

import numpy as np
import pytest

from core.schema import Dataset, message
from core.scoring import score_table
from core.steps import build_step

pytestmark = pytest.mark.corpus


def test_toxicity_scorers_rank_offensive_tweets_above_neutral_ones(shared_data):
    from sklearn.metrics import roc_auc_score

    rows = [json.loads(line) for line in (shared_data / "davidson_dev_3000.jsonl").open()]
    labels = np.array([r["label"] != "neither" for r in rows], dtype=int)
    dataset = Dataset.from_records({"id": str(i), "messages": [message("assistant", r["text"])]}
                                   for i, r in enumerate(rows))
    cols = score_table(dataset.table, [build_step("metric", "toxicity", {"roles": ["response"]}),
                                       build_step("metric", "profanity")])
    # profanity-check was trained on Davidson: high by construction (a sanity check only).
    assert roc_auc_score(labels, cols["response_toxicity"].to_numpy()) > 0.95
    counts = cols["response_profanity_count"].to_numpy()
    assert roc_auc_score(labels, counts) > 0.85
    assert labels[counts > 0].mean() > 0.98          # the word list is precise on tweets


def test_no_card_iban_key_or_ip_in_alpaca(shared_data):
    from core.load import load_dataset

    dataset = load_dataset(shared_data / "alpaca_original_5000.json").dataset
    cols = score_table(dataset.table, [build_step("metric", "pii", {"spacy_model": None})])
    for pii_type in ("credit_card", "iban", "api_key", "private_key", "url_credentials", "ip_address"):
        assert int(np.sum(cols[f"pii_{pii_type}_count"].to_numpy())) == 0, pii_type
    assert int(np.sum(cols["pii_email_count"].to_numpy())) == 7     # real addresses in examples
