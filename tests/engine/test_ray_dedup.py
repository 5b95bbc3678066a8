"""The Ray dedup stage's per-partition functions, without Ray: partitioned = the local global resolve."""

import random

import numpy as np
import pyarrow as pa
import pytest

from core.dedup.exact import ExactDedup
from core.dedup.minhash import MinHashDedup, band_keys, candidate_pairs
from core.dedup.base import fixed_size_matrix, has_text
from core.engine.plan import dedup_signatures
from core.engine.ray_dedup import (_split_buckets, _split_members, bucket_edges, bucket_rows, components,
                                   resolve_partition)
from core.schema import message, records_to_table

WORDS = "red green blue amber teal cyan lime plum rose sand gold jade ruby onyx opal".split()


def table(n: int = 600, seed: int = 3) -> pa.Table:
    """Rows with copies, one-word edits and one crowd of 90 near-copies (a bucket over 64 rows)."""
    rng = random.Random(seed)
    seeds = [" ".join(rng.choices(WORDS, k=20)) for _ in range(40)]
    crowd = " ".join(rng.choices(WORDS, k=30)).split()
    rows = []
    for i in range(n):
        if i % 6 == 0 and i < 540:
            words = list(crowd)
            words[(i // 6) % 30] = "edited"
            text = " ".join(words)
        elif i % 3 == 0:
            text = rng.choice(seeds)
        elif i % 3 == 1:
            words = rng.choice(seeds).split()
            words[rng.randrange(20)] = "other"
            text = " ".join(words)
        else:
            text = " ".join(rng.choices(WORDS, k=20))
        answer = " ".join(rng.choices(WORDS, k=rng.randint(1, 12)))
        rows.append({"id": f"row-{i}", "messages": [message("user", text), message("assistant", answer)]})
    return records_to_table(rows)


def ray_style_signatures(step, data: pa.Table, orders: np.ndarray) -> pa.Table:
    """What `signature_batch` emits: orders with gaps (as across shards), ids = orders as text."""
    sig = dedup_signatures(step, data, 0)
    sig = sig.set_column(sig.schema.get_field_index("order"), "order", pa.array(orders))
    real = sig.column("id")
    sig = sig.set_column(sig.schema.get_field_index("id"), "id", pa.array([str(o) for o in orders]))
    return sig.append_column("real_id", real)


def partitioned_drops(step, sig: pa.Table, parts: int = 3) -> dict[str, tuple[str, float]]:
    """The Ray stage's steps 3-5 run in-process over two signature blocks."""
    blocks = [sig.slice(0, 250), sig.slice(250)]
    buckets = [_split_buckets(bucket_rows(b, step), parts) for b in blocks]
    edges = [bucket_edges(pa.concat_tables([pieces[p] for pieces in buckets]), step) for p in range(parts)]
    members = components(*edges)
    sig_parts = [_split_members(b, "order", members, parts) for b in blocks]
    edge_parts = [_split_members(e, "left", members, parts) for e in edges]
    drops = [resolve_partition(step, pa.concat_tables([s[p] for s in sig_parts]),
                               pa.concat_tables([e[p] for e in edge_parts])) for p in range(parts)]
    rows = pa.concat_tables(drops).to_pylist()
    return {r["id"]: (r["kept_id"], round(r["similarity"], 9)) for r in rows}


def local_drops(step, data: pa.Table) -> dict[str, tuple[str, float]]:
    ledger = step.resolve(dedup_signatures(step, data, 0)).ledger.to_pylist()
    return {r["id"]: (r["kept_id"], round(r["similarity"], 9)) for r in ledger}


def test_band_buckets_split_across_partitions_give_the_local_candidate_pairs():
    step = MinHashDedup(threshold=0.7)
    sig = dedup_signatures(step, table(), 0)
    expected_left, expected_right = candidate_pairs(
        band_keys(fixed_size_matrix(sig.column("minhash"), np.uint32), *step.bands()), has_text(sig))
    rows = bucket_rows(sig, step)
    edges = pa.concat_tables([bucket_edges(part, step) for part in _split_buckets(rows, 4)])
    left, right = edges.column("left").to_numpy(), edges.column("right").to_numpy()
    got = set(zip(np.minimum(left, right).tolist(), np.maximum(left, right).tolist()))
    assert got == set(zip(expected_left.tolist(), expected_right.tolist()))
    assert len(got) > 90 * 63 // 2  # the crowd's bucket is over 64 rows: the star rule was exercised


@pytest.mark.parametrize("keep", ["first", "longest", "best_score"])
def test_partitioned_minhash_resolve_equals_the_global_one(keep):
    data = table()
    data = data.append_column("quality", pa.array(np.random.default_rng(1).random(data.num_rows)))
    step = MinHashDedup(threshold=0.7, keep=keep, score_column="quality" if keep == "best_score" else None)
    orders = np.arange(data.num_rows, dtype=np.int64) * 5 + (1 << 40)
    got = partitioned_drops(step, ray_style_signatures(step, data, orders))
    expected = local_drops(step, data)
    assert len(expected) > 100
    assert got == expected


def test_partitioned_exact_resolve_equals_the_global_one():
    data = table()
    step = ExactDedup()
    got = partitioned_drops(step, ray_style_signatures(step, data, np.arange(data.num_rows, dtype=np.int64)))
    expected = local_drops(step, data)
    assert len(expected) > 50
    assert got == expected
