"""A ydata-profiling report of a metric table, as one self-contained HTML page."""

from __future__ import annotations

import os

import pandas as pd

MAX_PROFILE_ROWS = 50_000  # beyond this a uniform sample tells the same story, much faster


def profile_html(frame: pd.DataFrame, title: str, *, seed: int = 0) -> str:
    """Minimal-mode profile of `frame` (sampled to MAX_PROFILE_ROWS rows); no network, no analytics."""
    os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "1")
    from ydata_profiling import ProfileReport

    if len(frame) > MAX_PROFILE_ROWS:
        frame = frame.sample(MAX_PROFILE_ROWS, random_state=seed)
        title = f"{title} (uniform sample of {MAX_PROFILE_ROWS:,} rows)"
    report = ProfileReport(frame, title=title, minimal=True, progress_bar=False, explorative=False,
                           correlations=None, interactions=None, missing_diagrams=None, samples=None)
    return report.to_html()
