"""Cheap checks on generations: ROUGE-L novelty, lexical coherence, requirements, judge verdicts.

ROUGE-L is computed against the whole pool at once: the LCS table of one candidate against every
pool task is a (pool × length) numpy array filled one candidate token at a time. The recurrence
cur[j] = max(prev[j], cur[j-1], prev[j-1] + match[j]) unrolls to a running maximum along j, so
each candidate token costs one vectorized step instead of a Python loop over j.
"""

from __future__ import annotations

import re

import numpy as np
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class RougePool:
    """A growing pool of tasks; `max_f1(candidate)` is its highest ROUGE-L F1 against any of them."""

    def __init__(self, tasks: list[str] = ()):
        self._vocab: dict[str, int] = {}
        self._rows: list[np.ndarray] = []
        self.texts: list[str] = []
        self._matrix: np.ndarray | None = None
        for task in tasks:
            self.add(task)

    def __len__(self) -> int:
        return len(self.texts)

    def _ids(self, text: str) -> np.ndarray:
        return np.array([self._vocab.setdefault(w, len(self._vocab)) for w in words(text)], dtype=np.int32)

    def add(self, text: str) -> None:
        self.texts.append(text)
        self._rows.append(self._ids(text))
        self._matrix = None

    def _padded(self) -> tuple[np.ndarray, np.ndarray]:
        if self._matrix is None:
            width = max((len(r) for r in self._rows), default=0)
            matrix = np.full((len(self._rows), max(width, 1)), -1, dtype=np.int32)
            for i, row in enumerate(self._rows):
                matrix[i, :len(row)] = row
            self._matrix = matrix
            self._lengths = np.array([len(r) for r in self._rows], dtype=np.float64)
        return self._matrix, self._lengths

    def scores(self, candidate: str) -> np.ndarray:
        """ROUGE-L F1 of `candidate` against every pool task (0 where either side has no words)."""
        if not self._rows:
            return np.zeros(0)
        pool, lengths = self._padded()
        cand = np.array([self._vocab.get(w, -2) for w in words(candidate)], dtype=np.int32)
        lcs = np.zeros((pool.shape[0], pool.shape[1] + 1), dtype=np.int32)
        for token in cand:
            match = (pool == token).astype(np.int32)
            step = np.maximum(lcs[:, 1:], lcs[:, :-1] + match)
            lcs[:, 1:] = np.maximum.accumulate(step, axis=1)
        common = lcs[:, -1].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(len(cand) > 0, common / max(len(cand), 1), 0.0)
            recall = np.where(lengths > 0, common / np.maximum(lengths, 1), 0.0)
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
        return f1

    def most_similar(self, candidate: str) -> tuple[float, str | None]:
        """(highest ROUGE-L F1, the pool task it was against)."""
        f1 = self.scores(candidate)
        if f1.size == 0:
            return 0.0, None
        best = int(np.argmax(f1))
        return float(f1[best]), self.texts[best]


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
    model_config = ConfigDict(extra="forbid")
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
