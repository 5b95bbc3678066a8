"""Profile: a ydata-profiling report of the metric table, in the page and as a download."""

import streamlit as st

from core.metrics.spacy_stats import SpacyStats
from core.metrics.summary import summary_metrics
from ui import state
from ui import inspect_views as views

st.title("Profile")
st.caption("A ydata-profiling report (minimal mode) of every Inspect metric column: distributions, "
           "missing values, extremes. Built once per dataset, tokenizer and column set.")

tokenizer = state.tokenizer()
with_spacy = st.toggle("Add entities and parts of speech (spaCy)", value=False, key="profile_spacy",
                       help="Entity counts by label and the POS mix of each response: an installed English "
                            "pipeline if there is one, otherwise blank English + rules (slower than the others)")
metrics = [*summary_metrics(tokenizer), *([SpacyStats()] if with_spacy else [])]
dataset, frame = views.metric_frame(metrics)

if with_spacy:
    st.subheader("Entities by label")
    kinds = frame.assign(entity_kinds=frame["response_entity_labels"].str.replace(r":\d+", "", regex=True))
    entity_rows = views.bar_counts(kinds, "entity_kinds", key="profile_entities", split=",",
                                   x_title="entity label (rows with at least one)")
    views.rows_panel(dataset, frame, entity_rows, ["response_entity_count", "response_entity_labels"],
                     key="profile_entity_rows")


@st.cache_data(max_entries=4, show_spinner=False)
def profile(_frame, fingerprint: str, step_keys: tuple, title: str) -> str:
    from core.profile_report import profile_html

    # Free-text columns (ids, fence languages, entity lists) are user text, and a profile of them says little.
    numeric_and_categorical = _frame.drop(columns=["id", "code_languages", "response_entity_labels"], errors="ignore")
    return profile_html(numeric_and_categorical, title)


title = f"Sieve metrics — {state.source_label()}"
with st.spinner("Profiling the metric table (a few seconds)…"):
    html = profile(frame, dataset.fingerprint, tuple(views.step_keys(metrics)), title)
st.download_button("Download the report (HTML)", html, file_name="sieve-profile.html", mime="text/html",
                   key="profile_download")
st.iframe(html, height=900)
