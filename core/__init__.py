"""Sieve core: loaders, metrics, dedup, filters, recipes, writers, synthesis. Never imports streamlit."""

__version__ = "0.1.0"
