"""Toxicity scorers behind the `toxicity` metric: alt-profanity-check (offline default) and Detoxify.

Detoxify runs on its real code path, `Detoxify(checkpoint=…, huggingface_config_path=…)`, from a
checkpoint already on disk: the torch hub cache where Detoxify itself stores its downloads, or a
path the user gives. Nothing here downloads; a missing checkpoint is a SieveConfigError that says
where to put the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from core.errors import SieveConfigError

ScorerName = Literal["profanity_check", "detoxify-original", "detoxify-unbiased", "detoxify-multilingual"]
SCORERS: tuple[str, ...] = ("profanity_check", "detoxify-original", "detoxify-unbiased", "detoxify-multilingual")
SCORER_LABELS = {
    "profanity_check": "profanity-check (alt-profanity-check linear model, offline default)",
    "detoxify-original": "Detoxify original (BERT, Jigsaw toxic comments)",
    "detoxify-unbiased": "Detoxify unbiased (RoBERTa, Jigsaw unintended bias)",
    "detoxify-multilingual": "Detoxify multilingual (XLM-R, Jigsaw multilingual)",
}
# File names of Detoxify's release checkpoints (detoxify.detoxify.MODEL_URLS); torch.hub stores a
# download under <torch hub dir>/checkpoints/<file name>. A test checks these against the package.
DETOXIFY_CHECKPOINT_FILES = {
    "original": "toxic_original-c1212f89.ckpt",
    "unbiased": "toxic_debiased-c7548aa0.ckpt",
    "multilingual": "multilingual_debiased-0b549669.ckpt",
}
_ORIGINAL_CLASSES = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
SCORER_CLASSES: dict[str, tuple[str, ...]] = {
    "profanity_check": ("toxicity",),
    "detoxify-original": _ORIGINAL_CLASSES,
    "detoxify-unbiased": _ORIGINAL_CLASSES + ("sexual_explicit",),
    "detoxify-multilingual": _ORIGINAL_CLASSES + ("sexual_explicit",),
}


def scorer_label(scorer: str) -> str:
    return SCORER_LABELS.get(scorer, scorer)


def torch_hub_checkpoint_dir() -> Path:
    """Where torch.hub (and so Detoxify) keeps downloaded checkpoints, without importing torch."""
    hub = os.environ.get("TORCH_HOME")
    base = Path(hub) if hub else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "torch"
    return base / "hub" / "checkpoints"


def cached_detoxify_checkpoint(scorer: str) -> Path | None:
    """The checkpoint of a detoxify-* scorer in the torch hub cache, if it is there."""
    variant = scorer.removeprefix("detoxify-")
    path = torch_hub_checkpoint_dir() / DETOXIFY_CHECKPOINT_FILES[variant]
    return path if path.is_file() else None


def available_scorers() -> dict[str, str | None]:
    """Scorer -> None when it can run as is, else why not (for the UI's picker)."""
    out: dict[str, str | None] = {"profanity_check": None}
    for scorer in SCORERS[1:]:
        out[scorer] = None if cached_detoxify_checkpoint(scorer) else "checkpoint not in the torch hub cache"
    return out


class ProfanityCheckScorer:
    """alt-profanity-check: a linear SVM over word n-grams, shipped inside the package (one class)."""

    class_names = ("toxicity",)

    def __init__(self):
        from profanity_check import predict_prob

        self._predict_prob = predict_prob

    def predict(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {"toxicity": np.zeros(0)}
        return {"toxicity": np.asarray(self._predict_prob(list(texts)), dtype=np.float64)}


class DetoxifyScorer:
    """Detoxify's own model and predict(), loaded from a local checkpoint; batches sorted by length."""

    def __init__(self, scorer: str, checkpoint: str | None, huggingface_config_path: str | None,
                 batch_size: int = 32):
        path = resolve_detoxify_checkpoint(scorer, checkpoint)
        if huggingface_config_path and not Path(huggingface_config_path).is_dir():
            raise SieveConfigError(f"toxicity: huggingface_config_path '{huggingface_config_path}' is not a folder")
        _refuse_code_in_checkpoint(path)
        from detoxify import Detoxify

        try:
            self.model = Detoxify(checkpoint=str(path), huggingface_config_path=huggingface_config_path)
        except Exception as exc:  # missing HF files, a state_dict that does not fit the config, …
            raise SieveConfigError(
                f"toxicity: could not build Detoxify from {path}: {exc}. Offline, the checkpoint's "
                "config.arch.args.model_type (e.g. bert-base-uncased) must be in the local Hugging Face cache, "
                "or be a local folder; pass huggingface_config_path=<folder with config.json and tokenizer files>."
            ) from None
        # A tokenizer saved without model_max_length would not truncate, and a long text would overflow
        # the position embeddings: cap it at what the model can take.
        limit = getattr(self.model.model.config, "max_position_embeddings", None)
        if limit and self.model.tokenizer.model_max_length > limit:
            self.model.tokenizer.model_max_length = limit
        self.class_names = tuple(self.model.class_names)
        self.batch_size = batch_size

    def predict(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        scores = {c: np.zeros(len(texts)) for c in self.class_names}
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            result = self.model.predict([texts[i] for i in idx])
            for c in self.class_names:
                scores[c][idx] = np.atleast_1d(np.asarray(result[c], dtype=np.float64))
        return scores


def resolve_detoxify_checkpoint(scorer: str, checkpoint: str | None) -> Path:
    """The user's checkpoint path, else the torch hub cache file; a clear error when neither exists."""
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise SieveConfigError(f"toxicity: checkpoint '{checkpoint}' does not exist")
        return path
    cached = cached_detoxify_checkpoint(scorer)
    if cached:
        return cached
    variant = scorer.removeprefix("detoxify-")
    where = torch_hub_checkpoint_dir() / DETOXIFY_CHECKPOINT_FILES[variant]
    raise SieveConfigError(
        f"toxicity: the {scorer} checkpoint is not on this machine and Sieve never downloads models. "
        f"Copy {DETOXIFY_CHECKPOINT_FILES[variant]} (from the Detoxify GitHub releases) to {where}, "
        "or pass checkpoint=<path to .ckpt> (and huggingface_config_path=<local model folder> when offline). "
        "The offline default scorer 'profanity_check' always works."
    )


def _refuse_code_in_checkpoint(path: Path) -> None:
    """Detoxify unpickles with weights_only=False; first prove the file holds only tensors and plain data."""
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError/RuntimeError for disallowed globals
        raise SieveConfigError(f"toxicity: refusing checkpoint {path}: it holds more than tensors and plain "
                               f"data ({type(exc).__name__}), so loading it could run code") from None
    if not isinstance(loaded, dict) or "config" not in loaded or "state_dict" not in loaded:
        raise SieveConfigError(f"toxicity: {path} is not a Detoxify checkpoint (needs 'config' and 'state_dict')")


def toxicity_levels(scores, threshold: float) -> np.ndarray:
    """'toxic' / 'safe' per score at `threshold` (above is toxic), 'none' where the text is missing."""
    values = np.asarray(scores, dtype=np.float64)
    return np.where(np.isnan(values), "none", np.where(values > threshold, "toxic", "safe"))
