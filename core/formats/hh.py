"""Anthropic HH-RLHF: `chosen` and `rejected` transcripts ("\n\nHuman: …\n\nAssistant: …") that share
every turn but the last answer. The shared turns become the messages, the chosen answer the last
assistant message, the rejected answer `record["rejected"]`."""

from __future__ import annotations

import re

from core.formats.base import Parsed, RecordError, require_str, take_id, unmapped
from core.schema import message

NAME = "hh"
MESSAGES_FIELD = "chosen"
_MARKER = re.compile(r"\n\n(Human|Assistant): ?")
_ROLES = {"Human": "user", "Assistant": "assistant"}


def detect(record: dict) -> tuple[float, list[str]]:
    chosen, rejected = record.get("chosen"), record.get("rejected")
    if not (isinstance(chosen, str) and isinstance(rejected, str)):
        return 0.0, []
    if "Human:" in chosen and "Assistant:" in chosen:
        return 1.0, ["chosen", "rejected", "Human:/Assistant: markers"]
    return 0.3, ["chosen", "rejected"]


def split_transcript(text: str, field: str) -> list[tuple[str, str]]:
    """[(speaker, text)] from an HH transcript."""
    if not text.startswith(("\n\nHuman:", "\n\nAssistant:")):
        text = "\n\n" + text  # some copies drop the leading blank line
    parts = _MARKER.split(text)
    if parts[0].strip() or len(parts) < 3:
        raise RecordError(field, "not an HH transcript: expected '\\n\\nHuman: … \\n\\nAssistant: …'")
    return list(zip(parts[1::2], parts[2::2]))


def _join(turns: list[tuple[str, str]]) -> str:
    """Answer turns after the shared prefix, as one message (markers kept so nothing is lost)."""
    first, *rest = turns
    return first[1] + "".join(f"\n\n{speaker}: {text}" for speaker, text in rest)


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    chosen = split_transcript(require_str(record, "chosen"), "chosen")
    rejected = split_transcript(require_str(record, "rejected"), "rejected")
    shared = 0
    while shared < min(len(chosen), len(rejected)) and chosen[shared] == rejected[shared]:
        shared += 1
    # back off until both answers are non-empty and start with the assistant after a human turn
    while shared > 0 and (shared >= len(chosen) or shared >= len(rejected)
                          or chosen[shared - 1][0] != "Human"
                          or chosen[shared][0] != "Assistant" or rejected[shared][0] != "Assistant"):
        shared -= 1
    if shared == 0 or chosen[shared][0] != "Assistant" or rejected[shared][0] != "Assistant":
        raise RecordError("chosen", "chosen and rejected do not share a prompt ending in a Human turn")
    parsed = Parsed([], own_id=own_id, id_field=id_field)
    parsed.messages = [message(_ROLES[s], t) for s, t in chosen[:shared]]
    if len(chosen) - shared > 1 or len(rejected) - shared > 1:
        parsed.warnings.append("an answer contains a 'Human:'/'Assistant:' marker; kept as one message")
    parsed.messages.append(message("assistant", _join(chosen[shared:])))
    parsed.rejected = message("assistant", _join(rejected[shared:]))
    parsed.extra = unmapped(record, {"chosen", "rejected"}, id_field)
    return [parsed]
