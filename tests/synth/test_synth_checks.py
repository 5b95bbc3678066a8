"""ROUGE-L, lexical coherence, requirement checks and judge verdict parsing."""

import random

import numpy as np
import pytest

from core.synth.checks import (RougePool, content_words, lexical_coherence, parse_verdict,
                               requirement_failure, rouge_l_f1, words)


def naive_lcs(a: list[str], b: list[str]) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[-1][-1]


def test_rouge_l_hand_computed():
    # LCS("the cat sat on the mat", "the cat on a mat") = the cat on mat = 4; P = 4/6, R = 4/5
    assert rouge_l_f1("the cat sat on the mat", "the cat on a mat") == pytest.approx(2 * (4 / 6) * (4 / 5) / (4 / 6 + 4 / 5))
    assert rouge_l_f1("A b C d", "d c b a") == pytest.approx(0.25)  # one word in order, case folded
    assert rouge_l_f1("Explain recursion.", "explain recursion") == 1.0
    assert rouge_l_f1("", "anything") == 0.0


@pytest.mark.parametrize("max_words", [12, 150])  # 150: tasks past 64 words take the fallback path
def test_pool_scores_match_a_naive_lcs_on_random_texts(max_words):
    rng = random.Random(3)
    vocab = "alpha beta gamma delta eps zeta eta theta".split()
    pool_texts = [" ".join(rng.choices(vocab, k=rng.randint(0, max_words))) for _ in range(480 // max_words)]
    pool_texts += [" ".join(rng.choices(vocab, k=64)), " ".join(rng.choices(vocab, k=65))]  # one word / just over
    pool = RougePool(pool_texts)
    for _ in range(max(240 // max_words, 3)):
        candidate = " ".join(rng.choices(vocab, k=rng.randint(1, max_words)))
        expected = []
        for ref in pool_texts:
            lcs = naive_lcs(words(candidate), words(ref))
            p, r = (lcs / len(words(candidate)), lcs / len(words(ref))) if words(ref) else (0, 0)
            expected.append(2 * p * r / (p + r) if p + r else 0.0)
        np.testing.assert_allclose(pool.scores(candidate), expected)


def test_most_similar_names_the_pool_task():
    pool = RougePool(["Write a poem about autumn.", "List three prime numbers."])
    score, nearest = pool.most_similar("Write a short poem about autumn")
    assert nearest == "Write a poem about autumn." and score == pytest.approx(2 * 1 * (5 / 6) / (1 + 5 / 6))
    assert RougePool().most_similar("x") == (0.0, None)


def test_lexical_coherence_counts_the_instructions_content_words():
    # content stems of the instruction: photo(synthesis), conve(rts), sunli(ght) -> response has 2 of 3
    assert content_words("Explain how photosynthesis converts sunlight") == {"photo", "conve", "sunli"}
    assert lexical_coherence("Explain how photosynthesis converts sunlight",
                             "Photosynthesis uses sunlight to make sugar.") == pytest.approx(2 / 3)
    assert lexical_coherence("Explain how photosynthesis converts sunlight", "I like trains.") == 0.0
    assert lexical_coherence("Write it please", "anything") == 1.0  # nothing to check against


@pytest.mark.parametrize("requirement,content,calls,expected", [
    ("step_by_step", "2+2: add them.\nFinal answer: 4", None, None),
    ("step_by_step", "It is 4.", None, "step_by_step: no 'Final answer:' line"),
    ("json_output", '```json\n{"a": 1}\n```', None, None),
    ("json_output", "{'a': 1}", None, "json_output: response is not valid JSON"),
    ("json_output", "42", None, "json_output: JSON is not an object or array"),
    ("tool_use", "", [{"type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"2+2\"}"}}], None),
    ("tool_use", "The answer is 4.", None, "tool_use: no tool call"),
    ("tool_use", "", [{"function": {"name": "shell", "arguments": "{}"}}], "tool_use: unknown tool 'shell'"),
    ("tool_use", "", [{"function": {"name": "calculator", "arguments": "2+2"}}], "tool_use: arguments of calculator are not JSON"),
])
def test_requirement_checks(requirement, content, calls, expected):
    assert requirement_failure(requirement, content, calls, {"calculator", "web_search"}) == expected


def test_parse_verdict_validates_the_judges_json():
    good = '{"helpfulness": {"score": 4, "reason": "ok"}, "correctness": {"score": 5, "reason": "right"}, ' \
           '"safety": {"score": 5, "reason": "fine"}}'
    verdict, problem = parse_verdict(f"Sure! Here is my grading:\n```json\n{good}\n```")
    assert problem is None and verdict.helpfulness.score == 4 and verdict.correctness.reason == "right"
    assert parse_verdict("I think it is good.") == (None, "judge answer invalid: no JSON object")
    assert parse_verdict("{helpfulness: 4}") == (None, "judge answer invalid: not JSON")
    _, problem = parse_verdict(good.replace('"score": 5, "reason": "right"', '"score": 7, "reason": "right"'))
    assert problem == "judge answer invalid: correctness.score: Input should be less than or equal to 5"
    _, problem = parse_verdict('{"helpfulness": {"score": 4, "reason": "ok"}}')
    assert problem == "judge answer invalid: correctness: Field required"
