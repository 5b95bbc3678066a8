"""Profanity metric: word-list matches with word boundaries that see through common obfuscation.

A list entry is a word; a trailing `*` also allows common endings (fuck* -> fucks, fucking,
fucker…). Matching tolerates l33t (sh1t, @ss), repeated letters (fuuuck), symbols masking inner
letters (f*ck, sh!t) and one consistent separator between letters (f.u.c.k, f u c k), but never
matches inside a longer word: "Scunthorpe", "assessment", "classic", "cocktail" are clean.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register

DEFAULT_WORDS: tuple[str, ...] = (
    "fuck*", "motherfuck*", "shit*", "bullshit*", "bitch*", "cunt*", "asshole*", "ass", "asses",
    "jackass*", "dumbass*", "bastard*", "dick", "dicks", "dickhead*", "cock", "cocks", "cocksuck*",
    "pussy", "pussies", "whore*", "slut*", "wanker*", "twat*", "bollocks", "piss", "pissed",
    "douchebag*", "fag", "fags", "faggot*", "nigger*", "nigga*", "retard", "retards", "retarded",
)
# Mild words and phrases ("crap", "what the hell"): on by default, off with include_mild=False.
MILD_WORDS: tuple[str, ...] = (
    "crap", "crappy", "damn*", "dammit", "goddamn*", "bloody hell", "the hell", "bugger*", "arse", "arsehole*",
)
_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "in", "y", "ies", "ty", "head", "heads")
_LEET = {"a": "@4", "b": "8", "e": "3", "g": "9", "i": "1!|", "l": "1|", "o": "0", "s": "$5", "t": "7+"}
_MASKS = "*#%"          # symbols people type in place of an inner letter
_SEPARATORS = r"[ .\-_*~]"


def _letter(ch: str, inner: bool) -> str:
    chars = re.escape(ch) + re.escape(_LEET.get(ch, "")) + (re.escape(_MASKS) if inner else "")
    return f"[{chars}]+"


def _word_pattern(entry: str, index: int) -> str:
    """One entry as a named group; the words of a phrase ("the hell") are joined by any whitespace."""
    words, open_ending = entry.rstrip("*").lower().split(), entry.endswith("*")
    body = r"\s+".join(_single_word(w, f"s{index}_{j}") for j, w in enumerate(words))
    ending = f"(?:{'|'.join(_SUFFIXES)})?" if open_ending else ""
    return f"(?P<w{index}>{body}{ending})"


def _single_word(word: str, sep: str) -> str:
    parts = []
    for i, ch in enumerate(word):
        inner = 0 < i < len(word) - 1
        letter = _letter(ch, inner) if ch.isalpha() else re.escape(ch)
        if i == 0:
            parts.append(f"{letter}(?P<{sep}>{_SEPARATORS}?)")
        else:
            parts.append(f"{letter}(?P={sep})" if i < len(word) - 1 else letter)
    return "".join(parts)


@lru_cache(maxsize=32)
def compile_word_list(entries: tuple[str, ...]) -> tuple[re.Pattern | None, tuple[str, ...]]:
    """One case-insensitive regex for the list, and the canonical term of each alternative."""
    words = sorted({" ".join(e.lower().split()) for e in entries if e.strip().rstrip("*")}, key=lambda w: -len(w))
    if not words:
        return None, ()
    body = "|".join(_word_pattern(w, i) for i, w in enumerate(words))
    # Lookarounds rather than \b: an obfuscated word may start or end with a symbol (@ss, sh1t).
    pattern = re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)
    return pattern, tuple(w.rstrip("*") for w in words)


def find_profanity(text: str, pattern: re.Pattern | None, terms: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(canonical term, start, end) of every listed word in `text`."""
    if pattern is None or not text:
        return []
    # l33t makes "455" spell "ass": a match needs at least one real letter.
    return [(terms[int(m.lastgroup[1:])], m.start(), m.end()) for m in pattern.finditer(text)
            if any(ch.isalpha() for ch in m.group(0))]


@register
class ProfanityMetric(Metric):
    """Counts listed profane words per role and lists the terms found."""

    name: ClassVar[str] = "profanity"
    title: ClassVar[str] = "Profanity"
    description: ClassVar[str] = "Word-list profanity with word boundaries, l33t, repeated letters and masked letters."

    use_default_list: bool = Field(True, description="Start from Sieve's built-in English list")
    include_mild: bool = Field(True, description="Also count mild words (crap, damn, the hell, bloody hell)")
    extra_words: list[str] = Field(default_factory=list, description="Words to add (a trailing * allows endings)")
    ignore_words: list[str] = Field(default_factory=list, description="Words to remove from the list")

    def word_list(self) -> tuple[str, ...]:
        def key(word: str) -> str:
            return " ".join(word.lower().rstrip("*").split())

        ignored = {key(w) for w in self.ignore_words}
        base = (list(DEFAULT_WORDS) + (list(MILD_WORDS) if self.include_mild else [])) if self.use_default_list else []
        return tuple(w for w in base + list(self.extra_words) if key(w) not in ignored)

    def columns(self) -> list[ColumnSpec]:
        return [
            ColumnSpec(name="prompt_profanity_count", label="Prompt profane words (word list)", dtype="int", unit="words", better="lower", group="safety",
                       description="Profane words in the prompt (user turns), word-list match"),
            ColumnSpec(name="response_profanity_count", label="Response profane words (word list)", dtype="int", unit="words", better="lower", group="safety",
                       description="Profane words in the response (assistant turns), word-list match"),
            ColumnSpec(name="profanity_terms", label="Profane words found", dtype="list", group="safety", filterable=False,
                       description="Listed words found in the prompt or response"),
        ]

    def compute(self, table: pa.Table) -> dict[str, Any]:
        pattern, terms = compile_word_list(self.word_list())
        out: dict[str, Any] = {}
        found_terms = [set() for _ in range(table.num_rows)]
        for role in ("prompt", "response"):
            counts = np.zeros(table.num_rows, dtype=np.int64)
            for i, text in enumerate(role_texts(table, role)):
                hits = find_profanity(text, pattern, terms)
                counts[i] = len(hits)
                found_terms[i].update(term for term, _, _ in hits)
            out[f"{role}_profanity_count"] = counts
        out["profanity_terms"] = pa.array([sorted(t) for t in found_terms], pa.list_(pa.string()))
        return out
