"""Corpus tier: the shipped models on real data. The static model is distilled here if it is not cached yet
(~30 s, once per machine, into $SIEVE_CACHE_DIR or ~/.cache/sieve)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from core.embeddings import embed
from core.load import load_dataset
from core.topics import analyze_topics

pytestmark = pytest.mark.corpus


@pytest.fixture
def mrpc(shared_data):
    return [json.loads(line) for line in (shared_data / "mrpc_train_pairs.jsonl").read_text().splitlines() if line]


def auc(pairs, model):
    left = embed([p["sentence1"] for p in pairs], model)
    right = embed([p["sentence2"] for p in pairs], model)
    return roc_auc_score([p["label"] for p in pairs], (left * right).sum(axis=1))


def test_static_model_ranks_paraphrases_about_as_well_as_minilm(mrpc):
    assert auc(mrpc, "static") > 0.72                    # all 3,576 pairs (0.749 measured)
    first = mrpc[:300]
    assert auc(first, "static") >= auc(first, "minilm") - 0.03


def test_alpaca_instructions_fall_into_recognisable_topics(shared_data):
    dataset = load_dataset(shared_data / "alpaca_original_5000.json").dataset
    texts = dataset.texts("instruction")
    vectors = embed(texts, "static")
    assert vectors.shape == (5000, 256) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    result = analyze_topics(texts, vectors, k=12)
    labels = " ".join(c.label for c in result.clusters)
    assert "poem" in labels and "sentence" in labels     # Alpaca's poem-writing and sentence-editing tasks
    assert result.diversity.cluster_entropy_normalized > 0.9
    assert 0.5 < result.diversity.mean_pairwise_distance < 0.9
