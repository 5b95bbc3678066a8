"""Cached wrappers: datasets and models per process, metric columns per (fingerprint, step JSON).

Metric columns live in one process-wide store (st.cache_resource) rather than inside a cached
function, so a long computation can drive a progress bar without Streamlit replaying elements.
Moving a slider re-runs filters over these columns; it never recomputes a metric.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import BinaryIO, Sequence

import streamlit as st

from core.schema import Dataset
from core.steps import Metric

_MAX_DATASETS = 8


@st.cache_resource(show_spinner="Loading the bundled sample…")
def load_sample():
    from core.load import load_sample as core_load_sample
    return core_load_sample()


def load_upload(file: BinaryIO, name: str, format: str | None = None):
    """An uploaded file as a LoadResult (bad records rejected, not fatal), cached by content hash + format.

    `file` is the seekable upload itself (st.file_uploader's UploadedFile): hashing and copying it
    in place avoids one more in-memory copy of a file that may be a gigabyte.
    """
    import hashlib
    file.seek(0)
    digest = hashlib.file_digest(file, "sha256").hexdigest()
    return _load_upload(digest, name, format, file)


@st.cache_resource(max_entries=4, show_spinner=False)
def _load_upload(digest: str, name: str, format: str | None, _file: BinaryIO):
    import shutil
    import tempfile
    from pathlib import Path

    from core.load import load_dataset

    # The loaders read paths (extension decides .gz/.zst/.csv…): a private temp dir, gone after the load.
    with tempfile.TemporaryDirectory(prefix="sieve-upload-") as folder:
        path = Path(folder) / (Path(name).name or "upload")
        _file.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(_file, out, length=1 << 20)
        bar = st.progress(0.0, text=f"Reading {name}…")
        try:
            return load_dataset(path, format=format, on_error="skip", options={"source_name": name},
                                on_progress=lambda done, total, message: bar.progress(
                                    min(done / total, 1.0) if total else 0.0, text=f"{name}: {message}"))
        finally:
            bar.empty()


class _ColumnStore:
    """(fingerprint, step JSON) -> {column: Arrow array}, bounded by dataset count."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_dataset: OrderedDict[str, dict[str, dict]] = OrderedDict()

    def get(self, fingerprint: str, key: str):
        with self.lock:
            return self.by_dataset.get(fingerprint, {}).get(key)

    def put(self, fingerprint: str, key: str, columns: dict) -> None:
        with self.lock:
            self.by_dataset.setdefault(fingerprint, {})[key] = columns
            self.by_dataset.move_to_end(fingerprint)
            while len(self.by_dataset) > _MAX_DATASETS:
                self.by_dataset.popitem(last=False)


@st.cache_resource
def _column_store() -> _ColumnStore:
    return _ColumnStore()


def _stored(dataset: Dataset, key: str, compute) -> dict:
    """The store's entry for (dataset, key), made with `compute()` the first time."""
    store = _column_store()
    cached = store.get(dataset.fingerprint, key)
    if cached is None:
        cached = compute()
        store.put(dataset.fingerprint, key, cached)
    return cached


@contextmanager
def _progress_bar(text: str, unit: str = ""):
    """A Streamlit progress bar for the block, yielded as a core ProgressCallback; removed afterwards."""
    bar = st.progress(0.0, text=text)

    def report(done: int, total: int | None, message: str) -> None:
        bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{message}: {done:,}/{total or 0:,}{unit}")

    try:
        yield report
    finally:
        bar.empty()


def step_key(step: Metric) -> str:
    return json.dumps(step.to_entry(), sort_keys=True)


def with_metrics(dataset: Dataset, metrics: Sequence[Metric]) -> Dataset:
    """`dataset` with every column of `metrics`, computing (with a progress bar) only what is missing."""
    from core.scoring import score_table

    def compute(metric: Metric) -> dict:
        with _progress_bar(f"Computing {metric.title or metric.name}…", " rows") as report:
            return score_table(dataset.table, [metric], on_progress=report)

    columns: dict = {}
    for metric in metrics:
        columns.update(_stored(dataset, step_key(metric), lambda: compute(metric)))
    return dataset.with_columns(columns)


def dedup_signatures(dataset: Dataset, step):
    """Dedup signatures of `step` over `dataset`, once per (fingerprint, text/shingle/model params).

    Thresholds and keep policy are not part of the key: moving them re-resolves cached signatures
    (the keep policy's score column is attached on every call). Embedding vectors come from the
    shared `embeddings` cache (shared with Topics).
    """
    from core.dedup.explore import signature_key, with_keep_inputs
    from core.dedup.runner import compute_signatures

    def compute() -> dict:
        if step.name == "embedding":
            return {"signatures": step.signatures_from_vectors(dataset.table,
                                                               embeddings(dataset, step.fields, step.model))}
        with _progress_bar(f"Computing {step.title or step.name} signatures…", " rows") as report:
            return {"signatures": compute_signatures(dataset.table, step, on_progress=report)}

    cached = _stored(dataset, "dedup:" + signature_key(step), compute)
    return with_keep_inputs(step, cached["signatures"], dataset.table)


def dedup_graph(dataset: Dataset, step, signatures):
    """The similarity graph at the page's lowest threshold, cached with the signatures."""
    from core.dedup.explore import signature_key, similarity_graph

    def compute() -> dict:
        with st.spinner("Finding similar pairs…"):
            return {"graph": similarity_graph(step, signatures)}

    return _stored(dataset, "dedup-graph:" + signature_key(step), compute)["graph"]


def embeddings(dataset: Dataset, field: str, model: str):
    """L2-normalized float32 embeddings of `field` texts, once per (fingerprint, field, model); Topics and Dedup share them."""
    from core.embeddings import embed

    def compute() -> dict:
        with _progress_bar(f"Embedding {field} texts with {model}…") as report:
            return {"vectors": embed(dataset.texts(field), model, on_progress=report)}

    return _stored(dataset, f"embeddings:{field}:{model}", compute)["vectors"]


def topics(dataset: Dataset, field: str, model: str, **params):
    """core.topics.TopicResult for `field` under `model`, cached per (fingerprint, field, model, params)."""
    from core.topics import analyze_topics

    vectors = embeddings(dataset, field, model)

    def compute() -> dict:
        with _progress_bar("Finding topics…") as report:
            return {"result": analyze_topics(dataset.texts(field), vectors, on_progress=report, **params)}

    key = "topics:" + json.dumps({"field": field, "model": model, **params}, sort_keys=True)
    return _stored(dataset, key, compute)["result"]


def dedup_ledger(dataset: Dataset, step, label: str):
    """The drop ledger (core.ledger schema) of one dedup step over the whole dataset, cached per
    (fingerprint, step params): Clean & Export re-filters with it without re-resolving."""
    from core.engine.plan import dedup_threshold
    from core.ledger import from_dedup

    def compute() -> dict:
        signatures = dedup_signatures(dataset, step)
        with st.spinner(f"Resolving {step.title or step.name} clusters…"):
            return {"ledger": from_dedup(step.resolve(signatures), label, dedup_threshold(step))}

    return _stored(dataset, f"dedup-ledger:{label}:" + step_key(step), compute)["ledger"]
