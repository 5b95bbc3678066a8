"""The local engine alone: a fake metric and a fake dedup registered here, nothing model-backed."""

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pytest

from core.engine.local import LocalRun, run_table, spill
from core.engine.plan import plan_stages, run_row_steps, step_labels
from core.ledger import assert_accounted, from_unreadable, LedgerMismatch
from core.recipe import Recipe
from core.schema import message, records_to_table, role_texts
from core.steps import ColumnSpec, Deduplicator, DedupResult, Metric, Transform, register


@register
class FakeShouting(Metric):
    """Share of upper-case letters in the response."""

    name: ClassVar[str] = "test_shouting"
    calls: ClassVar[list[int]] = []

    def columns(self):
        return [ColumnSpec(name="test_shout", dtype="float", description="upper-case share", better="lower")]

    def compute(self, table):
        FakeShouting.calls.append(table.num_rows)
        texts = role_texts(table, "response")
        return {"test_shout": np.array([sum(c.isupper() for c in t) / max(1, sum(c.isalpha() for c in t))
                                        for t in texts])}


@register
class FakeExactDedup(Deduplicator):
    """Exact duplicates of the response text; keeps the first."""

    name: ClassVar[str] = "test_exact"

    def signatures(self, table):
        return pa.table({"id": table.column("id"), "key": pa.array(role_texts(table, "response"))})

    def resolve(self, sig):
        first: dict[str, str] = {}
        drop_ids, kept_ids, clusters = [], [], []
        cluster_of: dict[str, int] = {}
        for rid, key in zip(sig.column("id").to_pylist(), sig.column("key").to_pylist()):
            if key in first:
                drop_ids.append(rid)
                kept_ids.append(first[key])
                clusters.append(cluster_of[key])
            else:
                first[key] = rid
                cluster_of[key] = len(cluster_of)
        ledger = pa.table({"id": pa.array(drop_ids, pa.string()), "cluster": pa.array(clusters, pa.int64()),
                           "kept_id": pa.array(kept_ids, pa.string()),
                           "similarity": pa.array([1.0] * len(drop_ids)), "method": ["test_exact"] * len(drop_ids)})
        return DedupResult(clusters=ledger, ledger=ledger)


@register
class FakeLowercaseTransform(Transform):
    name: ClassVar[str] = "test_lowercase_responses"

    def apply(self, table):
        from core.schema import records_to_table, table_to_records
        records = table_to_records(table)
        for r in records:
            for m in r["messages"]:
                if m["role"] == "assistant":
                    m["content"] = m["content"].lower()
        out = records_to_table(records)
        for name in table.column_names[len(out.column_names):]:
            out = out.append_column(name, table.column(name))
        return out


@pytest.fixture(autouse=True, scope="module")
def _unregister_fakes():
    yield
    from core.steps import _REGISTRY
    for key in [("metric", "test_shouting"), ("dedup", "test_exact"), ("transform", "test_lowercase_responses")]:
        _REGISTRY.pop(key, None)


# 12 rows: rows 0-3 shout (all caps); rows 8-11 repeat the response of rows 4-7 (duplicates).
RESPONSES = ["NO WAY", "STOP IT", "LOUD ANSWER", "YES"] + [f"answer number {i}" for i in range(4)] \
            + [f"answer number {i}" for i in range(4)]
TABLE = records_to_table([{"id": f"r{i}", "messages": [message("user", f"question {i}"), message("assistant", r)]}
                          for i, r in enumerate(RESPONSES)])

RECIPE_YAML = """\
version: 1
steps:
  - kind: metric
    name: test_shouting
  - kind: filter
    name: threshold
    params: {column: test_shout, max: 0.5}
  - kind: dedup
    name: test_exact
"""


def batches(table, size):
    return [table.slice(s, size) for s in range(0, table.num_rows, size)]


def test_row_steps_keep_mask_ledger_and_dropped_rows():
    steps = Recipe.from_yaml(RECIPE_YAML).build_steps()[:2]
    kept, ledger, dropped = run_row_steps(TABLE, steps)
    assert kept.column("id").to_pylist() == [f"r{i}" for i in range(4, 12)]
    assert "test_shout" in kept.column_names
    assert ledger.column("id").to_pylist() == ["r0", "r1", "r2", "r3"]
    assert set(ledger.column("reason").to_pylist()) == {"test_shout>0.5"}
    assert ledger.column("threshold").to_pylist() == ["<= 0.5"] * 4
    assert ledger.column("value").to_pylist() == ["1"] * 4
    assert dropped.column("id").to_pylist() == ["r0", "r1", "r2", "r3"]


@pytest.mark.parametrize("batch_size", [1, 5, 12, 100])
def test_streaming_with_dedup_stage_gives_same_result_for_every_batch_size(batch_size, tmp_path):
    steps = Recipe.from_yaml(RECIPE_YAML).build_steps()
    FakeShouting.calls.clear()
    drops = []
    run = LocalRun(steps, batches(TABLE, batch_size), on_drop=lambda led, rows: drops.append((led, rows)),
                   workdir=tmp_path, batch_size=batch_size)
    kept = pa.concat_tables(list(run.kept()))
    ledger = pa.concat_tables([d[0] for d in drops])
    summary = run.summary()
    assert kept.column("id").to_pylist() == ["r4", "r5", "r6", "r7"]
    assert_accounted(TABLE.column("id").to_pylist(), kept.column("id").to_pylist(), ledger)
    dup = ledger.filter(pa.compute.equal(ledger.column("step"), "test_exact"))
    assert dup.column("id").to_pylist() == ["r8", "r9", "r10", "r11"]
    assert dup.column("kept_id").to_pylist() == ["r4", "r5", "r6", "r7"]
    assert dup.column("similarity").to_pylist() == [1.0] * 4
    assert summary.input_rows == 12 and summary.kept_rows == 4 and summary.dropped_rows == 8
    assert summary.by_reason == {"test_shout>0.5": 4, "test_exact: duplicate": 4}
    assert summary.funnel == [("input", 12), ("test_shout", 8), ("test_exact", 4)]
    # streamed: the metric saw batches no bigger than the batch size
    assert max(FakeShouting.calls) == min(batch_size, 12)
    # dropped rows travel with their ledger rows, in the same order
    for led, rows in drops:
        assert led.column("id").to_pylist() == rows.column("id").to_pylist()
    assert list(tmp_path.iterdir()) == []  # the dedup spill is removed


def test_unreadable_rows_count_as_input_and_dropped():
    steps = Recipe.from_yaml(RECIPE_YAML).build_steps()
    run = LocalRun(steps, batches(TABLE, 4))
    run.record_unreadable(from_unreadable(["line 13"], ["invalid JSON: unexpected end at column 5"]))
    kept_ids = [i for b in run.kept() for i in b.column("id").to_pylist()]
    summary = run.summary()
    assert summary.input_rows == 13 and summary.dropped_rows == 9 and len(kept_ids) == 4
    assert summary.by_reason["unreadable: invalid JSON"] == 1
    assert summary.funnel[:2] == [("input", 13), ("load", 12)]


def test_transform_rewrites_and_order_of_steps_matters():
    yaml_text = RECIPE_YAML.replace("  - kind: filter", "  - kind: transform\n    name: test_lowercase_responses\n"
                                                        "  - kind: metric\n    name: test_shouting\n  - kind: filter")
    kept, ledger, summary = run_table(Recipe.from_yaml(yaml_text).build_steps(), TABLE, batch_size=5)
    # lower-cased before the shouting score is recomputed: nobody shouts, only duplicates go
    assert summary.by_reason == {"test_exact: duplicate": 4}
    assert role_texts(kept, "response")[0] == "no way"


def test_assert_accounted_catches_lost_and_double_counted_rows():
    steps = Recipe.from_yaml(RECIPE_YAML).build_steps()
    kept, ledger, _ = run_table(steps, TABLE)
    with pytest.raises(LedgerMismatch, match="missing \\['r4'\\]"):
        assert_accounted(TABLE.column("id").to_pylist(), kept.column("id").to_pylist()[1:], ledger)
    with pytest.raises(LedgerMismatch, match="extra \\['r0'\\]"):
        assert_accounted(TABLE.column("id").to_pylist(), kept.column("id").to_pylist() + ["r0"], ledger)


def test_stages_split_at_dedup_and_labels_are_unique():
    steps = Recipe.from_yaml(RECIPE_YAML + "  - kind: filter\n    name: threshold\n"
                                           "    params: {column: test_shout, min: 0.1}\n").build_steps()
    assert [s.kind for s in plan_stages(steps)] == ["rows", "dedup", "rows"]
    assert step_labels(steps) == ["test_shouting", "test_shout", "test_exact", "test_shout#2"]


def test_spill_widens_all_null_first_batch(tmp_path):
    a = pa.table({"x": pa.nulls(2)})
    b = pa.table({"x": pa.array(["s", None])})
    path, rows = spill([a, b], tmp_path / "s.parquet")
    assert rows == 4
