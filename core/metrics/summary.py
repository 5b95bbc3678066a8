"""Dataset-level summary of the Inspect metrics: what `inspect --json` prints and the Overview shows.

`summarize(table)` reads whichever metric columns the table has and skips the rest, so the page
(with columns from the cache) and the CLI (computing them here) report the same numbers.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import pyarrow as pa

from core.progress import ProgressCallback
from core.steps import Metric
from core.tokenizers import DEFAULT_TOKENIZER

PERCENTILES = (50, 90, 95, 99)
# Gopher's thresholds (Rae et al. 2021, table A1): above these a text counts as repetitive.
REPETITIVE_TOP_2GRAM_FRAC = 0.20
REPETITIVE_DUP_LINE_FRAC = 0.30
TOP_LANGUAGES = 10


def summary_metrics(tokenizer: str = DEFAULT_TOKENIZER) -> list[Metric]:
    """The metrics the summary needs, with the chosen tokenizer."""
    from core.metrics.entropy import Entropy
    from core.metrics.language import Language
    from core.metrics.length import TextLength, TokenLength
    from core.metrics.validity import Validity

    return [TextLength(), TokenLength(tokenizer=tokenizer), Entropy(), Validity(), Language()]


def compute_summary(table: pa.Table, tokenizer: str = DEFAULT_TOKENIZER, *,
                    on_progress: ProgressCallback | None = None) -> dict:
    """Score the summary metrics over `table` and summarize them."""
    from core.scoring import score_table

    columns = score_table(table, summary_metrics(tokenizer), on_progress=on_progress)
    summary = summarize(pa.table(columns) if columns else pa.table({}), num_rows=table.num_rows)
    summary["tokenizer"] = tokenizer
    return summary


def distribution(values: Sequence[float] | np.ndarray) -> dict:
    """mean, percentiles and max of a numeric column (nulls/NaN ignored); all None when empty."""
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    keys = ["mean", *(f"p{p}" for p in PERCENTILES), "max"]
    if array.size == 0:
        return dict.fromkeys(keys)
    stats = [array.mean(), *np.percentile(array, PERCENTILES), array.max()]
    return {k: round(float(v), 2) for k, v in zip(keys, stats)}


def share_pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _column(table: pa.Table, name: str) -> np.ndarray | None:
    if name not in table.column_names:
        return None
    return table.column(name).to_numpy(zero_copy_only=False)


def summarize(table: pa.Table, num_rows: int | None = None) -> dict:
    """Summary of every known metric column present in `table` (one section per metric family)."""
    rows = table.num_rows if num_rows is None else num_rows
    out: dict = {"rows": rows}
    tokens = {side: distribution(_column(table, f"{side}_tokens")) for side in ("prompt", "response", "total")
              if f"{side}_tokens" in table.column_names}
    if tokens:
        out["tokens"] = tokens
    if (turns := _column(table, "turns")) is not None:
        out["turns"] = distribution(turns)
    if (entropy := _column(table, "response_entropy_bits")) is not None:
        entropy_stats = distribution(entropy)
        section = {"mean_response_entropy_bits": entropy_stats["mean"], "response_entropy_bits": entropy_stats}
        top2, dup_lines = _column(table, "response_top_2gram_char_frac"), _column(table, "response_dup_line_frac")
        if top2 is not None and dup_lines is not None:
            section["repetitive_rows"] = int(np.sum((top2 > REPETITIVE_TOP_2GRAM_FRAC) |
                                                    (dup_lines > REPETITIVE_DUP_LINE_FRAC)))
        out["entropy"] = section
    if (json_states := _column(table, "json_state")) is not None:
        counts = Counter(json_states.tolist())
        with_json = counts["valid"] + counts["broken"]
        out["json"] = {"rows_with_json": with_json, "valid": counts["valid"], "broken": counts["broken"],
                       "valid_json_pct": share_pct(counts["valid"], with_json)}
    if (code_states := _column(table, "code_state")) is not None:
        counts = Counter(code_states.tolist())
        checked = counts["valid"] + counts["invalid"]
        out["code"] = {"rows_with_code": checked + counts["unchecked"], "valid": counts["valid"],
                       "invalid": counts["invalid"], "unchecked": counts["unchecked"],
                       "valid_code_pct": share_pct(counts["valid"], checked)}
    if (unclosed := _column(table, "has_unclosed_code_fence")) is not None:
        out["markdown"] = {"unclosed_fence_rows": int(np.sum(unclosed))}
        if (tables := _column(table, "has_unbalanced_table")) is not None:
            out["markdown"]["unbalanced_table_rows"] = int(np.sum(tables))
    if (prompt_langs := _column(table, "prompt_language")) is not None:
        response_langs = _column(table, "response_language")
        section = {"prompt": _top_languages(prompt_langs), "response": _top_languages(response_langs)}
        if (mismatch := _column(table, "is_language_mismatch")) is not None:
            section["mismatch_rows"] = int(np.sum(mismatch))
        if (reliable := _column(table, "is_language_reliable")) is not None:
            section["unreliable_rows"] = int(np.sum(~reliable.astype(bool)))
        out["languages"] = section
    return out


def _top_languages(codes: np.ndarray | None) -> dict[str, int]:
    if codes is None:
        return {}
    counts = Counter(code or "(empty)" for code in codes.tolist())
    return dict(counts.most_common(TOP_LANGUAGES))
