"""Compare conversations before and after a write + re-read (shared by unit and corpus tests)."""

from __future__ import annotations

import orjson


def _tools(value):
    """Tool definitions in one shape whatever format carried them (JSON string or OpenAI list)."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, list):
        return [t["function"] if isinstance(t, dict) and t.get("type") == "function" else t for t in value]
    return value


def comparable(record: dict, *, with_meta: bool) -> dict:
    """What must survive a round trip: id, messages, rejected, and (where kept) extras."""
    out = {"id": record["id"], "messages": record["messages"], "rejected": record["rejected"]}
    if with_meta:
        meta = record["meta"]
        extra = dict(meta.get("extra") or {})
        if "tools" in extra:
            extra["tools"] = _tools(extra["tools"])
        out["extra"] = extra
        out["message_extra"] = meta.get("message_extra") or {}
    return out


def differing_ids(before: list[dict], after: list[dict], *, with_meta: bool = True) -> list[str]:
    """Ids whose conversation changed (a changed count or order is a failure of its own)."""
    assert len(before) == len(after), f"{len(before)} records written, {len(after)} read back"
    return [a["id"] for a, b in zip(before, after)
            if comparable(a, with_meta=with_meta) != comparable(b, with_meta=with_meta)]
