"""MinHash and exact dedup on real Alpaca rows with injected copies (corpus tier: `make eval`)."""

import json
import random

import pytest

from core.dedup.runner import deduplicate
from core.schema import message, records_to_table
from core.steps import build_step


def light_edit(text: str, rng: random.Random) -> str:
    """Spacing, punctuation and case edits plus one dropped word: still far above Jaccard 0.7 for long rows."""
    words = text.split()
    if len(words) > 30:
        del words[rng.randrange(len(words))]
    text = "  ".join(words) if rng.random() < 0.5 else " ".join(words)
    return text.replace(",", "").upper() if rng.random() < 0.5 else text.replace(".", " .")


@pytest.mark.corpus
def test_minhash_finds_injected_copies_of_real_rows(shared_data):
    rows = json.loads((shared_data / "alpaca_original_5000.json").read_text())
    texts = [" ".join(p for p in (r["instruction"], r["input"], r["output"]) if p) for r in rows]
    rng = random.Random(7)
    sources = [i for i in rng.sample(range(len(texts)), 600) if len(texts[i].split()) > 40][:300]
    records = [{"id": f"a{i}", "messages": [message("user", t)]} for i, t in enumerate(texts)]
    records += [{"id": f"copy{i}", "messages": [message("user", light_edit(texts[i], rng))]} for i in sources]
    table = records_to_table(records)

    result = deduplicate(table, build_step("dedup", "minhash", {"threshold": 0.7}))
    kept_of = dict(zip(result.ledger.column("id").to_pylist(), result.ledger.column("kept_id").to_pylist()))
    found = sum(kept_of.get(f"copy{i}") == f"a{i}" or kept_of.get(f"a{i}") == f"copy{i}" for i in sources)
    assert found / len(sources) >= 0.97
    # Every dropped copy is matched to its own source (no cross-row false positives among copies).
    assert all(kept_of[f"copy{i}"] == f"a{i}" for i in sources if f"copy{i}" in kept_of)

    exact = deduplicate(table, build_step("dedup", "exact"))
    assert exact.ledger.num_rows < result.ledger.num_rows  # dropped words defeat exact, not MinHash
