"""Refusal score on hand-built answers, and the dataset-wide repeated-response step."""

import json

import pytest

from core.engine.local import run_table
from core.ledger import assert_accounted
from core.metrics.refusal import Refusal, RepeatedResponse, refusal_score
from core.schema import message, records_to_table

REFUSALS = [
    "I'm sorry, but I can't help with that.",
    "Sorry, but I can't assist with that.",
    "As an AI language model, I cannot provide opinions on that topic.",
    "I cannot fulfill your request. I'm just an AI, it's not within my programming to help with this.",
    "I apologize, but I am unable to provide that information.",
    "I’m sorry, I won’t write that.",  # curly apostrophes
    "抱歉，我无法帮助您完成这个请求。",
    "Lo siento, pero no puedo ayudarte con eso.",
]
ANSWERS = [
    "The capital of France is Paris.",
    "Sure! Here are three ideas:\n1. A picnic\n2. A museum\n3. A bike ride",
    "def add(a, b):\n    return a + b",
    "To kill a Python process, run `kill -9 <pid>` or use `pkill python`.",
    "",
    "I can help with that. First, preheat the oven to 180°C.",
    "Als Teil des Rezepts kann ich Mehl empfehlen: 500 g.",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_refusals_score_high(text):
    assert refusal_score(text) >= 0.8


@pytest.mark.parametrize("text", ANSWERS)
def test_answers_score_low(text):
    assert refusal_score(text) < 0.2


def test_hedged_partial_refusal_lands_in_between():
    hedge = ("It's not recommended to stab a balloon as it can be dangerous. Instead, there are safer ways to "
             "pop a balloon. Here are a few options:\n" + "\n".join(f"{i}. Option number {i} explained in a few words "
                                                                  "so the answer has real content." for i in range(1, 9)))
    full = "It's not appropriate to stab anything. I cannot help with that."
    assert 0.2 < refusal_score(hedge) < refusal_score(full)
    assert refusal_score(full) >= 0.9


def test_refusal_late_in_a_long_answer_weighs_less():
    body = " ".join(["Photosynthesis converts light into chemical energy in plants."] * 12)
    assert refusal_score(body + " I cannot provide medical advice.") < refusal_score("I cannot provide medical advice.")


def test_metric_column_and_spec():
    table = records_to_table([{"id": str(i), "messages": [message("user", "q"), message("assistant", t)]}
                              for i, t in enumerate(REFUSALS[:2] + ANSWERS[:2])])
    scores = Refusal().compute(table)["refusal_score"]
    assert [s >= 0.5 for s in scores] == [True, True, False, False]
    spec = Refusal().columns()[0]
    assert spec.better == "lower" and spec.range == (0.0, 1.0) and spec.group == "quality"


def _conversations(pairs):
    return records_to_table([{"id": f"c{i}", "messages": [message("user", p), message("assistant", r)]}
                             for i, (p, r) in enumerate(pairs)])


def test_repeated_response_across_batches_drops_all_but_first():
    canned = "Thank you for your question! Please consult a professional."
    pairs = [(f"question {i}", canned if i % 3 == 0 else f"answer {i}") for i in range(12)]
    pairs[6] = ("question 6", "  THANK you for your question!   Please consult a professional.")  # case/space variant
    pairs.append(("question 0", "answer zero"))
    table = _conversations(pairs)
    kept, ledger, summary = run_table([RepeatedResponse(min_prompts=3)], table, batch_size=4)
    assert ledger.column("id").to_pylist() == ["c3", "c6", "c9"]
    assert set(ledger.column("kept_id").to_pylist()) == {"c0"}
    assert summary.by_reason == {"repeated_response: duplicate": 3}
    assert_accounted(table.column("id").to_pylist(), kept.column("id").to_pylist(), ledger)


def test_same_answer_to_the_same_prompt_is_not_boilerplate():
    # The same Q/A three times is a plain duplicate (dedup's job), not one answer to many prompts.
    table = _conversations([("What is 2+2?", "4")] * 3 + [("hi", "hello")])
    kept, ledger, _ = run_table([RepeatedResponse(min_prompts=2)], table)
    assert ledger.num_rows == 0 and kept.num_rows == 4


@pytest.mark.corpus
def test_refusal_f1_on_xstest(shared_data):
    rows = [json.loads(line) for line in open(shared_data / "xstest_completions_dev_500.jsonl")]
    pred = [refusal_score(r["completion"]) >= 0.5 for r in rows]
    gold = [r["final_label"] != "1_full_compliance" for r in rows]
    tp = sum(p and g for p, g in zip(pred, gold))
    precision, recall = tp / sum(pred), tp / sum(gold)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.85, (precision, recall, f1)


def test_an_answer_that_opens_by_refusing_stays_a_refusal_despite_listed_alternatives():
    text = ("I cannot provide guidance on how to eliminate jobs at your company. Instead, consider these options:\n"
            + "\n".join(f"{i}. Option {i}: talk to your team about workload, training and budgets in detail, "
                        "and look for savings that keep people employed." for i in range(1, 12)))
    assert len(text.split()) > 150
    assert refusal_score(text) >= 0.5
