"""Profile: a ydata-profiling report of the metric table, in the page and as a download."""

import streamlit as st

from core.metrics.summary import summary_metrics
from ui import state
from ui import inspect_views as views

st.title("Profile")
st.caption("A ydata-profiling report (minimal mode) of every Inspect metric column: distributions, "
           "missing values, extremes. Built once per dataset and tokenizer.")

tokenizer = state.tokenizer()
dataset, frame = views.metric_frame(summary_metrics(tokenizer))


@st.cache_data(max_entries=4, show_spinner=False)
def profile(_frame, fingerprint: str, tokenizer: str, title: str) -> str:
    from core.profile_report import profile_html

    # Free-text columns (ids, fence languages) are user text, and a profile of them says little.
    numeric_and_categorical = _frame.drop(columns=["id", "code_languages"], errors="ignore")
    return profile_html(numeric_and_categorical, title)


title = f"Sieve metrics — {state.source_label()}"
with st.spinner("Profiling the metric table (a few seconds)…"):
    html = profile(frame, dataset.fingerprint, tokenizer, title)
st.download_button("Download the report (HTML)", html, file_name="sieve-profile.html", mime="text/html",
                   key="profile_download")
st.iframe(html, height=900)
