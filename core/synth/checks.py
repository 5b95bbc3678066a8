"""Cheap checks on generations: ROUGE-L novelty, lexical coherence, requirements, judge verdicts.

ROUGE-L against a whole pool uses the bit-parallel LCS of Allison & Dix / Hyyrö: each pool task of
up to 64 words is one uint64 state, and each candidate word updates, in one vectorized step, only
the pool tasks that contain that word (an inverted index of word -> (task, position bitmask)).
Longer tasks fall back to a vectorized dynamic programme. Both are checked against a plain LCS.
"""

from __future__ import annotations

import re

import numpy as np
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_BITS = 64


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class RougePool:
    """A growing pool of tasks; `most_similar(candidate)` is its highest ROUGE-L F1 against any of them."""

    def __init__(self, tasks: list[str] = ()):
        self.texts: list[str] = []
        self._vocab: dict[str, int] = {}
        self._lengths: list[int] = []
        self._postings: dict[int, list[tuple[int, int]]] = {}   # word -> [(task, bitmask of positions)]
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._long: dict[int, np.ndarray] = {}                  # tasks over 64 words: their word ids
        for task in tasks:
            self.add(task)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str) -> None:
        row = len(self.texts)
        ids = [self._vocab.setdefault(w, len(self._vocab)) for w in words(text)]
        self.texts.append(text)
        self._lengths.append(len(ids))
        if len(ids) > _WORD_BITS:
            self._long[row] = np.array(ids, dtype=np.int64)
            return
        masks: dict[int, int] = {}
        for position, word in enumerate(ids):
            masks[word] = masks.get(word, 0) | (1 << position)
        for word, mask in masks.items():
            self._postings.setdefault(word, []).append((row, mask))
            self._arrays.pop(word, None)

    def _posting(self, word: int) -> tuple[np.ndarray, np.ndarray]:
        if word not in self._arrays:
            rows, masks = zip(*self._postings[word])
            self._arrays[word] = (np.array(rows, dtype=np.int64), np.array(masks, dtype=np.uint64))
        return self._arrays[word]

    def lcs(self, candidate: str) -> np.ndarray:
        """Length of the longest common word subsequence with every pool task."""
        cand = [self._vocab.get(w, -1) for w in words(candidate)]
        state = np.full(len(self.texts), np.iinfo(np.uint64).max, dtype=np.uint64)
        for word in cand:
            if word in self._postings:
                rows, masks = self._posting(word)
                s = state[rows]
                u = s & masks
                state[rows] = (s + u) | (s - u)  # uint64 wrap-around is the intended carry
        lengths = np.array(self._lengths, dtype=np.uint64)
        width = np.where(lengths >= _WORD_BITS, np.iinfo(np.uint64).max,
                         (np.uint64(1) << np.minimum(lengths, _WORD_BITS - 1)) - np.uint64(1))
        result = np.bitwise_count(~state & width).astype(np.int64)
        for row, ids in self._long.items():
            result[row] = _lcs_dp(np.array(cand, dtype=np.int64), ids)
        return result

    def scores(self, candidate: str) -> np.ndarray:
        """ROUGE-L F1 of `candidate` against every pool task (0 where either side has no words)."""
        common = self.lcs(candidate).astype(np.float64)
        n_cand = len(words(candidate))
        lengths = np.array(self._lengths, dtype=np.float64)
        precision = common / max(n_cand, 1)
        recall = common / np.maximum(lengths, 1)
        total = precision + recall
        return np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)

    def most_similar(self, candidate: str) -> tuple[float, str | None]:
        """(highest ROUGE-L F1, the pool task it was against)."""
        f1 = self.scores(candidate)
        if f1.size == 0:
            return 0.0, None
        best = int(np.argmax(f1))
        return float(f1[best]), self.texts[best]


def _lcs_dp(a: np.ndarray, b: np.ndarray) -> int:
    """LCS length, one vectorized row per word of `a`: cur[j] = running max of max(prev[j], prev[j-1] + match)."""
    row = np.zeros(len(b) + 1, dtype=np.int64)
    for word in a:
        step = np.maximum(row[1:], row[:-1] + (b == word))
        row[1:] = np.maximum.accumulate(step)
    return int(row[-1])


def rouge_l_f1(a: str, b: str) -> float:
    """ROUGE-L F1 of two texts (word level, lowercased)."""
    return float(RougePool([b]).scores(a)[0])


# ---------------------------------------------------------------- coherence

# Words that say what to do rather than what about: an answer need not repeat them.
_STOPWORDS = frozenset("""
a an the and or but if then else of to in on at by for with from into about as is are was were be been
being it its this that these those there here what which who whom whose when where why how not no yes
do does did done can could should would will shall may might must have has had i you he she we they me
him her us them my your our their his mine yours please write explain describe give list tell make
create provide show help answer question task want need using use also very more most some any each
every all one two three step steps final reply single json object nothing else only think line starts
""".split())


def content_words(text: str) -> set[str]:
    """Lowercased words of 3+ letters that carry meaning, cut to 5 characters as a crude stem."""
    return {w[:5] for w in words(text) if len(w) >= 3 and w not in _STOPWORDS and not w.isdigit()}


def lexical_coherence(instruction: str, response: str) -> float:
    """Share of the instruction's content words (5-char stems) that the response also uses; 1.0 if none."""
    asked = content_words(instruction)
    if not asked:
        return 1.0
    return len(asked & content_words(response)) / len(asked)


# ---------------------------------------------------------------- requirements

_FINAL_ANSWER = re.compile(r"final answer\s*[:：]", re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```$", re.DOTALL)


def strip_fence(text: str) -> str:
    text = text.strip()
    fenced = _FENCE.match(text)
    return fenced.group(1).strip() if fenced else text


def requirement_failure(requirement: str, content: str, tool_calls: list | None,
                        tool_names: set[str]) -> str | None:
    """Why a response does not meet a requirement, or None when it does."""
    if requirement == "step_by_step":
        return None if _FINAL_ANSWER.search(content) else "step_by_step: no 'Final answer:' line"
    if requirement == "json_output":
        try:
            value = orjson.loads(strip_fence(content))
        except orjson.JSONDecodeError:
            return "json_output: response is not valid JSON"
        return None if isinstance(value, (dict, list)) else "json_output: JSON is not an object or array"
    if requirement == "tool_use":
        if not tool_calls:
            return "tool_use: no tool call"
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            name = function.get("name") if isinstance(function, dict) else None
            if name not in tool_names:
                return f"tool_use: unknown tool {name!r}"
            try:
                orjson.loads(function.get("arguments") or "{}")
            except (orjson.JSONDecodeError, TypeError):
                return f"tool_use: arguments of {name} are not JSON"
        return None
    raise ValueError(f"unknown requirement {requirement!r}")


# ---------------------------------------------------------------- judge

class Grade(BaseModel):
    model_config = ConfigDict(extra="ignore")  # judges like to add fields; score and reason must be right
    score: int = Field(..., ge=1, le=5)
    reason: str = Field(..., min_length=1)


class Verdict(BaseModel):
    """The judge's JSON answer, validated."""

    model_config = ConfigDict(extra="ignore")
    helpfulness: Grade
    correctness: Grade
    safety: Grade


def parse_verdict(text: str) -> tuple[Verdict | None, str | None]:
    """(verdict, None) or (None, why the judge's answer is unusable)."""
    body = strip_fence(text)
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        return None, "judge answer invalid: no JSON object"
    try:
        data = orjson.loads(body[start:end + 1])
    except orjson.JSONDecodeError:
        return None, "judge answer invalid: not JSON"
    try:
        return Verdict.model_validate(data), None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return None, f"judge answer invalid: {where}: {first['msg']}"
