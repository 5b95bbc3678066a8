import numpy as np
import pyarrow as pa
import pytest

from core.dedup.clusters import pair_components, resolve_pairs
from core.dedup.keep import keep_rank
from core.dedup.unionfind import UnionFind, components


def test_union_find_joins_transitively_and_keeps_others_apart():
    sets = UnionFind(6)
    sets.union(0, 1)
    sets.union(1, 2)
    sets.union(4, 5)
    labels = sets.labels()
    assert labels[0] == labels[1] == labels[2]
    assert labels[4] == labels[5]
    assert len({labels[0], labels[3], labels[4]}) == 3
    assert sets.size[sets.find(0)] == 3


def test_components_from_edge_arrays():
    labels = components(5, np.array([0, 3]), np.array([3, 4]))
    assert labels[0] == labels[3] == labels[4] and labels[1] != labels[0] and labels[2] != labels[1]


def test_pair_components_only_lists_touched_rows():
    groups = sorted(sorted(g.tolist()) for g in pair_components(np.array([7, 2, 9]), np.array([2, 5, 11])))
    assert groups == [[2, 5, 7], [9, 11]]


def signatures(order, length, score):
    return pa.table({"order": order, "length": length, "score": pa.array(score, pa.float64())})


def test_keep_first_longest_and_best_score():
    sig = signatures([0, 1, 2, 3], [10, 50, 50, 5], [0.2, None, 0.9, 0.9])
    assert keep_rank(sig, "first").tolist() == [0, 1, 2, 3]
    # longest: 50-char responses first, ties broken by order
    assert keep_rank(sig, "longest").tolist() == [2, 0, 1, 3]
    # best_score: 0.9 ties broken by order, a missing score loses to any real one
    assert keep_rank(sig, "best_score").tolist() == [2, 3, 0, 1]
    with pytest.raises(ValueError, match="unknown keep policy"):
        keep_rank(sig, "random")


def test_resolve_pairs_applies_keep_policy_and_writes_ledger():
    ids = ["a", "b", "c", "d"]
    rank = np.array([3, 0, 1, 2])  # b is best, then c
    result = resolve_pairs(ids, np.array([0, 1]), np.array([1, 2]), rank,
                           lambda kept, members: np.full(len(members), 0.95), 0.9, "test")
    assert result.clusters.column("kept_id").to_pylist() == ["b", "b", "b"]
    assert result.clusters.column("is_kept").to_pylist() == [True, False, False]
    assert sorted(result.ledger.column("id").to_pylist()) == ["a", "c"]
    assert result.ledger.column("method").to_pylist() == ["test", "test"]
    assert result.dropped_ids == {"a", "c"}


def test_star_cut_stops_chains():
    # a~b and b~c, but c is far from the kept row a: c must not be dropped as a's duplicate.
    sim = {(0, 1): 0.95, (0, 2): 0.5, (1, 2): 0.95}
    def similarity_to(kept, members):
        return np.array([sim[tuple(sorted((kept, int(m))))] for m in members])
    result = resolve_pairs(["a", "b", "c"], np.array([0, 1]), np.array([1, 2]), np.arange(3), similarity_to, 0.9, "t")
    assert result.dropped_ids == {"b"}
    assert result.clusters.column("id").to_pylist() == ["a", "b"]


def test_clusters_numbered_largest_first():
    ids = list("abcdef")
    result = resolve_pairs(ids, np.array([0, 2, 2]), np.array([1, 3, 4]), np.arange(6),
                           lambda k, m: np.ones(len(m)), 1.0, "exact")
    clusters = result.clusters.to_pylist()
    assert [(r["id"], r["cluster"]) for r in clusters] == [("c", 0), ("d", 0), ("e", 0), ("a", 1), ("b", 1)]
