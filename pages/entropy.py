"""Entropy & repetition: low entropy and high repeated n-gram/line shares mark repetitive responses."""

import numpy as np
import streamlit as st

from core.metrics.entropy import Entropy
from core.metrics.summary import REPETITIVE_DUP_LINE_FRAC, REPETITIVE_TOP_2GRAM_FRAC, distribution
from ui import inspect_views as views

st.title("Entropy & repetition")
metric = Entropy()
dataset, frame = views.metric_frame([metric])
specs = views.specs_of([metric])

entropy = frame["response_entropy_bits"].to_numpy()
repetitive = ((frame["response_top_2gram_char_frac"].to_numpy() > REPETITIVE_TOP_2GRAM_FRAC) |
              (frame["response_dup_line_frac"].to_numpy() > REPETITIVE_DUP_LINE_FRAC))
stats = distribution(entropy)
k1, k2, k3 = st.columns(3)
k1.metric("Mean response entropy", f"{stats['mean']:.2f} bits" if stats["mean"] is not None else "–")
k2.metric("Median", f"{stats['p50']:.2f} bits" if stats["p50"] is not None else "–")
k3.metric("Repetitive rows", f"{int(repetitive.sum()):,}",
          help=f"Gopher thresholds: most frequent 2-gram > {REPETITIVE_TOP_2GRAM_FRAC:.0%} of characters, "
               f"or > {REPETITIVE_DUP_LINE_FRAC:.0%} of lines repeated")
st.caption("Entropy is in bits over each response's lower-cased words: 0 means one word repeated; "
           "longer varied answers score higher. Repetition shares follow Gopher (Rae et al. 2021).")

st.subheader("Response entropy")
entropy_rows = views.histogram(frame, ["response_entropy_bits"], specs, key="entropy_hist")
views.rows_panel(dataset, frame, entropy_rows, ["response_entropy_bits", "response_top_2gram_char_frac"],
                 key="entropy_rows")

st.subheader("Repetition")
repetition_columns = [c.name for c in metric.columns() if c.name != "response_entropy_bits"]
column = st.selectbox("Signal", repetition_columns, format_func=lambda c: specs[c].title,
                      key="entropy_signal")
st.caption(f"`{column}`: {specs[column].description}.")
left, right = st.columns(2)
with left:
    hist_rows = views.histogram(frame, [column], specs, key=f"entropy_rep_hist_{column}", log_y=True)
with right:
    scatter_rows = views.scatter(frame, "response_entropy_bits", column, specs, key=f"entropy_scatter_{column}")
picked = np.union1d(hist_rows, scatter_rows)
views.rows_panel(dataset, frame, picked, ["response_entropy_bits", column], key="entropy_rep_rows",
                 empty_hint="Drag a box over bars, or a box or lasso on the scatter, to see the rows.")

with st.expander(f"Repetitive rows ({int(repetitive.sum()):,})"):
    views.rows_panel(dataset, frame, np.flatnonzero(repetitive),
                     ["response_top_2gram_char_frac", "response_dup_line_frac", "response_entropy_bits"],
                     key="entropy_repetitive", empty_hint="No response crosses the Gopher thresholds.")
