"""ShareGPT preference pairs (LLaMA-Factory DPO): `conversations` (the prompt) plus `chosen` and
`rejected` turns. The chosen turn becomes the last assistant message; the rejected one goes in
`record["rejected"]`."""

from __future__ import annotations

from core.formats.base import Parsed, RecordError, take_id, type_name, unmapped
from core.formats.sharegpt import parse_conversation, parse_turn, to_turns

NAME = "sharegpt_pairs"
MESSAGES_FIELD = "conversations"


def detect(record: dict) -> tuple[float, list[str]]:
    if isinstance(record.get("conversations"), list) and "chosen" in record and "rejected" in record:
        return 1.0, ["conversations", "chosen", "rejected"]
    return 0.0, []


def _alternative(record: dict, key: str, parsed: Parsed, index: int) -> dict:
    value = record.get(key)
    if value is None:
        raise RecordError(key, f"missing required field '{key}'")
    if isinstance(value, str):
        value = {"from": "gpt", "value": value}
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise RecordError(key, f"expected one turn object, got {type_name(value)}")
    message = parse_turn(value, key, parsed, index)
    if message["role"] != "assistant":
        raise RecordError(f"{key}.from", f"the {key} turn must be from the assistant (gpt), got '{message['role']}'")
    return message


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    if "chosen" not in record and "rejected" not in record:  # plain ShareGPT rows may sit among the pairs
        from core.formats import sharegpt
        return sharegpt.to_conversations(record, options)
    own_id, id_field = take_id(record)
    parsed = Parsed([], own_id=own_id, id_field=id_field)
    parsed.messages = parse_conversation(record, parsed)
    if not parsed.messages:
        raise RecordError("conversations", "empty conversation (no prompt turns)")
    chosen = _alternative(record, "chosen", parsed, len(parsed.messages))
    scratch = Parsed([])
    parsed.rejected = _alternative(record, "rejected", scratch, 0)
    if scratch.message_extra.get("0"):
        parsed.message_extra["rejected"] = scratch.message_extra["0"]
    parsed.warnings += scratch.warnings
    parsed.messages.append(chosen)
    parsed.extra = unmapped(record, {"conversations", "system", "chosen", "rejected"}, id_field)
    return [parsed]


def pair_fields(conv: dict, message_extra: dict, losses: list[str]) -> dict:
    """conversations/chosen/rejected for a canonical record that has a rejected alternative."""
    *prompt, chosen = conv["messages"]
    rejected_extra = {"rejected": message_extra.get("rejected")} if message_extra.get("rejected") else {}
    chosen_turns = to_turns([chosen], message_extra, losses, offset=len(prompt))
    rejected_turns = to_turns([conv["rejected"]], {"0": rejected_extra.get("rejected")}, losses)
    if len(chosen_turns) != 1 or len(rejected_turns) != 1:
        losses.append("a chosen/rejected answer with text and tool calls was split into two turns; kept the last")
    return {"conversations": to_turns(prompt, message_extra, losses),
            "chosen": chosen_turns[-1], "rejected": rejected_turns[-1]}
