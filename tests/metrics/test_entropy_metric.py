import math

import pytest

from core.metrics.entropy import (Entropy, duplicate_line_fractions, duplicate_ngram_char_fraction,
                                  shannon_entropy_bits, top_ngram_char_fraction)
from tests.metrics.inspect_records import conversation, table_of


def test_entropy_of_one_repeated_token_is_zero():
    out = Entropy().compute(table_of(conversation("say it", "hello hello hello hello")))
    assert out["response_entropy_bits"][0] == 0.0


def test_entropy_of_uniform_distribution_is_log2_of_distinct_tokens():
    assert shannon_entropy_bits(["a", "b", "c", "d"]) == pytest.approx(2.0)
    # p = (1/2, 1/4, 1/4): 0.5*1 + 2 * 0.25*2 = 1.5 bits
    assert shannon_entropy_bits(["a", "a", "b", "c"]) == pytest.approx(1.5)
    assert shannon_entropy_bits([]) == 0.0


def test_entropy_is_case_insensitive_over_words_and_can_use_a_tokenizer():
    table = table_of(conversation("q", "Cat cat CAT dog"))
    words = Entropy().compute(table)["response_entropy_bits"][0]
    expected = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert words == pytest.approx(expected)
    tokens = Entropy(tokens="mistral").compute(table)["response_entropy_bits"][0]
    assert tokens > 0 and tokens != pytest.approx(expected)


def test_top_ngram_char_fraction():
    text = "the cat the cat the dog"  # 23 chars; "the cat" (7 chars) occurs twice
    assert top_ngram_char_fraction(text.split(), 2, len(text)) == pytest.approx(14 / 23)
    # 3-grams: "the cat the" (11 chars) occurs twice
    assert top_ngram_char_fraction(text.split(), 3, len(text)) == pytest.approx(22 / 23)
    unique = "every word here differs"
    assert top_ngram_char_fraction(unique.split(), 2, len(unique)) == 0.0


def test_duplicate_ngram_char_fraction_skips_past_each_repeat():
    words = "a b a b a b".split()  # 11 chars
    # i=0 "a b" new; i=1 "b a" new; i=2 "a b" seen (+3, jump to 4); i=4 "a b" seen (+3) -> 6/11
    assert duplicate_ngram_char_fraction(words, 2, 11) == pytest.approx(6 / 11)
    assert duplicate_ngram_char_fraction("x y z".split(), 4, 5) == 0.0


def test_duplicate_lines_ignore_blank_lines():
    text = "same line\n\nsame line\n\nother"  # 3 non-blank lines, one repeat of 9 chars; 28 chars
    line_frac, char_frac = duplicate_line_fractions(text)
    assert line_frac == pytest.approx(1 / 3)
    assert char_frac == pytest.approx(9 / len(text))


def test_metric_columns_and_values_for_a_repetitive_and_a_varied_response():
    repetitive = "buy now\nbuy now\nbuy now"
    varied = "The quick brown fox jumps over the lazy dog."
    out = Entropy().compute(table_of(conversation("q", repetitive), conversation("q", varied), {"messages": []}))
    assert out["response_dup_line_frac"].tolist() == pytest.approx([2 / 3, 0.0, 0.0])
    assert out["response_top_2gram_char_frac"][0] == pytest.approx(3 * len("buy now") / len(repetitive))
    assert out["response_top_2gram_char_frac"][1] == 0.0
    assert out["response_entropy_bits"][1] > out["response_entropy_bits"][0] == pytest.approx(1.0)
    assert {c.name for c in Entropy().columns()} == set(out)
    assert all(c.better for c in Entropy().columns())
