"""ShareGPT: `conversations` of {from, value} turns (human/gpt/system/function_call/observation),
optional top-level `system` and `tools`. Turns written as {role, content} are read too."""

from __future__ import annotations

from typing import Any

import orjson

from core.formats.base import Parsed, RecordError, json_text_list, optional_str, take_id, type_name, unmapped
from core.formats.tools import call_from_sharegpt, call_to_sharegpt, dumps_like_python, tools_to_sharegpt
from core.schema import message

NAME = "sharegpt"
MESSAGES_FIELD = "conversations"
ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
         "system": "system", "function_call": "assistant", "observation": "tool", "tool": "tool",
         "function_response": "tool"}
# Roles seen in scraped ShareGPT dumps: they are the model speaking, so they map to assistant.
ASSISTANT_ALIASES = {"bing", "chatgpt", "bard", "model", "ai", "bot", "claude", "gpt-4", "gpt4", "llm"}
TURN_KEYS = frozenset({"from", "value", "role", "content", "name"})
WRITE_ROLES = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}


def _turns_key(record: dict) -> str:
    """`conversations`, or `messages` when its turns use from/value (LLaMA-Factory allows both)."""
    if "conversations" not in record and _from_value(json_text_list(record.get("messages"))):
        return "messages"
    return "conversations"


def _from_value(turns: object) -> bool:
    return isinstance(turns, list) and bool(turns) and isinstance(turns[0], dict) and "from" in turns[0]


def detect(record: dict) -> tuple[float, list[str]]:
    if "conversations" not in record and _from_value(json_text_list(record.get("messages"))):
        return 0.9, ["messages[].from/value"]
    turns = json_text_list(record.get("conversations"))
    if not isinstance(turns, list):
        return 0.0, []
    paired = "chosen" in record and "rejected" in record
    first = turns[0] if turns and isinstance(turns[0], dict) else {}
    if "from" in first:
        return (0.5 if paired else 1.0), ["conversations[].from/value"]
    if "role" in first:
        return (0.4 if paired else 0.8), ["conversations[].role/content"]
    return (0.3 if turns == [] else 0.2), ["conversations"]


def parse_turn(turn: Any, path: str, parsed: Parsed, index: int) -> dict:
    """One ShareGPT turn -> a canonical message (warnings and per-turn extras go on `parsed`)."""
    if not isinstance(turn, dict):
        raise RecordError(path, f"expected a turn object, got {type_name(turn)}")
    role_key, text_key = ("from", "value") if "from" in turn or "value" in turn else ("role", "content")
    if role_key not in turn:
        raise RecordError(f"{path}.from", "missing required field 'from'")
    if text_key not in turn:
        raise RecordError(f"{path}.{text_key}", f"missing required field '{text_key}'")
    source_role, text = turn[role_key], turn[text_key]
    if not isinstance(source_role, str):
        raise RecordError(f"{path}.{role_key}", f"expected a string, got {type_name(source_role)}")
    if not isinstance(text, str):
        raise RecordError(f"{path}.{text_key}", f"expected a string, got {type_name(text)}")
    lowered = source_role.lower()
    role = ROLES.get(lowered)
    extra = {k: v for k, v in turn.items() if k not in TURN_KEYS}
    if role is None and lowered in ASSISTANT_ALIASES:
        role = "assistant"
        parsed.warnings.append(f"role '{source_role}' mapped to assistant")
    if role is None:
        raise RecordError(f"{path}.{role_key}", f"unknown role '{source_role}'; expected human, gpt, "
                          "system, function_call or observation")
    if source_role != WRITE_ROLES[role] and lowered != "function_call":
        extra["source_role"] = source_role
    name = turn.get("name")
    if name is not None and not isinstance(name, str):
        raise RecordError(f"{path}.name", f"expected a string, got {type_name(name)}")
    calls = None
    if lowered == "function_call":
        calls, text = _parse_calls(text, f"{path}.{text_key}"), ""
    if extra:
        parsed.message_extra[str(index)] = extra
    return {"role": role, "content": text, "name": name, "tool_calls": calls}


def _parse_calls(text: str, path: str) -> list[dict]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RecordError(path, f"function_call is not valid JSON ({exc})") from None
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, dict) and "name" in v for v in values):
        raise RecordError(path, "function_call must be a JSON object with 'name' and 'arguments'")
    return [call_from_sharegpt(v) for v in values]


def parse_conversation(record: dict, parsed: Parsed) -> list[dict]:
    key = _turns_key(record)
    turns = json_text_list(record.get(key))
    if turns is None:
        raise RecordError(key, f"missing required field '{key}'")
    if not isinstance(turns, list):
        raise RecordError(key, f"expected a list of turns, got {type_name(turns)}")
    messages = []
    system = optional_str(record, "system")
    if system:
        messages.append(message("system", system))
    for i, turn in enumerate(turns):
        messages.append(parse_turn(turn, f"{key}[{i}]", parsed, len(messages)))
    return messages


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    if "chosen" in record and "rejected" in record:  # a pair inside a ShareGPT file: read it as one
        from core.formats import sharegpt_pairs
        return sharegpt_pairs.to_conversations(record, options)
    own_id, id_field = take_id(record)
    parsed = Parsed([], own_id=own_id, id_field=id_field)
    if record.get("conversations") == []:
        raise RecordError("conversations", "empty conversation (no turns)")
    parsed.messages = parse_conversation(record, parsed)
    parsed.extra = unmapped(record, {_turns_key(record), "system"}, id_field)
    return [parsed]


def to_turns(messages: list[dict], message_extra: dict, losses: list[str], offset: int = 0) -> list[dict]:
    """Canonical messages -> ShareGPT turns (tool calls become function_call turns)."""
    turns = []
    for i, m in enumerate(messages):
        extra = dict(message_extra.get(str(offset + i)) or {})
        source_role = extra.pop("source_role", None)
        role = WRITE_ROLES[m["role"]]
        if source_role and (ROLES.get(source_role.lower()) == m["role"]
                            or (m["role"] == "assistant" and source_role.lower() in ASSISTANT_ALIASES)):
            role = source_role
        elif source_role:  # e.g. OpenAI's "developer": no ShareGPT name, so it rides along as a turn field
            extra["source_role"] = source_role
        if m.get("tool_calls"):
            if m["content"]:
                turns.append({"from": role, "value": m["content"]})
                losses.append("assistant text sent alongside tool calls was written as its own gpt turn")
            calls = [call_to_sharegpt(c) for c in m["tool_calls"]]
            value = dumps_like_python(calls[0] if len(calls) == 1 else calls)
            turn = {"from": "function_call", "value": value}
        else:
            turn = {"from": role, "value": m["content"]}
        if m.get("name") is not None:
            turn["name"] = m["name"]
        turn.update({k: v for k, v in extra.items() if k not in turn})
        turns.append(turn)
    return turns


def from_conversation(conv: dict) -> tuple[dict, list[str]]:
    meta = conv.get("meta") or {}
    losses: list[str] = []
    message_extra = meta.get("message_extra") or {}
    row: dict = {"id": conv["id"]} if meta.get("id_field") else {}
    if conv.get("rejected"):
        from core.formats.sharegpt_pairs import pair_fields
        row.update(pair_fields(conv, message_extra, losses))
    else:
        row["conversations"] = to_turns(conv["messages"], message_extra, losses)
    for key, value in (meta.get("extra") or {}).items():
        if key == "tools":
            value = tools_to_sharegpt(value)
        if key in row:
            losses.append(f"extra field '{key}' collides with a ShareGPT field and was not written")
        else:
            row[key] = value
    return row, losses
