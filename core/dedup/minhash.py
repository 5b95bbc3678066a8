"""MinHash LSH dedup: word n-gram shingles, rensa (Rust) signatures, numpy banding, verified pairs.

The pieces are pure functions over one batch or one digest matrix, so the Ray engine can compute
signatures per batch (through `core.engine.plan.dedup_signatures`) and group `band_keys` itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.dedup.base import NearDuplicateStep, fixed_size_matrix, has_text, matrix_column
from core.dedup.normalize import MAX_NGRAM, ngram_hashes, normalize_array, word_hashes
from core.steps import register

SEED = 42
_BUCKET_ALL_PAIRS = 64      # buckets up to this size are verified pair by pair; bigger ones as stars
_VERIFY_CHUNK = 32_768     # pairs compared at once: two (chunk, num_perm) gathers, 16 MB each at 128
_KEY_CHUNK = 16_384        # rows banded at once: widening + product are 2 x 8 bytes x num_perm per row
# Every candidate is verified against the threshold, so a false positive costs one comparison while
# a false negative is a missed duplicate: weigh misses 9:1 when choosing bands x rows.
FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT = 0.1, 0.9


@lru_cache(maxsize=256)
def optimal_bands(threshold: float, num_perm: int, false_positive_weight: float = FALSE_POSITIVE_WEIGHT,
                  false_negative_weight: float = FALSE_NEGATIVE_WEIGHT) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimizing weighted false positive + negative area.

    A pair of Jaccard s becomes a candidate with probability 1 - (1 - s^rows)^bands; false
    positives are that probability integrated below the threshold, false negatives its complement
    integrated above.
    """
    grid = np.linspace(0.0, 1.0, 201)
    bands, rows = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)]).T
    candidate = 1.0 - (1.0 - grid[None, :] ** rows[:, None]) ** bands[:, None]   # (pairs of b,r) x grid
    below, above = grid <= threshold, grid >= threshold
    false_positive = np.trapezoid(candidate[:, below], grid[below], axis=1) if below.sum() > 1 else 0.0
    false_negative = np.trapezoid(1.0 - candidate[:, above], grid[above], axis=1) if above.sum() > 1 else 0.0
    best = int(np.argmin(false_positive_weight * false_positive + false_negative_weight * false_negative))
    return int(bands[best]), int(rows[best])


def minhash_matrix(texts: list[str], num_perm: int, ngram: int, seed: int = SEED
                   ) -> tuple[np.ndarray, np.ndarray]:
    """((n, num_perm) uint32 MinHash values, has_text) for raw texts."""
    import rensa

    words, offsets = word_hashes(normalize_array(texts))
    shingles, shingle_offsets = ngram_hashes(words, offsets, ngram)
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        shingles, shingle_offsets.astype(np.uint64), num_perm, seed)
    digests = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), num_perm)
    return digests, np.diff(shingle_offsets) > 0


def band_keys(digests: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 key per band: rows with equal keys in any band are candidates."""
    rng = np.random.default_rng(SEED)
    mix = rng.integers(1, 2 ** 63, size=rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    keys = np.empty((len(digests), bands), np.uint64)
    # In row chunks: widening every row at once would hold 2 x 8 bytes x bands*rows per row (2 GB at 1M).
    for start in range(0, len(digests), _KEY_CHUNK):
        banded = digests[start:start + _KEY_CHUNK, :bands * rows].astype(np.uint64).reshape(-1, bands, rows)
        keys[start:start + _KEY_CHUNK] = (banded * mix).sum(axis=2, dtype=np.uint64)  # wrapping arithmetic mixes
    keys ^= keys >> np.uint64(29)
    return keys


def bucket_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of positions sharing a key: all pairs in small buckets, a star in big ones."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    lefts, rights = [], []
    for distance in range(1, _BUCKET_ALL_PAIRS):
        same = sorted_keys[distance:] == sorted_keys[:-distance]
        if not same.any():
            break
        lefts.append(order[:-distance][same])
        rights.append(order[distance:][same])
    else:
        starts = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
        first = order[np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
        lefts.append(first[~starts])
        rights.append(order[~starts])
    if not lefts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(lefts), np.concatenate(rights)


def candidate_pairs(keys: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique (left < right) row pairs that share at least one band key; invalid rows never pair."""
    return _pairs_sharing_a_key((keys[:, band] for band in range(keys.shape[1])), valid)


def digest_candidate_pairs(digests: np.ndarray, bands: int, rows: int, valid: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """`candidate_pairs(band_keys(digests, bands, rows), valid)` with one band's keys alive at a time."""
    # A band's key depends only on its own columns (the mix is per row-in-band), so banding the slice is exact.
    keys = (band_keys(digests[:, band * rows:(band + 1) * rows], 1, rows)[:, 0] for band in range(bands))
    return _pairs_sharing_a_key(keys, valid)


def _pairs_sharing_a_key(band_columns, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.flatnonzero(valid)
    n = len(valid)
    encoded = []
    for column in band_columns:
        left, right = bucket_pairs(column[rows])
        left, right = rows[left], rows[right]
        # Unique per band: a true duplicate shares most bands, so this keeps one copy, not `bands`.
        encoded.append(np.unique(np.minimum(left, right) * n + np.maximum(left, right)))
    if not encoded:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    unique = np.unique(np.concatenate(encoded))
    return unique // n, unique % n


def estimated_jaccard(digests: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Share of equal MinHash values for each pair."""
    out = np.empty(len(left), np.float64)
    for start in range(0, len(left), _VERIFY_CHUNK):
        stop = start + _VERIFY_CHUNK
        out[start:stop] = (digests[left[start:stop]] == digests[right[start:stop]]).mean(axis=1)
    return out


@register
class MinHashDedup(NearDuplicateStep):
    name = "minhash"
    title = "MinHash LSH near-duplicates"
    description = "Word n-gram Jaccard similarity estimated by MinHash, candidates from LSH bands, then verified."

    threshold: float = Field(0.7, ge=0.05, le=1.0, description="Jaccard similarity from which rows are "
                             "near-duplicates; LSH bands x rows are derived from it")
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations (signature length)")
    ngram: int = Field(3, ge=1, le=MAX_NGRAM, description="Words per shingle")

    def text_signatures(self, texts: list[str]) -> dict[str, pa.Array]:
        digests, present = minhash_matrix(texts, self.num_perm, self.ngram)
        return {"minhash": matrix_column(digests), "has_text": pa.array(present, pa.bool_())}

    def bands(self) -> tuple[int, int]:
        return optimal_bands(round(self.threshold, 4), self.num_perm)

    def similar_pairs(self, signatures: pa.Table):
        digests = fixed_size_matrix(signatures.column("minhash"), np.uint32)
        left, right = digest_candidate_pairs(digests, *self.bands(), has_text(signatures))
        similarity = estimated_jaccard(digests, left, right)
        similar = similarity >= self.threshold
        return left[similar], right[similar], similarity[similar]

    def similarity_function(self, signatures: pa.Table):
        digests = fixed_size_matrix(signatures.column("minhash"), np.uint32)
        return lambda kept, members: (digests[members] == digests[kept]).mean(axis=1)

    def reference_matches(self, signatures: pa.Table, reference: pa.Table):
        data = fixed_size_matrix(signatures.column("minhash"), np.uint32)
        digests = np.concatenate([data, fixed_size_matrix(reference.column("minhash"), np.uint32)])
        valid = np.concatenate([has_text(signatures), has_text(reference)])
        left, right = digest_candidate_pairs(digests, *self.bands(), valid)
        n = len(data)
        crossing = (left < n) & (right >= n)  # left < right, so the dataset row is always on the left
        left, right = left[crossing], right[crossing]
        similarity = estimated_jaccard(digests, left, right)
        keep = similarity >= self.threshold
        return left[keep], right[keep] - n, similarity[keep]
