"""Sieve dashboard: page config, session state, navigation — nothing else."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "1")

import streamlit as st  # noqa: E402

from ui import state  # noqa: E402

st.set_page_config(page_title="Sieve", page_icon="🧹", layout="wide")
state.init()

pages = {
    "Data": [
        st.Page("pages/load.py", title="Load", icon="📂", default=True),
        st.Page("pages/overview.py", title="Overview", icon="📊"),
    ],
    "Inspect": [
        st.Page("pages/token_lengths.py", title="Token lengths", icon="📏"),
        st.Page("pages/entropy.py", title="Entropy & repetition", icon="🔁"),
        st.Page("pages/topics.py", title="Topics", icon="🗺️"),
        st.Page("pages/validity.py", title="Validity", icon="✅"),
        st.Page("pages/language.py", title="Language", icon="🌐"),
        st.Page("pages/profile.py", title="Profile", icon="🧾"),
    ],
    "Clean": [
        st.Page("pages/duplicates.py", title="Duplicates", icon="👯"),
        st.Page("pages/safety.py", title="Safety", icon="🛡️"),
        st.Page("pages/clean_export.py", title="Clean & Export", icon="🧹"),
    ],
    "Generate": [
        st.Page("pages/synthesize.py", title="Synthesize", icon="✨"),
    ],
}
st.navigation(pages).run()
