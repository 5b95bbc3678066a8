"""Thin Streamlit glue: session-state keys (state.py), cached wrappers (cache.py), widgets (widgets.py)."""
