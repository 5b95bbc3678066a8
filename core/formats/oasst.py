"""OpenAssistant message trees: one tree per record (`message_tree_id` and a `prompt` node whose
`replies` nest), or flat message rows (`message_id`, `parent_id`, `text`, `role`, as in the Hugging
Face oasst1/oasst2 export) grouped into trees by `message_tree_id`. Option `oasst_paths`: "all"
(default) gives one conversation per root-to-leaf path, "best" follows the best-ranked reply (lowest
`rank`) at every step.

Counting: an input record is one tree (or, for flat rows, one message row: a tree's rows are loaded
or rejected together); it is loaded if its tree yields at least one conversation. A path
that ends on an unanswered prompter message is cut back to its last assistant reply; deleted
messages (and their subtrees) are skipped unless `oasst_include_deleted` is true. Per-message
fields (message_id, lang, rank, emojis, …) go in meta.message_extra; tree fields in meta.extra.
"""

from __future__ import annotations

from typing import Iterator

from core.formats.base import Parsed, RecordError, type_name
from core.io import RawRecord
from core.schema import message

NAME = "oasst"
MESSAGES_FIELD = "prompt"
_ROLES = {"prompter": "user", "assistant": "assistant", "user": "user"}
_NODE_KEYS = {"text", "role", "replies"}


def _is_row(record: dict) -> bool:
    """A flat message row (the Hugging Face oasst1/oasst2 export) rather than a whole tree."""
    return "message_id" in record and "text" in record and "role" in record and "prompt" not in record and (
        "parent_id" in record or "message_tree_id" in record)


def detect(record: dict) -> tuple[float, list[str]]:
    prompt = record.get("prompt")
    if isinstance(prompt, dict) and "replies" in prompt and "text" in prompt:
        return (1.0 if "message_tree_id" in record else 0.9), ["message_tree_id", "prompt.replies"]
    if _is_row(record):
        return 1.0, ["message rows: message_id, parent_id, text, role"]
    return 0.0, []


def group_records(records: Iterator[RawRecord]) -> Iterator[RawRecord]:
    """Flat message rows -> one tree record per run of rows sharing a message_tree_id (trees pass through).

    The tree record lists its rows as `members`, so counts and rejections stay per input row. A row
    whose parent is not in its tree, or whose tree was already closed, is rejected with the reason.
    """
    run: list[RawRecord] = []
    closed: set = set()
    for raw in records:
        if raw.error or not isinstance(raw.value, dict) or not _is_row(raw.value):
            yield from _build_trees(run, closed)
            run = []
            yield raw
            continue
        if run and raw.value.get("message_tree_id") != run[0].value.get("message_tree_id"):
            yield from _build_trees(run, closed)
            run = []
        run.append(raw)
    yield from _build_trees(run, closed)


def _build_trees(rows: list[RawRecord], closed: set) -> Iterator[RawRecord]:
    if not rows:
        return
    tree_id = rows[0].value.get("message_tree_id")
    if tree_id is not None and tree_id in closed:
        for raw in rows:
            yield _row_error(raw, "message_tree_id", f"tree {tree_id} appeared earlier in the file: OASST message "
                             "rows must be grouped by message_tree_id")
        return
    closed.add(tree_id)
    nodes: dict = {}
    unique = []
    for raw in rows:
        if raw.value["message_id"] in nodes:
            yield _row_error(raw, "message_id", f"message {raw.value['message_id']} appears twice in tree {tree_id}")
        else:
            nodes[raw.value["message_id"]] = {**raw.value, "replies": []}
            unique.append(raw)
    roots, attached = [], []
    for raw in unique:
        node, parent = nodes[raw.value["message_id"]], raw.value.get("parent_id")
        if parent is None:
            roots.append((node, raw))
        elif parent in nodes:
            nodes[parent]["replies"].append(node)
            attached.append(raw)
        else:
            yield _row_error(raw, "parent_id", f"parent message {parent} is not in tree {tree_id}")
    if len(roots) != 1:
        for raw in [r for _, r in roots] + attached:
            yield _row_error(raw, "parent_id", f"tree {tree_id} has {len(roots)} root messages (parent_id null), "
                             "expected 1")
        return
    root, root_raw = roots[0]
    root = {k: v for k, v in root.items() if k != "message_tree_id"}
    value = {"message_tree_id": tree_id, "prompt": root}
    yield RawRecord(root_raw.index, root_raw.line, value, error=None, members=[root_raw] + attached)


def _row_error(raw: RawRecord, field: str, reason: str) -> RawRecord:
    return RawRecord(raw.index, raw.line, raw.value, raw.raw, reason, field)


def _check(node: object, path: str) -> dict:
    if not isinstance(node, dict):
        raise RecordError(path, f"expected a message object, got {type_name(node)}")
    for key in ("text", "role"):
        if not isinstance(node.get(key), str):
            raise RecordError(f"{path}.{key}", f"missing required field '{key}'" if key not in node
                              else f"expected a string, got {type_name(node[key])}")
    if node["role"] not in _ROLES:
        raise RecordError(f"{path}.role", f"unknown role '{node['role']}'; expected prompter or assistant")
    replies = node.get("replies", [])
    if not isinstance(replies, list):
        raise RecordError(f"{path}.replies", f"expected a list, got {type_name(replies)}")
    return node


def _rank_key(node: dict) -> tuple:
    rank = node.get("rank")
    return (rank is None, rank if isinstance(rank, (int, float)) else 0)


def _paths(node: dict, path: str, best: bool, include_deleted: bool, skipped: list[int]):
    """Yield lists of (node, path) from `node` to each leaf (or along the best-ranked replies)."""
    replies = [(r, f"{path}.replies[{i}]") for i, r in enumerate(node.get("replies") or [])]
    kept = []
    for reply, where in replies:
        _check(reply, where)
        if reply.get("deleted") and not include_deleted:
            skipped[0] += 1
            continue
        kept.append((reply, where))
    if best and kept:
        kept = [min(kept, key=lambda rw: _rank_key(rw[0]))]
    if not kept:
        yield [(node, path)]
        return
    for reply, where in kept:
        for tail in _paths(reply, where, best, include_deleted, skipped):
            yield [(node, path)] + tail


def to_conversations(record: dict, options: dict) -> list[Parsed]:
    mode = options.get("oasst_paths", "all")
    if mode not in ("all", "best"):
        raise ValueError(f"oasst_paths must be 'all' or 'best', got {mode!r}")
    root = _check(record.get("prompt"), "prompt") if "prompt" in record else None
    if root is None:
        raise RecordError("prompt", "missing required field 'prompt'")
    tree_id = record.get("message_tree_id") or root.get("message_id")
    extra = {k: v for k, v in record.items() if k != "prompt"}
    skipped = [0]
    out, seen_ends = [], set()
    # collect every path first so the deleted-message count is complete for each of them
    paths = list(_paths(root, "prompt", mode == "best", bool(options.get("oasst_include_deleted")), skipped))
    for path in paths:
        warnings = []
        while path and path[-1][0]["role"] != "assistant":
            path = path[:-1]
            warnings.append("path ended on an unanswered prompter message: cut back to the last reply")
        if not path or id(path[-1][0]) in seen_ends:
            continue
        seen_ends.add(id(path[-1][0]))
        parsed = Parsed([], extra=dict(extra), warnings=warnings)
        for i, (node, _) in enumerate(path):
            parsed.messages.append(message(_ROLES[node["role"]], node["text"]))
            parsed.message_extra[str(i)] = {k: v for k, v in node.items() if k not in _NODE_KEYS}
        leaf_id = path[-1][0].get("message_id")
        if mode == "best" and tree_id:
            parsed.own_id, parsed.id_field = str(tree_id), "message_tree_id"
        elif leaf_id:
            parsed.own_id, parsed.id_field = str(leaf_id), "message_id"
        if skipped[0]:
            parsed.warnings.append(f"{skipped[0]} deleted message(s) skipped in this tree")
        out.append(parsed)
    if not out:
        raise RecordError("prompt.replies", "the tree has no assistant reply")
    return out
