"""Each method on hand-built near-duplicates (whitespace, punctuation, a changed word, reordered
sentences) and clear non-duplicates."""

import numpy as np
import pytest

from core.dedup.minhash import estimated_jaccard, minhash_matrix, optimal_bands
from core.dedup.normalize import normalize_text
from core.dedup.runner import deduplicate
from core.errors import SieveConfigError, SieveInputError
from core.steps import build_step

from tests.dedup.near_duplicates import REORDERED, UNRELATED, VARIANTS, conversation_table


def variant_table():
    names = list(VARIANTS) + [f"unrelated{i}" for i in range(len(UNRELATED))]
    return conversation_table(list(VARIANTS.values()) + UNRELATED, ids=names)


def word_trigram_jaccard(a: str, b: str) -> float:
    def shingles(text):
        words = normalize_text(text).split()
        return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def test_exact_catches_whitespace_case_and_punctuation_but_not_a_changed_word():
    result = deduplicate(variant_table(), build_step("dedup", "exact"))
    assert result.dropped_ids == {"whitespace", "punctuation"}
    assert set(result.ledger.column("kept_id").to_pylist()) == {"original"}
    assert result.ledger.column("similarity").to_pylist() == [1.0, 1.0]


def test_minhash_catches_all_variants_and_no_unrelated_row():
    result = deduplicate(variant_table(), build_step("dedup", "minhash", {"threshold": 0.7}))
    assert result.dropped_ids == {"whitespace", "punctuation", "changed_word"}
    similarity = dict(zip(result.ledger.column("id").to_pylist(), result.ledger.column("similarity").to_pylist()))
    assert similarity["whitespace"] == similarity["punctuation"] == 1.0
    true_jaccard = word_trigram_jaccard(VARIANTS["original"], VARIANTS["changed_word"])  # 42 trigrams, 3 replaced: 39/45
    assert true_jaccard == pytest.approx(39 / 45)
    assert similarity["changed_word"] == pytest.approx(true_jaccard, abs=0.1)


def test_minhash_reordered_sentences_match_at_their_shingle_jaccard():
    true_jaccard = word_trigram_jaccard(*REORDERED)
    assert 0.7 < true_jaccard < 0.85  # sentence boundaries change a few trigrams
    table = conversation_table(list(REORDERED) + UNRELATED)
    assert deduplicate(table, build_step("dedup", "minhash", {"threshold": 0.6})).dropped_ids == {"r1"}
    assert deduplicate(table, build_step("dedup", "minhash", {"threshold": 0.95})).dropped_ids == set()


def test_minhash_estimate_tracks_true_jaccard():
    digests, present = minhash_matrix([VARIANTS["original"], VARIANTS["changed_word"], UNRELATED[0]], 256, 3)
    assert present.all()
    estimate = estimated_jaccard(digests, np.array([0, 0]), np.array([1, 2]))
    assert estimate[0] == pytest.approx(39 / 45, abs=0.08)
    assert estimate[1] < 0.1


def test_optimal_bands_fit_in_num_perm_and_move_with_threshold():
    low_bands, low_rows = optimal_bands(0.5, 128)
    high_bands, high_rows = optimal_bands(0.9, 128)
    assert low_bands * low_rows <= 128 and high_bands * high_rows <= 128
    # a higher threshold needs longer bands (fewer, stricter chances to collide)
    assert high_rows > low_rows and high_bands < low_bands
    # the 50%-candidate point (1/b)^(1/r) sits near the threshold
    assert (1 / low_bands) ** (1 / low_rows) == pytest.approx(0.5, abs=0.15)
    assert (1 / high_bands) ** (1 / high_rows) == pytest.approx(0.9, abs=0.1)


def test_embedding_with_a_tiny_model_catches_paraphrase_like_variants(tiny_embedder):
    names = list(VARIANTS) + ["reordered_a", "reordered_b"] + [f"unrelated{i}" for i in range(len(UNRELATED))]
    table = conversation_table(list(VARIANTS.values()) + list(REORDERED) + UNRELATED, ids=names)
    result = deduplicate(table, build_step("dedup", "embedding", {"threshold": 0.9}))
    assert result.dropped_ids == {"whitespace", "punctuation", "changed_word", "reordered_b"}
    kept = dict(zip(result.ledger.column("id").to_pylist(), result.ledger.column("kept_id").to_pylist()))
    assert kept["reordered_b"] == "reordered_a" and kept["changed_word"] == "original"


def test_embedding_chain_is_cut_at_the_kept_row():
    from core.dedup.embedding import EmbeddingDedup
    import pyarrow as pa

    # Unit vectors at 0, 20 and 40 degrees: neighbours are 0.94 apart, the ends only 0.77.
    angles = np.radians([0, 20, 40, 90])
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    step = EmbeddingDedup(threshold=0.9)
    texts = ["a", "b", "c", "d"]
    signatures = pa.table({"id": texts, "order": np.arange(4), "length": np.zeros(4, np.int64),
                           "score": np.full(4, np.nan), **step.vector_signatures(vectors, texts)})
    result = step.resolve(signatures)
    assert result.dropped_ids == {"b"}
    assert result.ledger.column("similarity").to_pylist() == pytest.approx([np.cos(np.radians(20))])
    # keep='longest' makes the middle row the kept one: then both ends are within threshold of it
    signatures = signatures.set_column(2, "length", pa.array([1, 9, 1, 1]))
    assert EmbeddingDedup(threshold=0.9, keep="longest").resolve(signatures).dropped_ids == {"a", "c"}


def test_embedding_neighbours_are_blockwise_and_capped():
    from core.dedup.embedding import neighbour_pairs

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors[150] = vectors[3]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    full = vectors @ vectors.T
    expected = {(i, j) for i, j in zip(*np.nonzero(np.triu(full, 1) >= 0.6))}
    left, right, sim = neighbour_pairs(vectors, 0.6, block_bytes=4 * 300 * 7)  # 7-row blocks
    assert set(zip(left.tolist(), right.tolist())) == expected
    assert np.allclose(sim, full[left, right])
    same = np.repeat(vectors[:1], 10, axis=0)
    left, right, _ = neighbour_pairs(same, 0.9, max_neighbours=3)
    assert np.bincount(left, minlength=10).max() <= 3


def test_keep_longest_picks_the_longest_response():
    table = conversation_table([VARIANTS["original"], VARIANTS["whitespace"]], responses=["short", "a much longer reply"])
    result = deduplicate(table, build_step("dedup", "exact", {"keep": "longest"}))
    assert result.dropped_ids == {"r0"}


def test_keep_best_score_uses_the_metric_column_and_requires_it():
    import pyarrow as pa

    table = conversation_table([VARIANTS["original"], VARIANTS["whitespace"], VARIANTS["punctuation"]])
    table = table.append_column("quality", pa.array([0.1, 0.9, 0.5]))
    step = build_step("dedup", "exact", {"keep": "best_score", "score_column": "quality"})
    assert deduplicate(table, step).dropped_ids == {"r0", "r2"}
    with pytest.raises(SieveConfigError, match="score_column"):
        build_step("dedup", "exact", {"keep": "best_score"})
    with pytest.raises(SieveInputError, match="'toxicity'"):
        deduplicate(table, build_step("dedup", "exact", {"keep": "best_score", "score_column": "toxicity"}))


def test_rows_without_text_are_never_duplicates():
    table = conversation_table(["", "  ", "!!", "real text here"])
    for method in ("exact", "minhash"):
        assert deduplicate(table, build_step("dedup", method)).ledger.num_rows == 0


def test_fields_choose_the_compared_text():
    # Same instruction, different second user turn: duplicates by instruction, not by prompt.
    from core.schema import message, records_to_table

    records = [{"id": f"c{i}", "messages": [message("user", "Tell me about cats."), message("assistant", "Cats."),
                                              message("user", follow_up), message("assistant", "Sure.")]}
               for i, follow_up in enumerate(["And dogs?", "What about parrots and their lifespan?"])]
    table = records_to_table(records)
    assert deduplicate(table, build_step("dedup", "exact", {"fields": "instruction"})).dropped_ids == {"c1"}
    assert deduplicate(table, build_step("dedup", "exact", {"fields": "prompt"})).dropped_ids == set()


def test_signatures_in_batches_equal_one_batch():
    table = variant_table()
    step = build_step("dedup", "minhash")
    whole = deduplicate(table, step, batch_size=100)
    batched = deduplicate(table, step, batch_size=3)
    assert whole.ledger.to_pylist() == batched.ledger.to_pylist()
