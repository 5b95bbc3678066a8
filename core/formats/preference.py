"""Preference pairs as message lists (TRL conversational preference, UltraFeedback-binarized):
`chosen` and `rejected` lists of OpenAI-style messages, with or without a `prompt` (string or list).

The prompt is the `prompt` field plus every turn the two lists share; the rest of `chosen` ends the
conversation and the single assistant message left in `rejected` becomes `record["rejected"]`. When
the lists repeat the prompt (UltraFeedback does), it is not read twice; a `messages` field equal to
the chosen conversation is the same conversation and is not kept again.
"""

from __future__ import annotations

from typing import Any

from core.formats.base import Parsed, RecordError, json_text_list, take_id, type_name, unmapped
from core.formats.openai import parse_message
from core.schema import message

NAME = "preference"
MESSAGES_FIELD = "chosen"


def _is_message_list(value: Any) -> bool:
    value = json_text_list(value)
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict) and "role" in value[0]


def detect(record: dict) -> tuple[float, list[str]]:
    if _is_message_list(record.get("chosen")) and _is_message_list(record.get("rejected")):
        return 1.0, (["prompt"] if "prompt" in record else []) + ["chosen[]/rejected[] message lists"]
    return 0.0, []


def _messages(value: Any, key: str) -> list[tuple[dict, dict]]:
    value = json_text_list(value)
    if isinstance(value, str):
        return [(message("user", value), {})]
    if not isinstance(value, list):
        raise RecordError(key, f"expected a list of messages, got {type_name(value)}")
    return [parse_message(m, f"{key}[{i}]") for i, m in enumerate(value)]


def _strip_prefix(pairs: list, prefix: list) -> list:
    n = len(prefix)
    return pairs[n:] if n and [m for m, _ in pairs[:n]] == [m for m, _ in prefix] else pairs


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    for key in ("chosen", "rejected"):
        if key not in record:
            raise RecordError(key, f"missing required field '{key}'")
    prompt = _messages(record["prompt"], "prompt") if "prompt" in record else []
    chosen = _strip_prefix(_messages(record["chosen"], "chosen"), prompt)
    rejected = _strip_prefix(_messages(record["rejected"], "rejected"), prompt)
    shared = 0
    while shared < min(len(chosen), len(rejected)) - 1 and chosen[shared][0] == rejected[shared][0]:
        shared += 1
    prompt, chosen, rejected = prompt + chosen[:shared], chosen[shared:], rejected[shared:]
    if len(rejected) != 1 or rejected[0][0]["role"] != "assistant":
        raise RecordError("rejected", f"after the turns it shares with chosen, rejected must be one assistant "
                                      f"message; got {len(rejected)} message(s)")
    if not chosen or chosen[-1][0]["role"] != "assistant":
        raise RecordError("chosen", "chosen must end with an assistant message")
    parsed = Parsed([m for m, _ in prompt + chosen], rejected=rejected[0][0], own_id=own_id, id_field=id_field)
    parsed.message_extra = {str(i): extra for i, (_, extra) in enumerate(prompt + chosen) if extra}
    if rejected[0][1]:
        parsed.message_extra["rejected"] = rejected[0][1]
    parsed.extra = unmapped(record, {"prompt", "chosen", "rejected"}, id_field)
    if "messages" in parsed.extra and _same_conversation(parsed.extra["messages"], parsed.messages):
        del parsed.extra["messages"]
    return [parsed]


def _same_conversation(value: Any, messages: list[dict]) -> bool:
    try:
        return [m for m, _ in _messages(value, "messages")] == messages
    except RecordError:
        return False
