"""Dolly (databricks-dolly-15k): instruction / context / response / category. The context follows
the instruction after a blank line in the user turn; category stays in meta.extra."""

from __future__ import annotations

from core.formats.base import Parsed, join_prompt, optional_str, require_str, take_id, unmapped
from core.schema import message

NAME = "dolly"
MESSAGES_FIELD = "response"
USED = frozenset({"instruction", "context", "response"})


def detect(record: dict) -> tuple[float, list[str]]:
    if "instruction" not in record or "response" not in record:
        return (0.3, ["context"]) if "context" in record and "instruction" in record else (0.0, [])
    keys = [k for k in ("instruction", "context", "response", "category") if k in record]
    return (1.0 if "context" in record or "category" in record else 0.9), keys


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    prompt = join_prompt(require_str(record, "instruction"), optional_str(record, "context"))
    messages = [message("user", prompt), message("assistant", require_str(record, "response"))]
    return [Parsed(messages, own_id=own_id, id_field=id_field, extra=unmapped(record, USED, id_field))]
