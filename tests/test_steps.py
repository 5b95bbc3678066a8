"""Registry and the score-once runner, with a fake metric so nothing else is involved."""

from typing import ClassVar

import numpy as np
import pytest
from pydantic import Field

from core.errors import SieveConfigError
from core.schema import message, records_to_table, role_texts
from core.scoring import score_table
from core.steps import ColumnSpec, Metric, build_step, get_step_class, register


class ResponseWordCount(Metric):
    name: ClassVar[str] = "test_response_words"
    min_word_length: int = Field(1, ge=1, description="Only count words at least this long")

    def columns(self):
        return [ColumnSpec(name="test_words", dtype="int", description="words in the response", better="higher")]

    def compute(self, table):
        texts = role_texts(table, "response")
        return {"test_words": np.array([sum(len(w) >= self.min_word_length for w in t.split()) for t in texts])}


@pytest.fixture(autouse=True)
def _registered_fake_metric():
    # Registered only while these tests run: other tests list every metric and must not see it.
    from core.steps import _REGISTRY
    register(ResponseWordCount)
    yield
    _REGISTRY.pop(("metric", "test_response_words"), None)


TABLE = records_to_table([
    {"id": str(i), "messages": [message("user", "q"), message("assistant", " ".join(["ab"] * i + ["x"]))]}
    for i in range(10)
])


def test_build_step_validates_params_and_names_the_field():
    step = build_step("metric", "test_response_words", {"min_word_length": 2})
    assert step.to_entry() == {"kind": "metric", "name": "test_response_words", "params": {"min_word_length": 2}}
    with pytest.raises(SieveConfigError, match="min_word_length"):
        build_step("metric", "test_response_words", {"min_word_length": 0})
    with pytest.raises(SieveConfigError, match="surprise"):
        build_step("metric", "test_response_words", {"surprise": 1})
    with pytest.raises(SieveConfigError, match="unknown metric step 'nope'"):
        get_step_class("metric", "nope")


def test_score_table_batches_and_reports_progress():
    seen = []
    columns = score_table(TABLE, [ResponseWordCount(min_word_length=2)], batch_size=3,
                          on_progress=lambda done, total, msg: seen.append((done, total)))
    assert columns["test_words"].to_pylist() == list(range(10))
    assert seen[-1] == (10, 10) and len(seen) == 4
