"""Union-find over row indices (path halving, union by size)."""

from __future__ import annotations

import numpy as np


class UnionFind:
    """Disjoint sets over 0..n-1."""

    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)
        self.size = np.ones(n, dtype=np.int64)

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return int(x)

    def union(self, a: int, b: int) -> int:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        if self.size[root_a] < self.size[root_b]:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.size[root_a] += self.size[root_b]
        return root_a

    def union_pairs(self, left: np.ndarray, right: np.ndarray) -> None:
        for a, b in zip(left.tolist(), right.tolist()):
            self.union(a, b)

    def labels(self) -> np.ndarray:
        """The root of every element (equal labels = same set)."""
        return np.array([self.find(x) for x in range(len(self.parent))], dtype=np.int64)


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label per element from edge arrays."""
    sets = UnionFind(n)
    sets.union_pairs(np.asarray(left), np.asarray(right))
    return sets.labels()
