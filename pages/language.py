"""Language: what language prompts and responses are in, and where they differ."""

import numpy as np
import streamlit as st

from core.metrics.language import NO_LANGUAGE, Language
from core.metrics.summary import summarize
from ui import inspect_views as views

st.title("Language")
metric = Language()
dataset, frame = views.metric_frame([metric])
specs = views.specs_of([metric])
summary = summarize(dataset.table)["languages"]

reliable = frame["is_language_reliable"].to_numpy(dtype=bool)
mismatch = frame["is_language_mismatch"].to_numpy(dtype=bool)
only_reliable = st.toggle("Only rows where both sides are reliable", value=False, key="language_reliable_only",
                          help="Short or number-heavy texts fool the detector (a 'Latin' prompt of five words); "
                               "this leaves them out of the language counts and the matrix")
view = frame[reliable] if only_reliable else frame
positions = np.flatnonzero(reliable) if only_reliable else np.arange(len(frame))
counted = "reliable rows" if only_reliable else "every row, unreliable detections included"
k1, k2, k3, k4 = st.columns(4)
k1.metric("Prompt languages", f"{view['prompt_language'].replace(NO_LANGUAGE, np.nan).nunique():,}",
          help=f"Distinct languages detected, over {counted}")
k2.metric("Response languages", f"{view['response_language'].replace(NO_LANGUAGE, np.nan).nunique():,}",
          help=f"Distinct languages detected, over {counted}")
k3.metric("Language mismatches", f"{summary['mismatch_rows']:,}",
          help="Prompt and response reliably detected in different languages (translations do this on purpose)")
k4.metric("Unreliable rows", f"{summary['unreliable_rows']:,}",
          help=f"A side with fewer than {metric.min_chars} characters of words (code and numbers left out), "
               f"mostly numbers or symbols, or detected below {metric.min_score:.0%} confidence")

st.subheader("Prompt language → response language")
cell_rows = views.matrix(view.reset_index(drop=True), "prompt_language", "response_language", key="language_matrix",
                         row_title="prompt", col_title="response")
views.rows_panel(dataset, frame, positions[cell_rows],
                 ["prompt_language", "response_language", "prompt_language_score", "response_language_score"],
                 key="language_cell_rows", empty_hint="Drag a box around cells (or click one) to see their rows.")

st.subheader("Detector confidence")
score_rows = views.histogram(frame, ["prompt_language_score", "response_language_score"], specs, key="language_scores")
views.rows_panel(dataset, frame, score_rows,
                 ["prompt_language", "prompt_language_score", "response_language", "response_language_score"],
                 key="language_score_rows")

with st.expander(f"Mismatched rows ({int(mismatch.sum()):,})"):
    views.rows_panel(dataset, frame, np.flatnonzero(mismatch), ["prompt_language", "response_language"],
                     key="language_mismatch_rows", empty_hint="No reliable mismatch.")
