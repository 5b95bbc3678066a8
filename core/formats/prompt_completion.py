"""Plain prompt / completion (OpenAI legacy fine-tuning, many eval dumps; `response` is read as the
completion when there is none); also prompt / chosen / rejected strings (TRL preference). Each field
may be a string or a list of OpenAI-style messages (chosen/rejected lists: see `preference`)."""

from __future__ import annotations

from typing import Any

from core.formats.base import Parsed, RecordError, take_id, type_name, unmapped
from core.formats.openai import parse_messages
from core.schema import message

NAME = "prompt_completion"
MESSAGES_FIELD = "completion"


def detect(record: dict) -> tuple[float, list[str]]:
    if "prompt" not in record:
        return 0.0, []
    if "completion" in record:
        return 1.0, ["prompt", "completion"]
    if "response" in record:
        return 0.9, ["prompt", "response"]
    if "chosen" in record and "rejected" in record:
        as_lists = isinstance(record["chosen"], list)  # message lists: the `preference` format reads them better
        return (0.5 if as_lists else 0.95), ["prompt", "chosen", "rejected"]
    return 0.2, ["prompt"]


def _part(record: dict, key: str, role: str, parsed: Parsed) -> list[dict]:
    if key not in record:
        raise RecordError(key, f"missing required field '{key}'")
    value: Any = record[key]
    if isinstance(value, str):
        return [message(role, value)]
    if isinstance(value, list):
        return parse_messages(value, key, parsed, offset=len(parsed.messages))
    raise RecordError(key, f"expected a string or a list of messages, got {type_name(value)}")


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    parsed = Parsed([], own_id=own_id, id_field=id_field)
    parsed.messages = _part(record, "prompt", "user", parsed)
    if "completion" not in record and "chosen" in record:
        used = {"prompt", "chosen", "rejected"}
        parsed.messages += _part(record, "chosen", "assistant", parsed)
        scratch = Parsed([])
        rejected = _part(record, "rejected", "assistant", scratch)
        if len(rejected) != 1:
            raise RecordError("rejected", f"expected one rejected answer, got {len(rejected)} messages")
        parsed.rejected = rejected[0]
    else:
        answer = "response" if "completion" not in record and "response" in record else "completion"
        used = {"prompt", answer}
        parsed.messages += _part(record, answer, "assistant", parsed)
    parsed.extra = unmapped(record, used, id_field)
    return [parsed]
