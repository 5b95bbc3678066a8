"""Token entropy and Gopher-style repetition of each response.

Low entropy means few distinct tokens repeated; the repetition fractions say how much of the text
sits inside repeated word n-grams or repeated lines (Rae et al. 2021, Gopher, table A1; the way
datatrove's GopherRepetitionFilter measures them). Two deliberate differences from datatrove:
the top n-gram only counts when it occurs at least twice (otherwise every short text would score
1.0), and blank lines are not counted as duplicated lines (markdown is full of them).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register
from core.tokenizers import get_tokenizer

_WORD = re.compile(r"\w+")


def shannon_entropy_bits(tokens) -> float:
    """-Σ p·log2(p) over the token frequency distribution; 0 for zero or one distinct token."""
    counts = Counter(tokens)
    total = sum(counts.values())
    if total == 0:
        return 0.0
    return max(0.0, -sum(c / total * math.log2(c / total) for c in counts.values()))


def top_ngram_char_fraction(words: list[str], n: int, text_chars: int) -> float:
    """Characters covered by the most frequent word n-gram (counted per occurrence) over text length."""
    if len(words) < n or text_chars == 0:
        return 0.0
    gram, count = Counter(zip(*(words[i:] for i in range(n)))).most_common(1)[0]
    if count < 2:
        return 0.0
    gram_chars = sum(map(len, gram)) + n - 1  # the n-gram as written with single spaces
    return min(1.0, count * gram_chars / text_chars)


def duplicate_ngram_char_fraction(words: list[str], n: int, text_chars: int) -> float:
    """Characters in n-grams already seen earlier, skipping past each repeat, over text length."""
    if len(words) < n or text_chars == 0:
        return 0.0
    seen: set[tuple] = set()
    repeated_chars, i, last = 0, 0, len(words) - n
    while i <= last:
        gram = tuple(words[i:i + n])
        if gram in seen:
            repeated_chars += sum(map(len, gram)) + n - 1
            i += n
        else:
            seen.add(gram)
            i += 1
    return min(1.0, repeated_chars / text_chars)


def duplicate_line_fractions(text: str) -> tuple[float, float]:
    """(repeated non-blank lines / non-blank lines, characters in repeated lines / text length)."""
    seen: set[str] = set()
    lines = dup_lines = dup_chars = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        lines += 1
        if line in seen:
            dup_lines += 1
            dup_chars += len(line)
        else:
            seen.add(line)
    if lines == 0:
        return 0.0, 0.0
    return dup_lines / lines, dup_chars / len(text)


@register
class Entropy(Metric):
    name: ClassVar[str] = "entropy"
    title: ClassVar[str] = "Entropy & repetition"
    description: ClassVar[str] = ("Shannon entropy (bits) of each response's token distribution, and the "
                                  "share of its characters in repeated word n-grams and repeated lines.")

    tokens: str = Field("words", description=(
        "What entropy counts: 'words' (lower-cased \\w+ runs, fastest), or a tokenizer: 'mistral', "
        "'cl100k' or a local Hugging Face tokenizer folder"))
    ngram_sizes: list[int] = Field([2, 3, 4], description="Word n-gram sizes for the repetition fractions")

    def columns(self) -> list[ColumnSpec]:
        def frac(name, label, description):
            return ColumnSpec(name=name, label=label, dtype="float", unit="fraction", description=description,
                              better="lower", bins=50, range=(0.0, 1.0), group="quality")
        specs = [ColumnSpec(name="response_entropy_bits", label="Response entropy (bits)", dtype="float", unit="bits", better="higher",
                            bins=60, group="quality",
                            description=f"Shannon entropy of the response's {self.tokens} distribution "
                                        "(0 = one token repeated; low = repetitive)")]
        for n in self.ngram_sizes:
            specs.append(frac(f"response_top_{n}gram_char_frac", f"Top {n}-gram character share",
                              f"Share of response characters in its most frequent repeated word {n}-gram"))
        for n in self.ngram_sizes:
            specs.append(frac(f"response_dup_{n}gram_char_frac", f"Repeated {n}-gram character share",
                              f"Share of response characters in word {n}-grams that occurred earlier"))
        specs.append(frac("response_dup_line_frac", "Repeated line share", "Share of non-blank response lines that repeat an earlier line"))
        specs.append(frac("response_dup_line_char_frac", "Repeated-line character share", "Share of response characters in repeated lines"))
        return specs

    def setup(self) -> None:
        if self.tokens != "words":
            get_tokenizer(self.tokens)

    def compute(self, table: pa.Table) -> dict:
        texts = role_texts(table, "response")
        n_rows = len(texts)
        out = {c.name: np.zeros(n_rows, dtype=np.float64) for c in self.columns()}
        token_ids = get_tokenizer(self.tokens).encode(texts) if self.tokens != "words" else None
        for row, text in enumerate(texts):
            words = _WORD.findall(text)
            entropy_tokens = token_ids[row] if token_ids is not None else [w.lower() for w in words]
            out["response_entropy_bits"][row] = shannon_entropy_bits(entropy_tokens)
            chars = len(text)
            for n in sorted(self.ngram_sizes):
                top = top_ngram_char_fraction(words, n, chars)
                if top == 0.0:
                    break  # no n-gram repeats, so no longer one does either: every fraction stays 0
                out[f"response_top_{n}gram_char_frac"][row] = top
                out[f"response_dup_{n}gram_char_frac"][row] = duplicate_ngram_char_fraction(words, n, chars)
            line_frac, line_char_frac = duplicate_line_fractions(text)
            out["response_dup_line_frac"][row] = line_frac
            out["response_dup_line_char_frac"][row] = line_char_frac
        return out
