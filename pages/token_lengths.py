"""Token lengths: histograms per role, percentiles, and the share over a context length you set."""

import numpy as np
import pandas as pd
import streamlit as st

from core.metrics.length import TextLength, TokenLength
from core.metrics.summary import PERCENTILES, distribution
from ui import inspect_views as views

st.title("Token lengths")
settings, context_col = st.columns([2, 1])
with settings:
    tokenizer = views.tokenizer_picker()
with context_col:
    context = st.number_input("Context length (tokens)", min_value=16, max_value=1_048_576, value=4096, step=512,
                              key="token_lengths_context", help="Rows whose total tokens exceed this are flagged")

metrics = [TokenLength(tokenizer=tokenizer), TextLength()]
dataset, frame = views.metric_frame(metrics)
specs = views.specs_of(metrics)

over = frame["total_tokens"].to_numpy() > context
k1, k2, k3, k4 = st.columns(4)
k1.metric("Rows", f"{len(frame):,}")
k2.metric("Median total tokens", f"{np.median(frame['total_tokens']):,.0f}" if len(frame) else "–")
k3.metric("Total tokens", f"{int(frame['total_tokens'].sum()):,}")
k4.metric(f"Over {context:,} tokens", f"{int(over.sum()):,}", f"{100 * over.mean():.1f} % of rows" if len(frame) else None,
          delta_color="off", delta_arrow="off")

st.subheader("Percentiles")
table = pd.DataFrame({role: distribution(frame[f"{role}_tokens"]) for role in ("prompt", "response", "total")}).T
table.index.name = "tokens"
st.dataframe(table.round(1), width="stretch")  # interpolated percentiles: tenths of a token are enough
st.caption(f"Counted with the {tokenizer} tokenizer, each message on its own, without special tokens; "
           f"percentiles p{', p'.join(map(str, PERCENTILES))}.")

zoom = st.toggle("Zoom to the 99th percentile", value=True, key="token_lengths_zoom",
                 help="A few very long rows squash the histograms; the longest 1 % are left out of the charts")


def upper(columns: list[str]) -> float | None:
    return float(np.percentile(frame[columns].to_numpy(), 99)) if zoom and len(frame) else None


st.subheader("Prompt and response")
roles = ["prompt_tokens", "response_tokens"]
role_rows = views.histogram(frame, roles, specs, key="token_hist_roles", upper=upper(roles))
views.rows_panel(dataset, frame, role_rows, ["prompt_tokens", "response_tokens", "total_tokens"], key="token_roles")

st.subheader("Whole conversation")
total_rows = views.histogram(frame, ["total_tokens"], specs, key="token_hist_total", vline=context,
                             vline_label=f"context {context:,}", upper=upper(["total_tokens"]))
views.rows_panel(dataset, frame, total_rows, ["total_tokens", "turns"], key="token_total")

with st.expander(f"Rows over the context length ({int(over.sum()):,})"):
    views.rows_panel(dataset, frame, np.flatnonzero(over), ["total_tokens", "turns"], key="token_over",
                     empty_hint="No row is longer than the context length.")

with st.expander("Characters, words and turns (no tokenizer)"):
    cheap = pd.DataFrame({c: distribution(frame[c]) for c in
                          ("prompt_chars", "response_chars", "prompt_words", "response_words", "turns")}).T
    st.dataframe(cheap, width="stretch")
    turn_rows = views.histogram(frame, ["turns"], specs, key="token_hist_turns")
    views.rows_panel(dataset, frame, turn_rows, ["turns", "total_tokens"], key="token_turns")
