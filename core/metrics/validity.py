"""Validity of structured output in responses: JSON, fenced code blocks, markdown integrity.

JSON states: "none" (no JSON in the response), "valid", or "broken" — it looks like JSON (a
```json block, or a bare object/array where the prompt asked for JSON) but does not parse.
Code blocks are checked by their fence language: Python with `ast.parse`, JSON and YAML parsed
(YAML only with `yaml.safe_load`); any other language is "unchecked". Each assistant message is
checked on its own (a fence cannot leak into the next turn), and whether JSON was asked for is
read from the user turn just before it, or the system prompt.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from core.schema import flat_messages
from core.steps import ColumnSpec, Metric, register

JSON_STATES = ("none", "valid", "broken")
CODE_STATES = ("none", "valid", "invalid", "unchecked")
_LANGUAGE_ALIASES = {"py": "python", "python3": "python", "py3": "python", "yml": "yaml", "jsonl": "json"}
_CHECKED_LANGUAGES = ("python", "json", "yaml")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^\s`{]*)")
_ASKS_FOR_JSON = re.compile(r"\bjson\b", re.IGNORECASE)
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
# A bracket opening a line, or following a short lead-in that ends a sentence ("Here it is: {"),
# but not a code comment ("# Output: {'a': 1}" is Python printing a dict).
_JSON_LINE_START = re.compile(r"^(?:[ \t]*|(?![ \t]*(?:#|//))[^\n{\[`]{0,60}[:!.?][ \t]+)([{\[])", re.MULTILINE)


@dataclass
class CodeBlock:
    language: str   # normalized fence info ("" when untagged)
    content: str
    closed: bool


def fenced_blocks(text: str) -> tuple[list[CodeBlock], list[str]]:
    """Fenced code blocks (CommonMark ``` / ~~~ fences) and the lines outside them."""
    blocks: list[CodeBlock] = []
    outside: list[str] = []
    fence, language, body = None, "", []
    for line in text.split("\n"):
        if fence is None:
            opened = _FENCE_OPEN.match(line)
            if opened and not (opened.group(1)[0] == "`" and "`" in line[opened.end():]):
                fence, body = opened.group(1), []
                raw = opened.group(2).lower()
                language = _LANGUAGE_ALIASES.get(raw, raw)
            else:
                outside.append(line)
        elif line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
            blocks.append(CodeBlock(language, "\n".join(body), closed=True))
            fence = None
        else:
            body.append(line)
    if fence is not None:
        blocks.append(CodeBlock(language, "\n".join(body), closed=False))
    return blocks, outside


def parses_as_json(text: str) -> bool:
    try:
        orjson.loads(text)
        return True
    except orjson.JSONDecodeError:
        return False


def code_is_valid(language: str, content: str) -> bool | None:
    """True/False for a checked language, None when the language is not checked."""
    if language == "python":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences warn but still parse
                ast.parse(python_source(content))
            return True
        except (SyntaxError, ValueError):
            return False
    if language == "json":
        return parses_as_json(content) or _is_json_lines(content)
    if language == "yaml":
        import yaml

        try:
            yaml.safe_load(content)
            return True
        except yaml.YAMLError:
            return False
    return None


def python_source(content: str) -> str:
    """The code of a Python block: REPL sessions keep only their >>>/... lines, notebook magics are dropped."""
    lines = content.split("\n")
    if any(line.lstrip().startswith(">>>") for line in lines):
        # A console transcript: the rest of the lines are printed output, not code.
        return "\n".join(line.lstrip()[4:] for line in lines if line.lstrip()[:3] in (">>>", "..."))
    return "\n".join("" if line[:1] in ("!", "%") else line for line in lines)


def _is_json_lines(content: str) -> bool:
    lines = [line for line in content.splitlines() if line.strip()]
    return len(lines) > 1 and all(parses_as_json(line) for line in lines)


def _bare_json_candidate(outside_text: str) -> str | None:
    """From the first '{' or '[' that opens a line (or follows "…: ") to the last matching closer.

    A bracket in the middle of a line does not count, so inline code (`d[0]`) or a dict inside a
    line of Python is not taken for an answer in JSON.
    """
    found = _JSON_LINE_START.search(outside_text)
    if found is None:
        return None
    start = found.start(1)
    end = outside_text.rfind("}" if outside_text[start] == "{" else "]")
    if end <= start:
        return outside_text[start:].strip()  # an opener with no closer: looks like JSON, cannot parse
    return outside_text[start:end + 1]


def json_state(prompt_asks_for_json: bool, blocks: list[CodeBlock], outside: list[str]) -> str:
    """'none', 'valid' or 'broken' for one assistant message (see the module docstring)."""
    candidates = [b.content for b in blocks if b.language == "json"]
    if prompt_asks_for_json:
        candidates += [b.content for b in blocks if b.language == "" and b.content.lstrip()[:1] in ("{", "[")]
        if not candidates:
            bare = _bare_json_candidate("\n".join(outside))
            if bare is not None and len(bare) > 1:
                candidates.append(bare)
    if not candidates:
        return "none"
    return "valid" if all(parses_as_json(c) or _is_json_lines(c) for c in candidates) else "broken"


def _cells(line: str) -> int:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    return len(_UNESCAPED_PIPE.split(stripped))


def has_unbalanced_table(lines: list[str]) -> bool:
    """A markdown table whose delimiter or body rows have a different cell count than its header."""
    i = 0
    while i < len(lines) - 1:
        header, delimiter = lines[i], lines[i + 1]
        if "|" in header and "|" in delimiter and "-" in delimiter and _TABLE_DELIMITER.match(delimiter):
            width = _cells(header)
            if _cells(delimiter) != width:
                return True
            i += 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                if _cells(lines[i]) != width:
                    return True
                i += 1
        else:
            i += 1
    return False


@register
class Validity(Metric):
    name: ClassVar[str] = "validity"
    title: ClassVar[str] = "JSON, code & markdown validity"
    description: ClassVar[str] = ("Whether JSON and fenced code in each response parse, and whether its "
                                  "markdown is intact (closed code fences, balanced tables).")

    json_prompt_pattern: str = Field(r"\bjson\b", description=(
        "Regex (case-insensitive) that marks a prompt as asking for JSON; then a bare object/array "
        "in the response counts as JSON too"))

    def columns(self) -> list[ColumnSpec]:
        return [
            ColumnSpec(name="json_state", label="JSON in response", dtype="category", group="validity",
                       description="JSON in the response: none, valid, or broken (looks like JSON, does not parse)"),
            ColumnSpec(name="code_block_count", label="Code blocks", dtype="int", unit="blocks", bins=20, group="validity",
                       description="Fenced code blocks in the response"),
            ColumnSpec(name="code_languages", label="Code block languages", dtype="str", group="validity", filterable=False,
                       description="Fence languages in the response, comma-separated ('' for untagged blocks)"),
            ColumnSpec(name="code_invalid_count", label="Code blocks that do not parse", dtype="int", unit="blocks", bins=10, better="lower",
                       group="validity", description="Python, JSON or YAML code blocks that do not parse"),
            ColumnSpec(name="code_state", label="Code block state", dtype="category", group="validity",
                       description="Code blocks: none, valid (all checked blocks parse), invalid (one fails), "
                                   "unchecked (only languages Sieve does not check)"),
            ColumnSpec(name="has_unclosed_code_fence", label="Unclosed code fence", dtype="bool", better="lower", group="validity",
                       description="The response opens a code fence it never closes"),
            ColumnSpec(name="has_unbalanced_table", label="Unbalanced markdown table", dtype="bool", better="lower", group="validity",
                       description="A markdown table row has a different number of cells than its header"),
        ]

    def compute(self, table: pa.Table) -> dict:
        """Each assistant message is checked on its own; its JSON request is the user turn before it."""
        n = table.num_rows
        parents, flat = flat_messages(table)
        roles = flat.field("role").to_numpy(zero_copy_only=False)
        contents = pc.fill_null(flat.field("content"), "").to_pylist()
        asks = re.compile(self.json_prompt_pattern, re.IGNORECASE)
        json_states, code_states, languages = ["none"] * n, ["none"] * n, [""] * n
        block_counts, invalid_counts = np.zeros(n, np.int64), np.zeros(n, np.int64)
        unclosed, unbalanced = np.zeros(n, bool), np.zeros(n, bool)
        verdicts: dict[int, list] = {}
        fence_languages: dict[int, set] = {}
        current, system_asks, user_asks = -1, False, False
        for row, role, text in zip(parents, roles, contents):
            if row != current:
                current, system_asks, user_asks = row, False, False
            if role == "system":
                system_asks = system_asks or bool(asks.search(text))
            elif role == "user":
                user_asks = bool(asks.search(text))
            if role != "assistant":
                continue
            wants_json = system_asks or user_asks
            if not wants_json and "```" not in text and "~~~" not in text and "|" not in text:
                continue  # the common case: plain prose, nothing to check
            blocks, outside = fenced_blocks(text)
            state = json_state(wants_json, blocks, outside)
            if state == "broken" or (state == "valid" and json_states[row] == "none"):
                json_states[row] = state
            if blocks:
                verdicts.setdefault(row, []).extend(code_is_valid(b.language, b.content) for b in blocks)
                fence_languages.setdefault(row, set()).update(b.language for b in blocks)
                unclosed[row] |= not blocks[-1].closed
            unbalanced[row] |= "|" in text and has_unbalanced_table(outside)
        for row, row_verdicts in verdicts.items():
            block_counts[row] = len(row_verdicts)
            invalid_counts[row] = sum(v is False for v in row_verdicts)
            languages[row] = ",".join(sorted(fence_languages[row]))
            checked = [v for v in row_verdicts if v is not None]
            code_states[row] = "unchecked" if not checked else "invalid" if not all(checked) else "valid"
        return {"json_state": json_states, "code_block_count": block_counts, "code_languages": languages,
                "code_invalid_count": invalid_counts, "code_state": code_states,
                "has_unclosed_code_fence": unclosed, "has_unbalanced_table": unbalanced}
