import numpy as np

from core.dedup.normalize import ngram_hashes, normalize_text, word_hashes


def test_normalize_collapses_case_width_punctuation_and_whitespace():
    assert normalize_text("  Hello,\tWORLD!!  ｆｕｌｌ-width\n") == "hello world full width"
    assert normalize_text("Straße") == normalize_text("STRASSE")  # casefold, not lower
    assert normalize_text("snake_case … done.") == "snake case done"
    assert normalize_text("?!") == ""


def test_word_hashes_depend_on_the_word_only():
    hashes, offsets = word_hashes(["a b a", "b c", ""])
    assert offsets.tolist() == [0, 3, 5, 5]
    assert hashes[0] == hashes[2] and hashes[1] == hashes[3] and hashes[0] != hashes[1]
    other, _ = word_hashes(["c"])  # another batch: same word, same hash
    assert other[0] == hashes[4]


def test_ngram_hashes_count_and_short_rows():
    hashes, offsets = word_hashes(["one two three four", "solo", "", "x y"])
    shingles, new_offsets = ngram_hashes(hashes, offsets, 3)
    # 4 words -> 2 trigrams; 1 word -> 1 shingle; empty -> 0; 2 words (< n) -> 1 shingle
    assert np.diff(new_offsets).tolist() == [2, 1, 0, 1]
    assert shingles[0] != shingles[1]
    same, _ = ngram_hashes(*word_hashes(["two three four"]), 3)
    assert same[0] == shingles[1]  # a trigram hashes the same wherever it appears
