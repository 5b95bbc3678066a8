import numpy as np

from core.dedup.diff import word_diff_html
from core.dedup.embedding import EmbeddingDedup
from core.dedup.explore import (cluster_sizes, nearest_similarity, resolve_from_graph, signature_key,
                                similarity_graph)
from core.dedup.runner import compute_signatures
from core.steps import build_step
from tests.dedup.near_duplicates import UNRELATED, VARIANTS, conversation_table


def test_signature_key_ignores_threshold_and_keep_but_not_shingles():
    a = build_step("dedup", "minhash", {"threshold": 0.6})
    b = build_step("dedup", "minhash", {"threshold": 0.9, "keep": "longest"})
    c = build_step("dedup", "minhash", {"ngram": 5})
    assert signature_key(a) == signature_key(b) != signature_key(c)


def test_embedding_graph_recut_matches_a_fresh_resolve():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(40, 8))
    vectors = np.concatenate([base, base[:10] + rng.normal(scale=0.3, size=(10, 8))]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"t{i}" for i in range(50)]
    step = EmbeddingDedup(threshold=0.8)
    signatures = step.signatures_from_vectors(conversation_table(texts), vectors)
    graph = similarity_graph(step, signatures)  # built once at the page floor (0.8)
    for threshold in (0.85, 0.9, 0.95):
        moved = EmbeddingDedup(threshold=threshold)
        assert resolve_from_graph(moved, signatures, graph).ledger.to_pylist() == moved.resolve(signatures).ledger.to_pylist()
    full = vectors @ vectors.T
    np.fill_diagonal(full, -1)
    brute = np.where(full.max(axis=1) >= 0.8, full.max(axis=1), np.nan)
    assert np.allclose(nearest_similarity(50, *graph), brute, equal_nan=True, atol=1e-5)
    assert (~np.isnan(brute[40:])).sum() >= 5  # the noisy copies do have neighbours


def test_minhash_graph_and_cluster_sizes():
    table = conversation_table(list(VARIANTS.values()) + UNRELATED)
    step = build_step("dedup", "minhash")
    signatures = compute_signatures(table, step)
    left, right, similarity = similarity_graph(step, signatures)
    assert {(int(a), int(b)) for a, b in zip(left, right)} >= {(0, 1), (0, 2), (0, 3)}
    nearest = nearest_similarity(table.num_rows, left, right, similarity)
    assert nearest[0] == 1.0 and np.isnan(nearest[4:]).all()
    sizes = cluster_sizes(step.resolve(signatures))
    assert sizes.to_pylist() == [{"cluster": 0, "size": 4, "kept_id": "r0",
                                  "min_similarity": sizes.column("min_similarity")[0].as_py()}]
    assert 0.7 <= sizes.column("min_similarity")[0].as_py() < 1.0


def test_word_diff_marks_changed_words_and_escapes_html():
    kept, member = word_diff_html("Write a short <b>story</b>.", "Write a brief <b>story</b>.")
    assert kept == "Write a <del>short</del> &lt;b&gt;story&lt;/b&gt;."
    assert member == "Write a <ins>brief</ins> &lt;b&gt;story&lt;/b&gt;."
    assert word_diff_html("same  words", "same words") == ("same  words", "same words")
