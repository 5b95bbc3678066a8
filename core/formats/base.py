"""What every format module shares: the record error, typed field access, ids, and message extras.

A format module exposes:
    NAME: str; MESSAGES_FIELD: str (named in "no assistant turn" errors)
    detect(record: dict) -> tuple[float, list[str]]   score in [0, 1] for one record + matched keys
    to_conversations(record: dict, options: dict) -> list[Parsed]   raise RecordError on bad input
and, if it can be written, from_conversation(record: dict) -> tuple[dict, list[str]] (row, losses).

Canonical `meta` keys written by the loader and the formats:
    source_format, source_file, source_record, source_line, extra (unmapped fields, verbatim),
    warnings, id_field (the input key the id came from), message_extra ({"<index>" | "rejected":
    {field: value}} for per-message fields the canonical message has no slot for, e.g. tool_call_id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ID_KEYS = ("id", "uuid", "conversation_id", "conv_id", "message_id", "sample_id", "_id", "idx")


class RecordError(Exception):
    """A record that cannot be mapped; `field` is a path like `conversations[3].from`."""

    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass
class Parsed:
    """One conversation a format read from one input record (before the loader adds ids and meta)."""

    messages: list[dict]
    rejected: dict | None = None
    own_id: str | None = None
    id_field: str | None = None
    extra: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    message_extra: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # format-specific meta (e.g. OASST tree id)


def type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            int: "number", float: "number"}.get(type(value), type(value).__name__)


def require(record: dict, key: str, path: str | None = None) -> Any:
    if key not in record:
        raise RecordError(path or key, f"missing required field '{key}'")
    return record[key]


def require_str(record: dict, key: str, path: str | None = None, *, allow_none: bool = False) -> str:
    value = require(record, key, path)
    if value is None and allow_none:
        return ""
    if not isinstance(value, str):
        raise RecordError(path or key, f"expected a string, got {type_name(value)}")
    return value


def optional_str(record: dict, key: str, path: str | None = None) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(path or key, f"expected a string, got {type_name(value)}")
    return value


def require_list(record: dict, key: str, path: str | None = None) -> list:
    value = require(record, key, path)
    if not isinstance(value, list):
        raise RecordError(path or key, f"expected a list, got {type_name(value)}")
    return value


def take_id(record: dict) -> tuple[str | None, str | None]:
    """(id, key) from the record's own id field, if it has one with a usable value."""
    for key in ID_KEYS:
        value = record.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != "":
            return str(value), key
    return None, None


def unmapped(record: dict, used: set[str] | frozenset[str], id_field: str | None) -> dict:
    """Every input field the format did not map, verbatim."""
    return {k: v for k, v in record.items() if k not in used and k != id_field}


def join_prompt(instruction: str, context: str) -> str:
    """Alpaca input / Dolly context follow the instruction after a blank line."""
    return f"{instruction}\n\n{context}" if context else instruction


def has_keys(record: dict, *keys: str) -> bool:
    return all(k in record for k in keys)


def json_text_list(value: Any) -> Any:
    """A list stored as JSON text (common in Parquet/CSV exports) as the list; anything else as is."""
    if isinstance(value, str) and value.lstrip()[:1] == "[":
        import orjson
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value
