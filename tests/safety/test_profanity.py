"""Profanity word lists: boundaries, obfuscation, the user's list, counts per role."""

import pytest

from core.metrics.profanity import DEFAULT_WORDS, MILD_WORDS, compile_word_list, find_profanity
from core.schema import Dataset, message
from core.scoring import score_table
from core.steps import build_step

PATTERN, TERMS = compile_word_list(DEFAULT_WORDS + MILD_WORDS)


def terms_in(text):
    return [term for term, _, _ in find_profanity(text, PATTERN, TERMS)]


@pytest.mark.parametrize("text", [
    "Scunthorpe United won on Saturday.", "The assessment is due Monday.", "A classic cocktail recipe.",
    "Read Dickens in class.", "The bass player passed the grass.", "Flame retardant materials.",
    "Cumulative analysis of the therapist's notes.", "He cocked his head.", "Shell scripts say hello.",
    "Matsushita and Hancock met in Middlesex.", "The cockpit of the shuttlecock.", "assassinate, assume, embassy",
    "| 131 | 17,161 | 2,248,091 | 11.4455 |", "Une douche au bureau.", "Hello, shell, Dante's seventh circle",
])
def test_words_containing_a_listed_word_are_clean(text):
    assert terms_in(text) == []


@pytest.mark.parametrize("text, expected", [
    ("What the fuck.", ["fuck"]),
    ("FUCKING hell", ["fuck"]),
    ("f*ck this", ["fuck"]),
    ("f.u.c.k off", ["fuck"]),
    ("f u c k", ["fuck"]),
    ("fuuuuuck", ["fuck"]),
    ("sh1t happens", ["shit"]),
    ("sh!t", ["shit"]),
    ("shiiiit", ["shit"]),
    ("what a $h!tty day", ["shit"]),
    ("kiss my @ss", ["ass"]),
    ("you a$$hole", ["asshole"]),
    ("b!tch please", ["bitch"]),
    ("that's bullshit", ["bullshit"]),
    ("motherfucker", ["motherfuck"]),
    ("pissed off", ["pissed"]),
    ("What the hell is a monad?", ["the hell"]),
    ("Bloody   hell, 300 tabs!", ["bloody hell"]),
    ("that's a crap idea", ["crap"]),
])
def test_obfuscated_profanity_is_found(text, expected):
    assert terms_in(text) == expected


def test_mixed_separators_inside_one_word_are_not_a_match():
    # "as s-expressions" would be 'ass' if any separator pattern were allowed between letters.
    assert terms_in("as s-expressions and a s.s") == []


def test_user_list_adds_removes_and_replaces_words():
    added = build_step("metric", "profanity", {"extra_words": ["frak*"], "ignore_words": ["piss"]})
    ds = Dataset.from_records([{"id": "0", "messages": [message("user", "Frakking toaster, piss off"),
                                                        message("assistant", "No shit.")]}])
    cols = score_table(ds.table, [added])
    assert cols["prompt_profanity_count"].to_pylist() == [1]
    assert cols["response_profanity_count"].to_pylist() == [1]
    assert cols["profanity_terms"].to_pylist() == [["frak", "shit"]]
    only_mine = build_step("metric", "profanity", {"use_default_list": False, "extra_words": ["darn"]})
    cols = score_table(ds.table, [only_mine])
    assert cols["response_profanity_count"].to_pylist() == [0]


def test_counts_per_role_and_row():
    ds = Dataset.from_records([
        {"id": "0", "messages": [message("user", "shit, shit and more SHIT"), message("assistant", "Let's keep it civil.")]},
        {"id": "1", "messages": [message("user", "Classic assessment in Scunthorpe"), message("assistant", "f*ck yes")]},
    ])
    cols = score_table(ds.table, [build_step("metric", "profanity")])
    assert cols["prompt_profanity_count"].to_pylist() == [3, 0]
    assert cols["response_profanity_count"].to_pylist() == [0, 1]
    assert cols["profanity_terms"].to_pylist() == [["shit"], ["fuck"]]


def test_mild_words_can_be_switched_off():
    ds = Dataset.from_records([{"id": "0", "messages": [message("user", "What the hell?"), message("assistant", "Damn.")]}])
    strict = score_table(ds.table, [build_step("metric", "profanity", {"include_mild": False})])
    assert strict["prompt_profanity_count"].to_pylist() == [0] and strict["response_profanity_count"].to_pylist() == [0]
    mild = score_table(ds.table, [build_step("metric", "profanity")])
    assert mild["profanity_terms"].to_pylist() == [["damn", "the hell"]]


def test_empty_list_finds_nothing():
    pattern, terms = compile_word_list(())
    assert find_profanity("fuck", pattern, terms) == []
