"""Format detection: score each sampled record with every format's `detect`, pick the best, say why.

confidence = mean score of the winner × share of records whose own best format is the winner ×
a margin term (1 when the runner-up scores ≥ 0.5 below the winner, 0.5 when they tie). A clean file
of one format scores 1.0; a file mixing two formats half and half scores about 0.25.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field

from core.io import RawRecord

# Order breaks ties: the more specific format first (canonical before openai, pairs before sharegpt).
FORMATS: list[str] = ["canonical", "oasst", "sharegpt_pairs", "hh", "preference", "openai", "sharegpt", "dolly",
                      "alpaca", "prompt_completion", "chat_text"]
WRITE_TARGETS = ("openai", "sharegpt", "alpaca", "parquet")
MODULES = {name: importlib.import_module(f"core.formats.{name}") for name in FORMATS}


@dataclass
class Detection:
    format: str
    confidence: float
    evidence: list[str] = field(default_factory=list)


def score_record(value: dict) -> dict[str, tuple[float, list[str]]]:
    return {name: MODULES[name].detect(value) for name in FORMATS}


def best_format_for(value: dict) -> str | None:
    """The format one record looks most like (None when nothing matches at least half)."""
    scores = score_record(value)
    name = max(FORMATS, key=lambda n: (scores[n][0], -FORMATS.index(n)))
    return name if scores[name][0] >= 0.5 else None


def _tally(sample: list[RawRecord]) -> tuple[list[dict], Counter, dict[str, Counter], Counter]:
    values = [r.value for r in sample if r.error is None and isinstance(r.value, dict)]
    totals: Counter = Counter()
    keys_by_format: dict[str, Counter] = {n: Counter() for n in FORMATS}
    winners: Counter = Counter()
    for value in values:
        scores = score_record(value)
        for name, (score, keys) in scores.items():
            totals[name] += score
            if score > 0:
                keys_by_format[name][", ".join(keys)] += 1
        top = max(FORMATS, key=lambda n: (scores[n][0], -FORMATS.index(n)))
        if scores[top][0] > 0:
            winners[top] += 1
    return values, totals, keys_by_format, winners


def detect_records(sample: list[RawRecord], notes: list[str] | None = None) -> Detection:
    """Detection from a sample of raw records (unparsable ones are ignored and counted)."""
    values, totals, keys_by_format, winners = _tally(sample)
    evidence = list(notes or [])
    unreadable = len(sample) - len(values)
    if unreadable:
        evidence.append(f"{unreadable} of {len(sample)} sampled records could not be parsed")
    if not values:
        return Detection("unknown", 0.0, evidence + ["no readable records in the sample"])
    n = len(values)
    ranked = sorted(FORMATS, key=lambda f: (-totals[f], FORMATS.index(f)))
    best, second = ranked[0], ranked[1]
    best_mean, second_mean = totals[best] / n, totals[second] / n
    if best_mean == 0:
        seen = Counter(k for v in values for k in v)
        return Detection("unknown", 0.0, evidence + [
            "no known format matches; keys seen: " + ", ".join(k for k, _ in seen.most_common(12))])
    share = winners[best] / n
    margin = 0.5 + 0.5 * min(1.0, (best_mean - second_mean) / 0.5)
    confidence = round(best_mean * share * margin, 3)
    keys, _ = keys_by_format[best].most_common(1)[0]
    matched = sum(keys_by_format[best].values())
    evidence.insert(0, f"{best}: {keys} ({matched}/{n} sampled records match)")
    if second_mean > 0:
        evidence.append(f"runner-up {second}: mean score {second_mean:.2f} vs {best_mean:.2f}")
    others = {f: c for f, c in winners.items() if f != best}
    if others:
        evidence.append("some records look like another format: "
                        + ", ".join(f"{f} ({c})" for f, c in sorted(others.items())))
    return Detection(best, confidence, evidence)


def forced_detection(name: str, sample: list[RawRecord], notes: list[str] | None = None) -> Detection:
    """The user chose the format: confidence is how well the sample fits it."""
    values = [r.value for r in sample if r.error is None and isinstance(r.value, dict)]
    scores = [MODULES[name].detect(v)[0] for v in values]
    fit = round(sum(scores) / len(scores), 3) if scores else 0.0
    guessed = detect_records(sample).format if values else "unknown"
    evidence = [f"format set by the user: {name}", f"mean fit of the sample: {fit:.2f}"]
    if guessed not in (name, "unknown"):
        evidence.append(f"detection alone would have chosen {guessed}")
    return Detection(name, fit, evidence + list(notes or []))
