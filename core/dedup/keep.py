"""Keep policies: which member of a cluster survives. Lower rank wins; ties go to the earlier row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

KEEP_POLICIES = ("first", "longest", "best_score")


def score_metrics() -> dict[str, object]:
    """Numeric metric columns a `best_score` policy can maximize -> the default metric computing each."""
    from core.steps import list_steps

    found: dict[str, object] = {}
    for cls in list_steps("metric"):
        try:
            metric = cls()
            specs = metric.columns()
        except Exception:  # a metric that needs parameters cannot be built by default
            continue
        for spec in specs:
            if spec.dtype in ("float", "int") and spec.name not in found:
                found[spec.name] = metric
    return found


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
