"""Tool (function) definitions move between ShareGPT's JSON-string `tools` and OpenAI's list."""

from __future__ import annotations

from typing import Any

import orjson


def tools_to_openai(tools: Any) -> Any:
    """ShareGPT/LLaMA-Factory `tools` (a JSON string of function specs) -> OpenAI `tools` list."""
    if isinstance(tools, str):
        try:
            tools = orjson.loads(tools)
        except orjson.JSONDecodeError:
            return tools  # not JSON: keep verbatim rather than guess
    if isinstance(tools, list):
        return [t if isinstance(t, dict) and "type" in t else {"type": "function", "function": t}
                for t in tools]
    return tools


def tools_to_sharegpt(tools: Any) -> Any:
    """OpenAI `tools` list -> a JSON string of plain function specs (LLaMA-Factory's shape)."""
    if isinstance(tools, list):
        specs = [t["function"] if isinstance(t, dict) and t.get("type") == "function" and "function" in t
                 else t for t in tools]
        return dumps_like_python(specs)
    return tools


def dumps_like_python(value: Any) -> str:
    """json.dumps default spacing (', ', ': ') and non-ASCII kept: how these files are usually written."""
    import json
    return json.dumps(value, ensure_ascii=False)


def call_from_sharegpt(value: Any) -> dict:
    """One {"name", "arguments"} object -> an OpenAI tool call (arguments as a JSON string)."""
    args = value.get("arguments", {})
    call = {"id": value["id"]} if "id" in value else {}
    call.update(type="function", function={"name": value.get("name"),
                                           "arguments": args if isinstance(args, str) else dumps_like_python(args)})
    return call


def call_to_sharegpt(call: dict) -> dict:
    """An OpenAI tool call -> {"name", "arguments"} with arguments parsed back when they are JSON."""
    function = call.get("function") or {}
    text = function.get("arguments", "{}")
    args = text
    if isinstance(text, str):
        try:
            parsed = orjson.loads(text)
            # keep the original string when re-serializing would not give it back byte for byte
            args = parsed if dumps_like_python(parsed) == text else text
        except orjson.JSONDecodeError:
            pass
    out = {"name": function.get("name"), "arguments": args}
    if "id" in call:
        out["id"] = call["id"]
    return out
