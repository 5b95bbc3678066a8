"""Every session-state key Sieve uses, behind typed accessors. Never holds models.

The loaded dataset is held as a `core.load.LoadResult` (dataset + detection + report). On first
visit the bundled sample is loaded, so every page has data to show. A typed API key lives only in the
Synthesize page's password widget ("synth.api_key"): in memory, never in a key here or a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"

LOAD_RESULT = "sieve.load_result"      # core.load.LoadResult of the current dataset
SOURCE_LABEL = "sieve.source_label"    # what the user loaded ("sample", a file name)
RECIPE = "sieve.recipe"                # the Clean & Export recipe being built (dict, recipe JSON)
SELECTED_ID = "sieve.selected_id"      # a conversation id opened from a chart or table
SYNTH_RESULT = "sieve.synth_result"    # the last synthesis run on the Synthesize page (rows, usage)
TOKENIZER = "sieve.tokenizer"          # token counts: "mistral", "cl100k" or a local HF tokenizer folder
EMBEDDING_MODEL = "sieve.embedding_model"  # Topics and Dedup: "static", "minilm" or a local model folder
SAFETY_STEPS = "sieve.safety_steps"    # Safety page proposals: {"toxicity"|"profanity"|"pii": [recipe entries]}
LOAD_SHAPE = "sieve.load_shape"        # Load page: the current result's roles/turns summary (cleared on load)


def init() -> None:
    """Session defaults. Loading the sample is deferred to the first page that needs data."""
    st.session_state.setdefault(RECIPE, None)
    st.session_state.setdefault(SELECTED_ID, None)


def load_result():
    """The current LoadResult; loads the bundled sample the first time."""
    if st.session_state.get(LOAD_RESULT) is None:
        from ui.cache import load_sample
        set_load_result(load_sample(), "sample")
    return st.session_state[LOAD_RESULT]


def dataset():
    """The current core.schema.Dataset."""
    return load_result().dataset


def set_load_result(result, label: str) -> None:
    st.session_state[LOAD_RESULT] = result
    st.session_state[SOURCE_LABEL] = label
    st.session_state[SELECTED_ID] = None
    st.session_state.pop(LOAD_SHAPE, None)


def source_label() -> str:
    return st.session_state.get(SOURCE_LABEL, "sample")


def get(key: str, default: Any = None) -> Any:
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def tokenizer() -> str:
    """The tokenizer every Inspect page counts tokens with."""
    return st.session_state.get(TOKENIZER) or "mistral"


def embedding_model() -> str:
    """The sentence-embedding model Topics and semantic Dedup share (so vectors are computed once)."""
    from core.embeddings import default_model

    return st.session_state.get(EMBEDDING_MODEL) or default_model()


def append_records(records: list[dict], label: str) -> int:
    """Add canonical records to the current dataset as a new LoadResult; returns how many were added.

    Rows whose id is already in the dataset are skipped, so adding the same run twice adds nothing.
    """
    import dataclasses

    import pyarrow as pa

    from core.schema import CANONICAL_COLUMNS, Dataset, records_to_table

    current = load_result()
    present = set(current.dataset.ids)
    new = [r for r in records if str(r["id"]) not in present]
    if not new:
        return 0
    table = pa.concat_tables([current.dataset.table.select(list(CANONICAL_COLUMNS)), records_to_table(new)])
    report = dataclasses.replace(current.report, conversations=table.num_rows,
                                 warnings=[*current.report.warnings, f"{len(new)} rows added from {label}"])
    result = dataclasses.replace(current, dataset=Dataset(table, current.dataset.name), report=report)
    set_load_result(result, f"{source_label()} + {label}")
    return len(new)
