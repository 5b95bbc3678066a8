"""OpenAI chat fine-tuning JSONL: `messages` of role/content/name/tool_calls; also OpenAI's DPO shape
(`input.messages`, `preferred_output`, `non_preferred_output`) for preference pairs."""

from __future__ import annotations

from typing import Any

from core.formats.base import Parsed, RecordError, json_text_list, take_id, type_name, unmapped
from core.formats.tools import tools_to_openai

NAME = "openai"
MESSAGES_FIELD = "messages"
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
         "tool": "tool", "function": "tool"}
MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls"})
DPO_KEYS = frozenset({"input", "preferred_output", "non_preferred_output"})


def detect(record: dict) -> tuple[float, list[str]]:
    messages = json_text_list(record.get("messages"))
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        if "role" in messages[0]:
            # Sieve's own layout, or preference lists next to the messages (UltraFeedback): not plain OpenAI
            other_layout = "rejected" in record and ("meta" in record or "chosen" in record)
            return (0.5 if other_layout else 1.0), ["messages[].role/content"]
        if "from" in messages[0]:
            return 0.3, ["messages[].from/value"]
    inner = record.get("input")
    if isinstance(inner, dict) and "messages" in inner and "preferred_output" in record:
        return 1.0, ["input.messages", "preferred_output", "non_preferred_output"]
    return 0.0, []


_PLAIN_ROLES = frozenset({"system", "user", "assistant", "tool"})
_NO_EXTRA: dict = {}


def parse_message(m: Any, path: str) -> tuple[dict, dict]:
    """(canonical message, extra fields of this message) from one OpenAI-style message."""
    # fast path for the common {"role", "content"} message (most rows of a large file)
    if type(m) is dict and len(m) == 2 and type(m.get("content")) is str and m.get("role") in _PLAIN_ROLES:
        return {"role": m["role"], "content": m["content"], "name": None, "tool_calls": None}, _NO_EXTRA
    if not isinstance(m, dict):
        raise RecordError(path, f"expected a message object, got {type_name(m)}")
    if "role" not in m:
        raise RecordError(f"{path}.role", "missing required field 'role'")
    role = m["role"]
    if not isinstance(role, str):
        raise RecordError(f"{path}.role", f"expected a string, got {type_name(role)}")
    canonical_role = ROLES.get(role.lower())
    if canonical_role is None:
        raise RecordError(f"{path}.role", f"unknown role '{role}'; expected system, user, assistant or tool")
    extra = {k: v for k, v in m.items() if k not in MESSAGE_KEYS}
    if role != canonical_role:
        extra["source_role"] = role
    content = m.get("content")
    if isinstance(content, list):  # content parts: keep them verbatim, expose the text
        extra["content_parts"] = content
        content = "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    elif content is None:
        content = ""
    elif not isinstance(content, str):
        raise RecordError(f"{path}.content", f"expected a string, got {type_name(content)}")
    name = m.get("name")
    if name is not None and not isinstance(name, str):
        raise RecordError(f"{path}.name", f"expected a string, got {type_name(name)}")
    calls = m.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise RecordError(f"{path}.tool_calls", f"expected a list, got {type_name(calls)}")
    return {"role": canonical_role, "content": content, "name": name, "tool_calls": calls or None}, extra


def parse_messages(messages: Any, path: str, parsed: Parsed, offset: int = 0) -> list[dict]:
    messages = json_text_list(messages)
    if not isinstance(messages, list):
        raise RecordError(path, f"expected a list of messages, got {type_name(messages)}")
    out = []
    for i, m in enumerate(messages):
        msg, extra = parse_message(m, f"{path}[{i}]")
        if extra:
            parsed.message_extra[str(offset + i)] = extra
        out.append(msg)
    return out


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    parsed = Parsed([], own_id=own_id, id_field=id_field)
    if "messages" not in record and isinstance(record.get("input"), dict):
        return [_from_dpo(record, parsed)]
    if "messages" not in record:
        raise RecordError("messages", "missing required field 'messages'")
    parsed.messages = parse_messages(record["messages"], "messages", parsed)
    parsed.extra = unmapped(record, {"messages"}, id_field)
    return [parsed]


def _from_dpo(record: dict, parsed: Parsed) -> Parsed:
    inner = record["input"]
    parsed.messages = parse_messages(inner.get("messages"), "input.messages", parsed)
    for key in ("preferred_output", "non_preferred_output"):
        value = record.get(key)
        if not isinstance(value, list) or len(value) != 1:
            raise RecordError(key, f"expected a list holding one assistant message, got {type_name(value)}"
                              + (f" of {len(value)}" if isinstance(value, list) else ""))
    chosen, chosen_extra = parse_message(record["preferred_output"][0], "preferred_output[0]")
    rejected, rejected_extra = parse_message(record["non_preferred_output"][0], "non_preferred_output[0]")
    if chosen_extra:
        parsed.message_extra[str(len(parsed.messages))] = chosen_extra
    if rejected_extra:
        parsed.message_extra["rejected"] = rejected_extra
    parsed.messages.append(chosen)
    parsed.rejected = rejected
    parsed.extra = unmapped(record, DPO_KEYS, parsed.id_field)
    parsed.extra.update({k: v for k, v in inner.items() if k != "messages"})
    return parsed


def to_openai_message(m: dict, extra: dict | None, losses: list[str]) -> dict:
    """A canonical message (+ its extra fields) as an OpenAI message."""
    extra = dict(extra or {})
    role = extra.pop("source_role", None)
    if role is not None and ROLES.get(role.lower()) != m["role"]:
        losses.append(f"source role names OpenAI has no name for (e.g. '{role}') were written as '{m['role']}'")
        role = None
    out: dict = {"role": role or m["role"],
                 "content": extra.pop("content_parts", None) or m["content"]}
    if m.get("name") is not None:
        out["name"] = m["name"]
    if m.get("tool_calls"):
        out["tool_calls"] = m["tool_calls"]
    out.update({k: v for k, v in extra.items() if k not in out})
    return out


def from_conversation(conv: dict) -> tuple[dict, list[str]]:
    meta = conv.get("meta") or {}
    message_extra = meta.get("message_extra") or {}
    losses: list[str] = []
    messages = [to_openai_message(m, message_extra.get(str(i)), losses) for i, m in enumerate(conv["messages"])]
    row: dict = {"id": conv["id"]} if meta.get("id_field") else {}
    extra = dict(meta.get("extra") or {})
    if conv.get("rejected"):
        inner: dict = {"messages": messages[:-1]}
        if "tools" in extra:
            inner["tools"] = tools_to_openai(extra.pop("tools"))
        row.update(input=inner, preferred_output=messages[-1:],
                   non_preferred_output=[to_openai_message(conv["rejected"], message_extra.get("rejected"), losses)])
    else:
        row["messages"] = messages
        if "tools" in extra:
            row["tools"] = tools_to_openai(extra.pop("tools"))
    for key, value in extra.items():
        if key in row:
            losses.append(f"extra field '{key}' collides with an OpenAI field and was not written")
        else:
            row[key] = value
    return row, losses
