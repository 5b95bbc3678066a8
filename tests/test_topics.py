"""Topic analysis on hand-built data whose right answer is known; diversity scores computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import topics
from core.diversity import cluster_entropy, distinct_n, mean_pairwise_distance
from core.errors import SieveInputError
from core.topics import analyze_topics, class_tfidf, estimate_k, project_2d, word_cloud

TOPIC_WORDS = {
    "baking": ["bread", "flour", "oven", "dough", "yeast"],
    "football": ["goal", "striker", "referee", "penalty", "league"],
    "python": ["function", "loop", "variable", "python", "exception"],
}


def blobs(sizes=(40, 30, 20), dims=16, spread=0.05, seed=0):
    """Unit vectors around orthogonal centres, plus the true group of each row."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dims)[: len(sizes)]
    truth = np.repeat(np.arange(len(sizes)), sizes)
    vectors = centres[truth] + rng.normal(0, spread, (len(truth), dims))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), truth


def topic_texts(truth, seed=0):
    """Per row: two words of its group's topic plus words every group shares."""
    rng = np.random.default_rng(seed)
    names = list(TOPIC_WORDS)
    texts = []
    for group in truth:
        words = rng.choice(TOPIC_WORDS[names[group]], 2, replace=False)
        texts.append(f"please explain {words[0]} and {words[1]} in detail")
    return texts


def same_partition(found, truth) -> bool:
    pairs = set(zip(found.tolist(), truth.tolist()))
    return len(pairs) == len(set(found.tolist())) == len(set(truth.tolist()))


def test_kmeans_with_estimated_k_recovers_the_known_groups_and_labels_them():
    vectors, truth = blobs()
    result = analyze_topics(topic_texts(truth), vectors)
    assert max(result.k_scores, key=result.k_scores.get) == 3
    assert same_partition(result.cluster_ids, truth)
    assert [c.size for c in result.clusters] == [40, 30, 20]          # renumbered: 0 is the largest
    assert result.cluster_ids[0] == 0 and result.cluster_ids[-1] == 2
    for cluster, topic in zip(result.clusters, TOPIC_WORDS):
        top3 = cluster.label.split(" · ")
        assert len(top3) == 3 and set(top3) <= set(TOPIC_WORDS[topic]), (topic, cluster.label)
        weights = dict(cluster.terms)  # a word every cluster shares ranks below the label's terms
        assert weights["explain"] < min(weights[t] for t in top3)
        assert cluster.cohesion > 0.95
    assert result.labels()[0] == result.clusters[0].label


def test_chosen_k_is_used_and_cluster_table_has_one_row_per_cluster():
    vectors, truth = blobs()
    result = analyze_topics(topic_texts(truth), vectors, k=2)
    assert result.k_scores == {}
    table = result.cluster_frame()
    assert list(table["size"]) == [50, 40] or list(table["size"]) == [60, 30]
    assert table["share"].sum() == pytest.approx(1.0)
    rows = result.rows_frame([f"r{i}" for i in range(len(truth))])
    assert list(rows.columns) == ["id", "cluster", "label", "x", "y"] and len(rows) == 90


def test_class_tfidf_matches_hand_computed_weights():
    # c0 = "apple apple banana" (3 words), c1 = "banana cherry" (2); A = 5 / 2 words per class.
    per_class, overall = class_tfidf(["apple apple", "banana", "banana cherry"], np.array([0, 0, 1]),
                                     stop_words=None)
    assert per_class[0] == [("apple", pytest.approx(2 / 3 * math.log(1 + 2.5 / 2))),
                            ("banana", pytest.approx(1 / 3 * math.log(1 + 2.5 / 2)))]
    assert per_class[1] == [("cherry", pytest.approx(1 / 2 * math.log(1 + 2.5 / 1))),
                            ("banana", pytest.approx(1 / 2 * math.log(1 + 2.5 / 2)))]
    assert overall == [("apple", 2.0), ("banana", 2.0), ("cherry", 1.0)]


def test_identical_rows_make_one_topic_with_zero_entropy_and_distance():
    texts = ["the cat sat"] * 6
    vectors = np.tile(np.array([[0.6, 0.8, 0.0]], dtype=np.float32), (6, 1))
    result = analyze_topics(texts, vectors)
    assert set(result.cluster_ids.tolist()) == {0}
    d = result.diversity
    assert (d.clusters, d.cluster_entropy_bits, d.cluster_entropy_normalized) == (1, 0.0, 0.0)
    assert d.mean_pairwise_distance == pytest.approx(0.0, abs=1e-6)
    assert d.distinct_1 == pytest.approx(3 / 18) and d.distinct_2 == pytest.approx(2 / 12)


def test_distinct_n_counts_ngrams_within_rows_only():
    # unigrams: a b a b b a -> 2 unique / 6; bigrams: ab ba ab | ba -> 2 unique / 4 (no "b b" across rows)
    assert distinct_n(["A b a b", "b, a"], 1) == pytest.approx(2 / 6)
    assert distinct_n(["A b a b", "b, a"], 2) == pytest.approx(2 / 4)
    assert distinct_n(["one two three"], 3) == 1.0
    assert math.isnan(distinct_n(["", "solo"], 2))


def test_cluster_entropy_in_bits():
    assert cluster_entropy(np.array([0, 0, 1, 1])) == (1.0, 1.0)
    bits, normalized = cluster_entropy(np.array([0, 0, 0, 1]))
    assert bits == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)))  # 0.8113
    assert normalized == pytest.approx(bits)
    assert cluster_entropy(np.array([0, 1, 2])) == pytest.approx((math.log2(3), 1.0))


def test_mean_pairwise_distance_is_exact_without_a_pair_matrix():
    e1, e2 = [1.0, 0.0], [0.0, 1.0]
    # pairs: (e1,e1) distance 0, (e1,e2) twice distance 1 -> 2/3; the empty (zero) row is left out
    assert mean_pairwise_distance(np.array([e1, e1, e2, [0.0, 0.0]])) == pytest.approx(2 / 3)
    rng = np.random.default_rng(1)
    v = rng.normal(size=(50, 8))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    sims = v @ v.T
    brute = 1 - (sims.sum() - np.trace(sims)) / (50 * 49)
    assert mean_pairwise_distance(v) == pytest.approx(brute)


def test_hdbscan_finds_dense_groups_and_calls_scattered_rows_outliers():
    vectors, truth = blobs(sizes=(40, 40, 40), spread=0.02)
    rng = np.random.default_rng(3)
    scattered = rng.normal(size=(12, 16))
    scattered /= np.linalg.norm(scattered, axis=1, keepdims=True)
    vectors = np.vstack([vectors, scattered]).astype(np.float32)
    texts = topic_texts(truth) + ["random words here"] * 12
    result = analyze_topics(texts, vectors, method="hdbscan", min_cluster_size=10)
    assert same_partition(result.cluster_ids[:120], truth)
    assert (result.cluster_ids[120:] == -1).sum() >= 8  # most; a few may sit at a cluster's edge
    assert result.clusters[-1].id == -1 and result.clusters[-1].label == "outliers"
    assert result.diversity.clusters == 4  # three topics plus the outlier group


def test_hdbscan_on_a_sample_labels_every_row(monkeypatch):
    monkeypatch.setattr(topics, "HDBSCAN_MAX_FIT_ROWS", 60)
    vectors, truth = blobs(sizes=(40, 40, 40), spread=0.02)
    labels = topics.hdbscan_clusters(vectors, min_cluster_size=20)
    assert same_partition(labels, truth)


def test_estimate_k_never_asks_for_more_clusters_than_distinct_rows():
    vectors = np.repeat(np.eye(4, dtype=np.float32)[:2], 10, axis=0)
    k, scores = estimate_k(vectors)
    assert k == 2 and scores == {}


def test_map_is_two_dimensional_and_separates_the_groups():
    vectors, truth = blobs()
    xy = project_2d(vectors)
    assert xy.shape == (90, 2)
    centres = np.array([xy[truth == g].mean(axis=0) for g in range(3)])
    spread = max(np.linalg.norm(xy[truth == g] - centres[g], axis=1).max() for g in range(3))
    assert min(np.linalg.norm(centres[i] - centres[j]) for i in range(3) for j in range(i)) > 2 * spread


def test_bad_choices_name_the_field():
    vectors, truth = blobs()
    texts = topic_texts(truth)
    with pytest.raises(SieveInputError, match="field 'method'"):
        analyze_topics(texts, vectors, method="dbscan")
    with pytest.raises(SieveInputError, match="field 'k'"):
        analyze_topics(texts, vectors, k=0)
    if not topics.umap_available():
        with pytest.raises(SieveInputError, match="umap-learn"):
            analyze_topics(texts, vectors, projection="umap")


def test_texts_without_words_still_get_labels():
    result = analyze_topics(["", "123", "", "456"], np.eye(4, dtype=np.float32), k=2)
    assert {c.label for c in result.clusters} == {"cluster 0", "cluster 1"}


def test_word_cloud_renders_an_image_and_nothing_for_no_words():
    image = word_cloud([("bread", 3.0), ("flour", 1.0)], width=200, height=100)
    assert image.shape == (100, 200, 3) and image.min() < 255  # some ink on white
    assert word_cloud([]) is None


def test_prompt_boilerplate_is_never_a_label_word():
    per_class, _ = class_tfidf(["Rewrite the following sentence", "Given the input, translate it"], np.array([0, 1]))
    assert [t for t, _ in per_class[0]] == ["rewrite", "sentence"]
    assert [t for t, _ in per_class[1]] == ["translate"]


def test_estimated_k_is_at_most_the_square_root_of_the_rows():
    vectors, _ = blobs(sizes=(3,) * 6, spread=0.01)   # 18 rows in 6 tight groups: sqrt(18) -> k <= 4
    k, scores = estimate_k(vectors)
    assert max(scores) == 4 and k <= 4


def test_umap_map_is_used_when_installed(monkeypatch):
    import sys
    import types

    calls = []

    class FakeUMAP:  # stands in for umap-learn, which is optional and not in requirements.txt
        def __init__(self, **params):
            calls.append(params)

        def fit_transform(self, vectors):
            return vectors[:, :2] * 10

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    vectors, truth = blobs()
    result = analyze_topics(topic_texts(truth), vectors, k=3, projection="umap", seed=7)
    assert calls == [{"n_components": 2, "metric": "cosine", "random_state": 7}]
    np.testing.assert_allclose(result.x, vectors[:, 0] * 10, rtol=1e-6)
    assert result.projection == "umap"


def test_progress_names_each_stage():
    vectors, truth = blobs()
    seen = []
    analyze_topics(topic_texts(truth), vectors, on_progress=lambda done, total, msg: seen.append((done, total, msg)))
    assert seen[0] == (0, 4, "Estimating the number of topics") and seen[-1] == (4, 4, "Done")
    assert [m for _, _, m in seen[1:-1]] == ["Clustering into 3 topics", "Labelling topics (c-TF-IDF)", "Drawing the map"]


def test_words_keep_their_combining_marks_and_long_ngrams_still_count():
    from core.diversity import word_ids

    ids, rows = word_ids(["नमस्ते दुनिया नमस्ते", "Ünïcode ünïcode!"])
    assert ids.tolist() == [0, 1, 0, 2, 2] and rows.tolist() == [0, 0, 0, 1, 1]
    # 20-grams over 10 distinct words: 10**20 > 2**63, so the row-wise fallback counts them
    text = " ".join(f"w{i % 10}" for i in range(21))
    assert distinct_n([text, text], 20) == pytest.approx(2 / 4)
