"""Text normalization and word shingling shared by every dedup method.

Normalization is NFKC, casefold, punctuation turned into spaces, whitespace runs collapsed: two
rows that differ only in spacing, case, quotes or punctuation normalize to the same string.
Shingling is vectorized (Arrow split + dictionary-encoded word hashes) so MinHash input costs
no per-word Python.
"""

from __future__ import annotations

import unicodedata
from typing import Iterable, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.schema import role_texts

DedupField = Literal["instruction", "prompt", "conversation"]
DEDUP_FIELDS: tuple[str, ...] = ("instruction", "prompt", "conversation")

# RE2 (Arrow) classes are Unicode-aware: punctuation and symbols become spaces, any space or
# control character separates words; letters, digits and combining marks stay.
_PUNCTUATION = r"[\p{P}\p{S}]+"
_WHITESPACE = r"[\s\p{Z}\p{Cc}]+"
# Odd 64-bit multipliers that mix consecutive word hashes into one n-gram hash.
_NGRAM_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                       0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                       0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5], dtype=np.uint64)
MAX_NGRAM = len(_NGRAM_MIX)


def normalize_array(texts: Iterable[str | None]) -> pa.Array:
    """NFKC, casefold, punctuation -> space, whitespace collapsed and stripped (vectorized)."""
    folded = [unicodedata.normalize("NFKC", t).casefold() if t else "" for t in texts]
    text = pc.replace_substring_regex(pa.array(folded, pa.string()), _PUNCTUATION, " ")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _WHITESPACE, " "))


def normalize_texts(texts: Iterable[str | None]) -> list[str]:
    return normalize_array(texts).to_pylist()


def normalize_text(text: str) -> str:
    return normalize_texts([text])[0]


def dedup_texts(table: pa.Table, fields: str) -> list[str]:
    """The text a dedup method compares for each row: first user turn, all user turns, or everything."""
    if fields not in DEDUP_FIELDS:
        raise ValueError(f"unknown dedup field {fields!r}; choose one of {', '.join(DEDUP_FIELDS)}")
    return role_texts(table, fields)


def word_hashes(normalized: pa.Array | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(flat uint64 hash of every word, row offsets of length n+1) for already-normalized texts."""
    normalized = normalized if isinstance(normalized, pa.Array) else pa.array(normalized, pa.string())
    # Empty texts become nulls: splitting "" would yield one empty word.
    normalized = pc.if_else(pc.equal(normalized, ""), pa.scalar(None, pa.string()), normalized)
    words = pc.utf8_split_whitespace(normalized)
    offsets = words.offsets.to_numpy().astype(np.int64)
    flat = pc.list_flatten(words)
    if len(flat) == 0:
        return np.zeros(0, np.uint64), offsets
    # Hash each distinct word once; the hash depends only on the word, so it is stable across batches.
    encoded = pc.dictionary_encode(flat).combine_chunks() if isinstance(flat, pa.ChunkedArray) \
        else pc.dictionary_encode(flat)
    vocabulary = encoded.dictionary.to_numpy(zero_copy_only=False)
    vocabulary_hashes = pd.util.hash_array(vocabulary.astype(object), categorize=False)
    return vocabulary_hashes[encoded.indices.to_numpy()], offsets


def ngram_hashes(hashes: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Word n-gram hashes per row from word hashes; a row shorter than n words is one shingle."""
    if not 1 <= n <= MAX_NGRAM:
        raise ValueError(f"ngram must be between 1 and {MAX_NGRAM}")
    lengths = np.diff(offsets)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    new_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    total = int(new_offsets[-1])
    if total == 0:
        return np.zeros(0, np.uint64), new_offsets
    row_of_shingle = np.repeat(np.arange(len(counts)), counts)
    start = offsets[:-1][row_of_shingle] + (np.arange(total) - new_offsets[:-1][row_of_shingle])
    end = offsets[1:][row_of_shingle]
    out = np.zeros(total, np.uint64)
    for k in range(n):
        position = start + k
        inside = position < end  # short rows: only their own words take part
        out[inside] ^= hashes[position[inside]] * _NGRAM_MIX[k]
    return out, new_offsets
