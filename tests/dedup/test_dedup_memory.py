"""The properties that keep MinHash dedup's memory at the size of its signatures (no timed/RSS checks).

At 1M rows a second copy of the 128 x uint32 signature matrix is 512 MB and a uint64 widening of it
1 GB, so these check bytes per row, that matrices are read without a copy, and that the chunked
computations give exactly the one-shot results.
"""

import numpy as np
import pyarrow as pa
import pytest

from core.dedup import minhash
from core.dedup.base import fixed_size_matrix
from core.dedup.clusters import resolve_pairs
from core.dedup.runner import SignatureStack, compute_signatures
from core.steps import build_step

from tests.dedup.near_duplicates import UNRELATED, VARIANTS, conversation_table


def _table(copies: int = 3) -> pa.Table:
    texts = (list(VARIANTS.values()) + UNRELATED) * copies
    return conversation_table(texts, ids=[f"row{i}" for i in range(len(texts))])


def test_minhash_signature_row_is_uint32_values_plus_a_few_scalars():
    step = build_step("dedup", "minhash", {"num_perm": 128})
    table = _table()
    signatures = compute_signatures(table, step, batch_size=5)
    assert signatures.schema.field("minhash").type == pa.list_(pa.uint32(), 128)
    assert all(not pa.types.is_nested(f.type) or f.name == "minhash" for f in signatures.schema)
    # 512 B of MinHash values; id (~5 chars + offset), order, length, score, has_text: < 64 B more.
    per_row = signatures.nbytes / signatures.num_rows
    assert 512 <= per_row < 512 + 64


def _stacked(parts: list[pa.Table]) -> pa.Table:
    stack = SignatureStack(sum(p.num_rows for p in parts))
    for part in parts:
        stack.add(part)
    return stack.table()


def test_signature_stack_gives_one_chunk_read_without_copy():
    step = build_step("dedup", "minhash", {"num_perm": 64})
    table = _table()
    parts = [step.signatures(table.slice(start, 7)) for start in range(0, table.num_rows, 7)]
    expected = np.concatenate([fixed_size_matrix(p.column("minhash"), np.uint32) for p in parts])
    names = parts[0].column_names

    combined = _stacked(parts)

    assert combined.column_names == names
    assert all(combined.column(name).num_chunks == 1 for name in names)
    column = combined.column("minhash")
    digests = fixed_size_matrix(column, np.uint32)
    np.testing.assert_array_equal(digests, expected)
    assert digests.ctypes.data == column.chunk(0).flatten().buffers()[1].address  # a view, not a copy
    assert combined.column("id").to_pylist() == table.column("id").to_pylist()


def test_signature_stack_keeps_null_columns_as_plain_concatenation():
    parts = [pa.table({"id": ["a"], "vector": pa.array([None], pa.list_(pa.float32(), 2))}),
             pa.table({"id": ["b"], "vector": pa.array([[1.0, 2.0]], pa.list_(pa.float32(), 2))})]
    combined = _stacked(parts)
    assert combined.column("vector").to_pylist() == [None, [1.0, 2.0]]


def test_band_keys_in_row_chunks_equal_the_one_shot_keys(monkeypatch):
    rng = np.random.default_rng(0)
    digests = rng.integers(0, 2 ** 32, size=(1000, 128), dtype=np.uint64).astype(np.uint32)
    bands, rows = minhash.optimal_bands(0.8, 128)
    mix = np.random.default_rng(minhash.SEED).integers(1, 2 ** 63, size=rows, dtype=np.uint64) * np.uint64(2) + 1
    banded = digests[:, :bands * rows].astype(np.uint64).reshape(1000, bands, rows)
    one_shot = (banded * mix).sum(axis=2, dtype=np.uint64)
    one_shot ^= one_shot >> np.uint64(29)
    monkeypatch.setattr(minhash, "_KEY_CHUNK", 97)  # 1000 rows in 11 uneven chunks
    keys = minhash.band_keys(digests, bands, rows)
    assert keys.dtype == np.uint64 and keys.shape == (1000, bands)
    np.testing.assert_array_equal(keys, one_shot)


def test_resolve_pairs_from_an_arrow_id_column_matches_a_list_of_ids():
    ids = ["a", "b", "c", "d"]
    args = (np.array([0, 1]), np.array([1, 3]), np.array([1, 0, 2, 3]),
            lambda kept, members: np.full(len(members), 0.9), 0.8, "minhash")
    from_list = resolve_pairs(ids, *args)
    from_arrow = resolve_pairs(pa.chunked_array([["a", "b"], ["c", "d"]]), *args)
    assert from_arrow.clusters.equals(from_list.clusters)
    assert from_arrow.ledger.equals(from_list.ledger)
    assert from_list.ledger.column("kept_id").to_pylist() == ["b", "b"]


def test_signature_stack_fills_a_buffer_sized_for_the_run_and_refuses_more_rows():
    step = build_step("dedup", "minhash", {"num_perm": 32})
    table = _table(copies=1)
    stack = SignatureStack(table.num_rows + 3)  # a spill may count more rows than reach the stack
    expected = step.signatures(table)
    for start in range(0, table.num_rows, 4):
        stack.add(step.signatures(table.slice(start, 4)))
    assert stack.parts[0].column_names == ["id", "length", "score", "has_text"]  # matrix copied out
    stacked = stack.table()
    assert stacked.schema == expected.schema
    assert stacked.drop_columns(["score"]).equals(expected.drop_columns(["score"]).combine_chunks())
    np.testing.assert_array_equal(stacked.column("score").to_numpy(), expected.column("score").to_numpy())  # NaN
    with pytest.raises(ValueError, match="sized for 2 rows"):
        SignatureStack(2).add(expected)


def test_candidate_pairs_one_band_at_a_time_equal_those_from_every_band_key():
    rng = np.random.default_rng(1)
    digests = rng.integers(0, 50, size=(400, 64), dtype=np.uint32)  # few values: many shared bands
    digests[200:300] = digests[:100]                                  # and exact copies
    valid = np.ones(400, bool)
    valid[::7] = False
    bands, rows = minhash.optimal_bands(0.5, 64)
    left, right = minhash.digest_candidate_pairs(digests, bands, rows, valid)
    expected_left, expected_right = minhash.candidate_pairs(minhash.band_keys(digests, bands, rows), valid)
    copies = {(i, i + 200) for i in range(100) if valid[i] and valid[i + 200]}
    assert copies <= set(zip(left.tolist(), right.tolist())) and len(left) > len(copies)
    np.testing.assert_array_equal(left, expected_left)
    np.testing.assert_array_equal(right, expected_right)
