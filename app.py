"""Sieve dashboard: page config, session state, navigation — nothing else."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "1")

import streamlit as st  # noqa: E402

from ui import state  # noqa: E402

st.set_page_config(page_title="Sieve", page_icon=":material/filter_alt:", layout="wide")
state.init()

pages = {
    "Data": [
        st.Page("pages/load.py", title="Load", icon=":material/upload_file:", default=True),
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:"),
    ],
    "Inspect": [
        st.Page("pages/token_lengths.py", title="Token lengths", icon=":material/straighten:"),
        st.Page("pages/entropy.py", title="Entropy & repetition", icon=":material/repeat:"),
        st.Page("pages/topics.py", title="Topics", icon=":material/bubble_chart:"),
        st.Page("pages/validity.py", title="Validity", icon=":material/data_check:"),
        st.Page("pages/language.py", title="Language", icon=":material/translate:"),
        st.Page("pages/profile.py", title="Profile", icon=":material/summarize:"),
    ],
    "Clean": [
        st.Page("pages/duplicates.py", title="Duplicates", icon=":material/content_copy:"),
        st.Page("pages/safety.py", title="Safety", icon=":material/shield:"),
        st.Page("pages/clean_export.py", title="Clean & Export", icon=":material/filter_alt:"),
    ],
    "Generate": [
        st.Page("pages/synthesize.py", title="Synthesize", icon=":material/auto_awesome:"),
    ],
}
st.navigation(pages).run()
