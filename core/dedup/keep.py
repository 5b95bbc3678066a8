"""Keep policies: which member of a cluster survives. Lower rank wins; ties go to the earlier row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

KEEP_POLICIES = ("first", "longest", "best_score")


def _column(signatures: pa.Table, name: str, default) -> np.ndarray:
    if name not in signatures.column_names:
        return default
    return np.asarray(signatures.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def keep_rank(signatures: pa.Table, policy: str) -> np.ndarray:
    """Rank of every row under `policy` (0 = best): first row, longest response, or highest score."""
    n = signatures.num_rows
    order = _column(signatures, "order", np.arange(n, dtype=np.float64))
    if policy == "first":
        keys = (order,)
    elif policy == "longest":
        keys = (order, -_column(signatures, "length", np.zeros(n)))
    elif policy == "best_score":
        score = _column(signatures, "score", np.full(n, np.nan))
        # Missing scores lose to any real score.
        keys = (order, np.where(np.isnan(score), np.inf, -score))
    else:
        raise ValueError(f"unknown keep policy {policy!r}; choose one of {', '.join(KEEP_POLICIES)}")
    ranking = np.lexsort(keys)  # last key is primary
    rank = np.empty(n, dtype=np.int64)
    rank[ranking] = np.arange(n)
    return rank
