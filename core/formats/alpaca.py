"""Alpaca: instruction / input / output, optional system and history ([[user, assistant], …]);
preference variant (LLaMA-Factory) has chosen / rejected instead of output.

The input follows the instruction after a blank line in the user turn; written back, the whole
user turn goes to `instruction` (the conversation is the same, the split point is not kept).
"""

from __future__ import annotations

from core.formats.base import (Parsed, RecordError, join_prompt, optional_str, require_str, take_id,
                               type_name, unmapped)
from core.schema import message

NAME = "alpaca"
MESSAGES_FIELD = "output"
USED = frozenset({"instruction", "input", "output", "system", "history", "chosen", "rejected"})


def detect(record: dict) -> tuple[float, list[str]]:
    if "instruction" not in record:
        return 0.0, []
    if "output" in record:
        keys = [k for k in ("instruction", "input", "output", "history", "system") if k in record]
        return (0.9 if "response" in record or "context" in record else 1.0), keys
    if "chosen" in record and "rejected" in record:
        return 0.95, ["instruction", "chosen", "rejected"]
    return 0.3, ["instruction"]


def _history(record: dict) -> list[dict]:
    history = record.get("history")
    if history is None:
        return []
    if not isinstance(history, list):
        raise RecordError("history", f"expected a list of [user, assistant] pairs, got {type_name(history)}")
    messages = []
    for i, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
            raise RecordError(f"history[{i}]", f"expected a [user, assistant] pair of strings, got {type_name(pair)}")
        messages += [message("user", pair[0]), message("assistant", pair[1])]
    return messages


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    instruction = require_str(record, "instruction")
    prompt = join_prompt(instruction, optional_str(record, "input"))
    system = optional_str(record, "system")
    messages = ([message("system", system)] if system else []) + _history(record) + [message("user", prompt)]
    parsed = Parsed(messages, own_id=own_id, id_field=id_field)
    if "output" in record or not ("chosen" in record and "rejected" in record):
        messages.append(message("assistant", require_str(record, "output")))
    else:
        messages.append(message("assistant", require_str(record, "chosen")))
        parsed.rejected = message("assistant", require_str(record, "rejected"))
    parsed.extra = unmapped(record, USED, id_field)
    return [parsed]


def from_conversation(conv: dict) -> tuple[dict, list[str]]:
    """A canonical record as an Alpaca row; whatever Alpaca cannot hold is listed in the losses."""
    meta = conv.get("meta") or {}
    losses: list[str] = []
    messages = list(conv["messages"])
    system_parts = []
    while messages and messages[0]["role"] == "system":
        system_parts.append(messages.pop(0)["content"])
    if len(system_parts) > 1:
        losses.append("several leading system messages were joined into one system prompt")
    turns = []
    for m in messages:
        if m["role"] == "tool" or m.get("tool_calls"):
            losses.append("tool calls and tool results cannot be held by Alpaca and were dropped")
            if m["role"] == "tool" or not m["content"]:
                continue
        if m["role"] == "system":
            losses.append("a system message after the first turn was merged into the system prompt")
            system_parts.append(m["content"])
            continue
        if m.get("name"):
            losses.append("message names cannot be held by Alpaca and were dropped")
        if turns and turns[-1][0] == m["role"]:
            losses.append(f"consecutive {m['role']} turns were joined with a blank line")
            turns[-1] = (m["role"], f"{turns[-1][1]}\n\n{m['content']}")
        else:
            turns.append((m["role"], m["content"]))
    if turns and turns[0][0] == "assistant":
        losses.append("an assistant turn before the first user turn was dropped")
        turns.pop(0)
    if meta.get("message_extra"):
        losses.append("per-message fields (e.g. tool_call_id, weight) cannot be held by Alpaca")
    while turns and turns[-1][0] != "assistant":
        losses.append("turns after the last assistant answer were dropped")
        turns.pop()
    if len(turns) % 2:  # an answer with no question (only possible after the drops above)
        turns.insert(0, ("user", ""))
    pairs = [(turns[i][1], turns[i + 1][1]) for i in range(0, len(turns) - 1, 2)]
    *history, (instruction, output) = pairs
    row: dict = {"id": conv["id"]} if meta.get("id_field") else {}
    row.update(instruction=instruction, input="")
    if conv.get("rejected"):
        row.update(chosen=output, rejected=conv["rejected"]["content"])
    else:
        row["output"] = output
    if any(system_parts):
        row["system"] = "\n\n".join(system_parts)
    elif system_parts:
        losses.append("an empty system message was dropped (Alpaca reads an empty system as none)")
    if history:
        row["history"] = [list(p) for p in history]
    for key, value in (meta.get("extra") or {}).items():
        if key in row:
            losses.append(f"extra field '{key}' collides with an Alpaca field and was not written")
        else:
            row[key] = value
    return row, losses
