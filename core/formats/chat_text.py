"""Conversations already rendered into one `text` field: ChatML (`<|im_start|>user … <|im_end|>`),
Guanaco (`### Human: … ### Assistant: …`) and Vicuna (`USER: … ASSISTANT: …`). The markers are
split off; each turn's text is kept exactly, except the whitespace that belongs to a marker (one
space after its colon; for Vicuna also the space before it). The style goes in meta.text_style.
"""

from __future__ import annotations

import re

from core.formats.base import Parsed, RecordError, require_str, take_id, unmapped
from core.schema import message

NAME = "chat_text"
MESSAGES_FIELD = "text"
_CHATML = re.compile(r"<\|im_start\|>(system|user|assistant|tool)\n(.*?)<\|im_end\|>\n?", re.S)
_MARKERS = {  # style -> (regex splitting on the speaker markers, speaker -> role)
    "guanaco": (re.compile(r"### (Human|Assistant|System): ?"),
                {"Human": "user", "Assistant": "assistant", "System": "system"}),
    "vicuna": (re.compile(r"(?:^|\s)(USER|ASSISTANT|SYSTEM): ?"),
               {"USER": "user", "ASSISTANT": "assistant", "SYSTEM": "system"}),
}


def _style(text: str) -> str | None:
    if "<|im_start|>" in text and "<|im_end|>" in text:
        return "chatml"
    if "### Human:" in text and "### Assistant:" in text:
        return "guanaco"
    if "USER:" in text and "ASSISTANT:" in text:
        return "vicuna"
    return None


def detect(record: dict) -> tuple[float, list[str]]:
    text = record.get("text")
    style = _style(text) if isinstance(text, str) else None
    return (1.0, [f"text with {style} markers"]) if style else (0.0, [])


def _split(text: str, style: str) -> list[dict]:
    if style == "chatml":
        turns = [(role, body) for role, body in _CHATML.findall(text)]
        leftover = _CHATML.sub("", text).strip()
        if leftover:
            raise RecordError("text", f"text outside <|im_start|> … <|im_end|> blocks: {leftover[:60]!r}")
    else:
        pattern, roles = _MARKERS[style]
        parts = pattern.split(text)
        if parts[0].strip():
            raise RecordError("text", f"text before the first speaker marker: {parts[0].strip()[:60]!r}")
        turns = [(roles[speaker], body) for speaker, body in zip(parts[1::2], parts[2::2])]
    return [message(role, body) for role, body in turns]


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    own_id, id_field = take_id(record)
    text = require_str(record, "text")
    style = _style(text)
    if style is None:
        raise RecordError("text", "no chat markers (ChatML, '### Human:'/'### Assistant:', 'USER:'/'ASSISTANT:')")
    parsed = Parsed(_split(text, style), own_id=own_id, id_field=id_field)
    parsed.extra = unmapped(record, {"text"}, id_field)
    parsed.meta = {"text_style": style}
    return [parsed]
