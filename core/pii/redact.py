"""Rewrite one text given its PII matches and an action per type."""

from __future__ import annotations

from collections import Counter
from typing import Literal, Mapping

from core.pii.detect import PiiMatch, placeholder
from core.pii.fake import FakeValues

PiiAction = Literal["report", "drop", "redact", "fake"]
# Actions that leave the text as it is: "report" only counts; "drop" is a threshold filter on the
# pii_<type>_count column (a Transform never drops a row).
TEXT_KEEPING_ACTIONS = ("report", "drop")
TEXT_REWRITING_ACTIONS = ("redact", "fake")


def redact_text(text: str, matches: list[PiiMatch], actions: Mapping[str, PiiAction],
                fakes: FakeValues | None) -> tuple[str, Counter]:
    """(new text, Counter of (type, action) rewritten). Matches must not overlap."""
    changed: Counter = Counter()
    pieces, cursor = [], 0
    for m in sorted(matches, key=lambda m: m.start):
        action = actions.get(m.type, "report")
        if action in TEXT_KEEPING_ACTIONS:
            continue
        if action == "fake" and fakes is None:
            raise ValueError("action 'fake' needs a FakeValues generator")
        pieces.append(text[cursor:m.start])
        pieces.append(placeholder(m.type) if action == "redact" else fakes.fake(m.type, m.text))
        cursor = m.end
        changed[(m.type, action)] += 1
    if not changed:
        return text, changed
    pieces.append(text[cursor:])
    return "".join(pieces), changed
