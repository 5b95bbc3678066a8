"""Approximate (HNSW) neighbour search against the exact blockwise reference on clustered vectors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from core.cli import main
from core.dedup import embedding
from core.dedup.ann import available_cores, hnsw_pairs
from core.dedup.embedding import chosen_index, find_neighbours, neighbour_pairs
from core.errors import SieveConfigError
from core.steps import build_step

from tests.dedup.near_duplicates import UNRELATED, VARIANTS, conversation_table

THRESHOLD = 0.9


def clustered_vectors(rows: int = 3000, width: int = 64, seed: int = 7) -> np.ndarray:
    """Topic-clustered unit vectors (many moderately similar rows) plus near-duplicate groups of 2-6
    rows whose cosine to their source spreads across the threshold (0.8-0.99)."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((40, width))
    vectors = topics[rng.integers(0, 40, rows)] + 0.8 * rng.standard_normal((rows, width))
    position = 0
    while position < rows - 6:
        size = int(rng.integers(2, 7))
        source = vectors[position] / np.linalg.norm(vectors[position])
        for member in range(position + 1, position + size):
            noise = rng.standard_normal(width)
            noise -= noise @ source * source
            target = rng.uniform(0.8, 0.99)   # cosine of the copy to its source
            vectors[member] = target * source + np.sqrt(1 - target ** 2) * noise / np.linalg.norm(noise)
        position += size + int(rng.integers(0, 6))   # some rows belong to no group
    vectors = vectors[rng.permutation(rows)]         # groups scattered over the row order
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors():
    return clustered_vectors()


@pytest.fixture(scope="module")
def exact(vectors):
    return neighbour_pairs(vectors, THRESHOLD)


def pair_set(left, right):
    return set(zip(left.tolist(), right.tolist()))


def test_exact_reference_is_every_pair_above_threshold(vectors, exact):
    full = vectors @ vectors.T
    rows, columns = np.nonzero(np.triu(full >= THRESHOLD, k=1))
    assert pair_set(*exact[:2]) == pair_set(rows, columns)
    assert 800 < len(rows) < 5000      # the data has real duplicate groups, not a handful


def test_hnsw_recovers_exact_pairs_with_exact_similarities(vectors, exact):
    left, right, similarity = hnsw_pairs(vectors, THRESHOLD)
    truth, found = pair_set(*exact[:2]), pair_set(left, right)
    assert len(truth & found) / len(truth) >= 0.99
    assert found <= truth                              # candidates are re-scored in float32
    assert (left < right).all() and len(found) == len(left)   # each pair once, ordered like exact
    reference = dict(zip(zip(*[a.tolist() for a in exact[:2]]), exact[2].tolist()))
    assert np.allclose(similarity, [reference[p] for p in zip(left.tolist(), right.tolist())], atol=1e-5)


def step_signatures(step, vectors):
    table = conversation_table([f"row {i}" for i in range(len(vectors))])
    return step.signatures_from_vectors(table, vectors)


def test_hnsw_dedup_drops_the_same_rows_as_exact(vectors):
    results = {}
    for index in ("exact", "hnsw"):
        step = build_step("dedup", "embedding", {"threshold": THRESHOLD, "index": index})
        results[index] = step.resolve(step_signatures(step, vectors))
    exact_dropped, hnsw_dropped = results["exact"].dropped_ids, results["hnsw"].dropped_ids
    assert len(exact_dropped) > 500
    # A missed pair can change a drop; allow at most 1 % (measured: identical on this data).
    assert len(exact_dropped ^ hnsw_dropped) <= 0.01 * len(exact_dropped)
    assert results["hnsw"].ledger.column("similarity").to_numpy().min() >= THRESHOLD - 1e-6


def test_a_cluster_larger_than_the_neighbour_cap_collapses_to_one_row_in_both():
    rng = np.random.default_rng(3)
    source = rng.standard_normal(32)
    copies = source + 0.05 * rng.standard_normal((80, 32))      # 80 copies, cap is 32 neighbours
    others = rng.standard_normal((300, 32))
    vectors = np.vstack([others[:100], copies, others[100:]])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    dropped = {}
    for index in ("exact", "hnsw"):
        step = build_step("dedup", "embedding", {"threshold": THRESHOLD, "index": index})
        dropped[index] = step.resolve(step_signatures(step, vectors)).dropped_ids
    assert dropped["exact"] == dropped["hnsw"] == {f"r{i}" for i in range(101, 180)}


def test_rows_without_text_never_pair_in_hnsw(vectors):
    valid = np.ones(len(vectors), bool)
    valid[::3] = False
    left, right, _ = hnsw_pairs(vectors, THRESHOLD, valid=valid)
    assert len(left) and valid[left].all() and valid[right].all()
    exact_left, exact_right, _ = neighbour_pairs(vectors, THRESHOLD, valid=valid)
    truth = pair_set(exact_left, exact_right)
    assert len(truth & pair_set(left, right)) / len(truth) >= 0.99


def test_hnsw_uses_every_available_core(vectors):
    faiss = pytest.importorskip("faiss")
    hnsw_pairs(vectors[:200], THRESHOLD)
    assert faiss.omp_get_max_threads() == available_cores()


def test_auto_means_exact_below_the_row_limit_and_hnsw_from_it():
    assert chosen_index("auto", embedding.AUTO_HNSW_ROWS - 1) == "exact"
    assert chosen_index("auto", embedding.AUTO_HNSW_ROWS) == "hnsw"
    assert chosen_index("exact", 10_000_000) == "exact" and chosen_index("hnsw", 10) == "hnsw"


def test_auto_counts_rows_with_text_and_routes_to_hnsw(vectors, monkeypatch):
    calls = []
    monkeypatch.setattr(embedding, "AUTO_HNSW_ROWS", 2000)
    monkeypatch.setattr("core.dedup.ann.hnsw_pairs", lambda *a, **k: calls.append(len(a[0])) or neighbour_pairs(*a, **k))
    valid = np.arange(len(vectors)) < 1999
    find_neighbours(vectors, THRESHOLD, valid=valid)             # 1,999 rows with text: exact
    assert calls == []
    find_neighbours(vectors, THRESHOLD)                           # 3,000: hnsw
    assert calls == [len(vectors)]


def test_exact_index_never_imports_faiss_and_is_the_reference(vectors, exact, monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)   # any `import faiss` would now fail
    left, right, similarity = find_neighbours(vectors, THRESHOLD, index="exact")
    assert pair_set(left, right) == pair_set(*exact[:2]) and np.array_equal(similarity, exact[2])


def test_loading_the_dedup_package_does_not_import_faiss():
    code = "import sys, core.dedup, core.steps; sys.exit('faiss' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_invalid_index_is_a_config_error_naming_the_parameter():
    with pytest.raises(SieveConfigError, match=r"dedup 'embedding': index: Input should be 'auto', 'exact' or 'hnsw'"):
        build_step("dedup", "embedding", {"index": "ivf"})
    with pytest.raises(SieveConfigError, match="index"):
        build_step("dedup", "minhash", {"index": "hnsw"})


def test_cli_index_option_belongs_to_embedding_only(tmp_path, capsys):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"instruction": "Say hi.", "output": "Hi."}\n')
    assert main(["dedup", str(path), "--method", "minhash", "--index", "hnsw"]) == 2
    assert "--index does not apply to --method minhash" in capsys.readouterr().err


def test_cli_summary_names_the_index_that_ran(tmp_path, capsys, tiny_embedder):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"instruction": t, "output": "ok"}) + "\n"
                            for t in list(VARIANTS.values()) + UNRELATED))
    for index, ran in (("hnsw", "hnsw"), ("auto", "exact")):
        assert main(["dedup", str(path), "--method", "embedding", "--index", index, "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["index"] == ran and summary["duplicates"] == 3   # whitespace, punctuation, changed word


def test_signatures_come_in_one_chunk_so_search_reads_vectors_without_a_copy(tiny_embedder):
    from core.dedup.base import fixed_size_matrix
    from core.dedup.runner import compute_signatures

    texts = [f"question number {i} about topic {i % 7}" for i in range(50)]
    table = conversation_table(texts)
    signatures = compute_signatures(table, build_step("dedup", "embedding"), batch_size=8)   # 7 batches
    column = signatures.column("vector")
    assert column.num_chunks == 1
    first, second = fixed_size_matrix(column, np.float32), fixed_size_matrix(column, np.float32)
    assert first.shape == (50, 512) and np.shares_memory(first, second)
    assert np.allclose(first, tiny_embedder(texts))   # rows in input order across the batches
