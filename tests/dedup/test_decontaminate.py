import pytest

from core.dedup.decontaminate import decontaminate
from core.dedup.runner import compute_signatures
from core.steps import build_step

from tests.dedup.near_duplicates import REORDERED, UNRELATED, VARIANTS, conversation_table


@pytest.mark.parametrize("method, params, leaked", [
    ("exact", {}, {"r0", "r1"}),
    ("minhash", {"threshold": 0.6}, {"r0", "r1", "r2", "r3"}),
    ("embedding", {"threshold": 0.9}, {"r0", "r1", "r2", "r3"}),
])
def test_rows_matching_the_eval_set_are_dropped(method, params, leaked, tiny_embedder):
    # Training rows: two punctuation/spacing copies of eval items, a changed-word copy, a reordered copy,
    # and unrelated rows; the eval set reuses the ids "r0"... so kept ids must say "reference:".
    train = conversation_table([VARIANTS["whitespace"], UNRELATED[0].upper(), VARIANTS["changed_word"],
                                REORDERED[1], UNRELATED[1], UNRELATED[2]])
    evaluation = conversation_table([VARIANTS["original"], UNRELATED[0], REORDERED[0], UNRELATED[3]])
    step = build_step("dedup", method, {**params, "reference": "eval.jsonl"})
    result = decontaminate(step, compute_signatures(train, step), evaluation)
    assert result.dropped_ids == leaked
    matched = dict(zip(result.ledger.column("id").to_pylist(), result.ledger.column("kept_id").to_pylist()))
    assert matched["r0"] == "reference:r0" and matched["r1"] == "reference:r1"
    assert set(result.ledger.column("method").to_pylist()) == {f"{method}:reference"}
    assert result.clusters.num_rows == len(leaked) and not any(result.clusters.column("is_kept").to_pylist())


def test_decontamination_ignores_duplicates_inside_the_dataset():
    train = conversation_table([VARIANTS["original"], VARIANTS["whitespace"], UNRELATED[0]])
    evaluation = conversation_table([UNRELATED[3]])
    step = build_step("dedup", "exact", {"reference": "eval.jsonl"})
    assert decontaminate(step, compute_signatures(train, step), evaluation).ledger.num_rows == 0
