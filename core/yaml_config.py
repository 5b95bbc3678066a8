"""YAML config files validated by a pydantic model, with errors that name the key and its line.

Shared by every YAML the user writes (synthesis configs, recipes): `yaml.safe_load` only, unknown
keys rejected by the model (`extra="forbid"`), and each problem reported as
`file, line N: path.to.key: message`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.errors import SieveConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)
KeyPath = tuple[Any, ...]


def key_lines(text: str) -> dict[KeyPath, int]:
    """1-based line of every mapping key and sequence item, by its path from the root."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[KeyPath, int] = {}

    def walk(node: yaml.Node, path: KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = path + (key_node.value,)
                lines[child] = key_node.start_mark.line + 1
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = path + (index,)
                lines[child] = item.start_mark.line + 1
                walk(item, child)

    if root is not None:
        lines[()] = root.start_mark.line + 1
        walk(root, ())
    return lines


def line_of(lines: dict[KeyPath, int], loc: KeyPath) -> int | None:
    """The line of `loc`, or of its nearest ancestor present in the file (missing keys)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def describe_errors(exc: ValidationError, lines: dict[KeyPath, int], source: str) -> str:
    """One line per problem: 'source, line N: key.path: message'."""
    problems = []
    known = {path[-1] for path in lines if path}  # pydantic puts union/tag names into loc; keep the keys a person wrote
    for error in exc.errors():
        raw = error["loc"]
        loc = tuple(part for i, part in enumerate(raw) if isinstance(part, int) or part in known
                    or (error["type"] == "missing" and i == len(raw) - 1))  # the key that is absent
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = line_of(lines, loc)
        prefix = f"{source}, line {line}" if line else source
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1] if loc else where}'"
        elif error["type"] == "missing":
            message = "required key is missing"
        else:
            message = error["msg"]
        problems.append(f"{prefix}: {where}: {message}")
    return "\n".join(problems)


def parse_yaml(text: str, source: str = "<config>") -> tuple[Any, dict[KeyPath, int]]:
    """(data, key lines) for YAML text; syntax errors become SieveConfigError with the line."""
    try:
        data = yaml.safe_load(text)
        lines = key_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}, line {mark.line + 1}" if mark else source
        raise SieveConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return data, lines


def validate_yaml(model: type[ModelT], text: str, source: str = "<config>") -> ModelT:
    """Parse YAML text and validate it as `model`, raising SieveConfigError naming key and line."""
    data, lines = parse_yaml(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SieveConfigError(f"{source}: expected a mapping of keys at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SieveConfigError(describe_errors(exc, lines, source)) from None


def read_config_text(path: str | Path, what: str = "file") -> str:
    """A config file's text, or a SieveConfigError naming the file (missing, not UTF-8)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SieveConfigError(f"{path}: {what} not found") from None
    except UnicodeDecodeError as exc:
        raise SieveConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def load_yaml_file(model: type[ModelT], path: str | Path) -> ModelT:
    """Read and validate a YAML config file."""
    return validate_yaml(model, read_config_text(path), str(path))
