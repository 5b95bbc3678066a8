"""Sieve's own schema (id, messages, rejected, meta) as Parquet or JSON Lines: reads back exactly
what was written, meta included (so source_format/source_file still name the original input)."""

from __future__ import annotations

from typing import Any

import orjson

from core.formats.base import Parsed, RecordError, type_name
from core.schema import ROLES

NAME = "canonical"
MESSAGES_FIELD = "messages"


def detect(record: dict) -> tuple[float, list[str]]:
    meta = record.get("meta")
    if not ("id" in record and "messages" in record and meta is not None):
        return 0.0, []
    if isinstance(meta, str) and '"source_format"' in meta or isinstance(meta, dict) and "source_format" in meta:
        return 1.0, ["id", "messages", "meta.source_format"]
    return 0.5, ["id", "messages", "meta"]


def _message(m: Any, path: str) -> dict:
    if not isinstance(m, dict):
        raise RecordError(path, f"expected a message object, got {type_name(m)}")
    if m.get("role") not in ROLES:
        raise RecordError(f"{path}.role", f"role must be one of {', '.join(ROLES)}, got {m.get('role')!r}")
    content = m.get("content")
    if not isinstance(content, str):
        raise RecordError(f"{path}.content", f"expected a string, got {type_name(content)}")
    calls = m.get("tool_calls")
    if isinstance(calls, str):
        try:
            calls = orjson.loads(calls)
        except orjson.JSONDecodeError:
            raise RecordError(f"{path}.tool_calls", "not valid JSON") from None
    return {"role": m["role"], "content": content, "name": m.get("name"), "tool_calls": calls or None}


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    messages = record.get("messages")
    if not isinstance(messages, list):
        raise RecordError("messages", f"expected a list of messages, got {type_name(messages)}")
    meta = record.get("meta")
    if isinstance(meta, str):
        try:
            meta = orjson.loads(meta)
        except orjson.JSONDecodeError:
            raise RecordError("meta", "not valid JSON") from None
    if not isinstance(meta, dict):
        raise RecordError("meta", f"expected an object, got {type_name(meta)}")
    rejected = record.get("rejected")
    parsed = Parsed([_message(m, f"messages[{i}]") for i, m in enumerate(messages)],
                    rejected=_message(rejected, "rejected") if rejected else None,
                    own_id=str(record["id"]), id_field="id", meta=meta)
    parsed.extra = {k: v for k, v in record.items() if k not in ("id", "messages", "rejected", "meta")}
    return [parsed]
