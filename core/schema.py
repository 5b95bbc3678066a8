"""The canonical record every format converts to and from, and the Arrow dataset that holds it.

A conversation is a plain dict (fast to build in loaders, cheap to turn into Arrow):

    {"id": "42",
     "messages": [{"role": "user", "content": "…", "name": None, "tool_calls": None}, …],
     "rejected": None | {"role": "assistant", "content": "…", "name": None, "tool_calls": None},
     "meta": {"source_format": "alpaca", "source_file": "x.json", "source_record": 41,
              "extra": {<every input field we did not map, verbatim>}}}

`Message` and `Conversation` are the typed views of the same shape for code that wants them.
In Arrow, `tool_calls` and `meta` are JSON strings so the table schema stays fixed whatever the input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

ROLES = ("system", "user", "assistant", "tool")
Role = Literal["system", "user", "assistant", "tool"]

MESSAGE_TYPE = pa.struct([
    ("role", pa.string()),
    ("content", pa.string()),
    ("name", pa.string()),
    ("tool_calls", pa.string()),  # JSON text of the list, or null
])
CANONICAL_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("messages", pa.list_(MESSAGE_TYPE)),
    ("rejected", MESSAGE_TYPE),
    ("meta", pa.string()),  # JSON text
])
CANONICAL_COLUMNS = tuple(CANONICAL_SCHEMA.names)


@dataclass
class Message:
    role: Role
    content: str
    name: str | None = None
    tool_calls: list[dict] | None = None

    def to_dict(self) -> dict:
        return {"role": self.role, "content": self.content, "name": self.name,
                "tool_calls": self.tool_calls}


@dataclass
class Conversation:
    id: str
    messages: list[Message]
    rejected: Message | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict:
        return {"id": self.id, "messages": [m.to_dict() for m in self.messages],
                "rejected": self.rejected.to_dict() if self.rejected else None, "meta": self.meta}

    @classmethod
    def from_record(cls, record: dict) -> "Conversation":
        def msg(m: dict) -> Message:
            return Message(m["role"], m["content"], m.get("name"), m.get("tool_calls"))
        rejected = record.get("rejected")
        return cls(str(record["id"]), [msg(m) for m in record["messages"]],
                   msg(rejected) if rejected else None, dict(record.get("meta") or {}))


def message(role: str, content: str, name: str | None = None,
            tool_calls: list | None = None) -> dict:
    """One canonical message dict (the loaders' building block)."""
    return {"role": role, "content": content, "name": name, "tool_calls": tool_calls}


# ---------------------------------------------------------------- records <-> Arrow

def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _message_to_arrow(m: dict | None) -> dict | None:
    if m is None:
        return None
    calls = m.get("tool_calls")
    return {"role": m["role"], "content": m.get("content") or "", "name": m.get("name"),
            "tool_calls": _dumps(calls) if calls else None}


def _message_from_arrow(m: dict | None) -> dict | None:
    if m is None:
        return None
    calls = m.get("tool_calls")
    return {"role": m["role"], "content": m["content"], "name": m.get("name"),
            "tool_calls": orjson.loads(calls) if calls else None}


def records_to_table(records: Iterable[dict]) -> pa.Table:
    """Canonical record dicts -> an Arrow table with CANONICAL_SCHEMA.

    Built column-wise (flat message fields + list offsets): loaders call this on every batch, and
    letting Arrow infer nested dicts row by row costs several times more.
    """
    ids, rejected, metas = [], [], []
    offsets = [0]
    roles, contents, names, calls = [], [], [], []
    for r in records:
        ids.append(str(r["id"]))
        for m in r["messages"]:
            roles.append(m["role"])
            contents.append(m.get("content") or "")
            names.append(m.get("name"))
            tool_calls = m.get("tool_calls")
            calls.append(_dumps(tool_calls) if tool_calls else None)
        offsets.append(len(roles))
        rejected.append(_message_to_arrow(r.get("rejected")))
        metas.append(_dumps(r.get("meta") or {}))
    flat = pa.StructArray.from_arrays(
        [pa.array(roles, pa.string()), pa.array(contents, pa.string()),
         pa.array(names, pa.string()), pa.array(calls, pa.string())],
        fields=list(MESSAGE_TYPE))
    messages = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), flat,
                                        type=CANONICAL_SCHEMA.field("messages").type)
    return pa.table([pa.array(ids, pa.string()), messages,
                     pa.array(rejected, MESSAGE_TYPE), pa.array(metas, pa.string())],
                    schema=CANONICAL_SCHEMA)


def table_to_records(table: pa.Table) -> list[dict]:
    """Arrow table (canonical columns, extra columns ignored) -> canonical record dicts."""
    out = []
    for row in table.select(list(CANONICAL_COLUMNS)).to_pylist():
        out.append({"id": row["id"],
                    "messages": [_message_from_arrow(m) for m in row["messages"]],
                    "rejected": _message_from_arrow(row["rejected"]),
                    "meta": orjson.loads(row["meta"]) if row["meta"] else {}})
    return out


def empty_table() -> pa.Table:
    return CANONICAL_SCHEMA.empty_table()


# ---------------------------------------------------------------- text views (vectorized)

TextField = Literal["prompt", "response", "last_prompt", "last_response", "system",
                    "conversation", "instruction"]
TEXT_FIELDS: tuple[str, ...] = ("prompt", "response", "last_prompt", "last_response", "system",
                                "conversation", "instruction")


def flat_messages(table: pa.Table) -> tuple[np.ndarray, pa.StructArray]:
    """(row index of each message, every message as one struct array), in order — the shape
    per-message metrics work on, then fold back per row with np.bincount or the row index."""
    col = table.column("messages").combine_chunks()
    return pc.list_parent_indices(col).to_numpy(), pc.list_flatten(col)


def role_texts(table: pa.Table, field: str = "response") -> list[str]:
    """One string per row for a text field (see TEXT_FIELDS); '' where the row has none.

    prompt/response/system join every non-empty user/assistant/system turn with a blank line;
    last_* take the final turn of that role;
    instruction is the first user turn; conversation prefixes each turn with its role.
    """
    return text_column(table, field).to_pylist()


_FIELD_ROLE = {"prompt": "user", "last_prompt": "user", "instruction": "user",
               "response": "assistant", "last_response": "assistant", "system": "system"}


def text_column(table: pa.Table, field: str = "response") -> pa.StringArray:
    """`role_texts` as an Arrow string array, computed without a per-row Python loop."""
    if field not in TEXT_FIELDS:
        raise ValueError(f"unknown text field {field!r}; choose one of {', '.join(TEXT_FIELDS)}")
    n = table.num_rows
    if n == 0:
        return pa.array([], pa.string())
    parents, flat = flat_messages(table)
    roles, contents = flat.field("role"), flat.field("content")
    if field == "conversation":
        texts = pc.binary_join_element_wise(roles, contents, ": ")
        positions = np.arange(len(parents))
    else:
        positions = np.flatnonzero(pc.equal(roles, _FIELD_ROLE[field]).to_numpy(zero_copy_only=False))
        texts = contents
        if field in ("prompt", "response", "system"):
            # a turn with no text (an assistant turn that only calls tools) adds no separator
            positions = positions[pc.greater(pc.utf8_length(contents.take(pa.array(positions, pa.int64()))), 0)
                                  .to_numpy(zero_copy_only=False)]
        parents = parents[positions]
        if field in ("last_prompt", "last_response", "instruction"):
            # parents are sorted: a row's first/last match is where its run of parents starts/ends
            if field == "instruction":
                pick = np.r_[True, parents[1:] != parents[:-1]] if len(parents) else np.array([], bool)
            else:
                pick = np.r_[parents[1:] != parents[:-1], True] if len(parents) else np.array([], bool)
            positions, parents = positions[pick], parents[pick]
    counts = np.bincount(parents, minlength=n)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    grouped = pa.ListArray.from_arrays(pa.array(offsets), texts.take(pa.array(positions, pa.int64())))
    return pc.binary_join(grouped, "\n\n")


def turn_counts(table: pa.Table) -> np.ndarray:
    """Messages per row."""
    return pc.list_value_length(table.column("messages")).to_numpy(zero_copy_only=False)


# ---------------------------------------------------------------- dataset

def with_columns(table: pa.Table, columns: dict[str, Any]) -> pa.Table:
    """`table` with `columns` added or replaced (values: Arrow arrays or anything pa.array takes)."""
    for name, values in columns.items():
        values = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, values) if index >= 0 else table.append_column(name, values)
    return table


def fingerprint_table(table: pa.Table) -> str:
    """Content hash of the canonical columns: equal conversations in equal order, equal fingerprint."""
    h = hashlib.blake2b(digest_size=16)
    canon = table.select(list(CANONICAL_COLUMNS))
    for batch in canon.to_batches(max_chunksize=50_000):
        for name in CANONICAL_COLUMNS:
            h.update(name.encode())
            h.update(orjson.dumps(batch.column(batch.schema.get_field_index(name)).to_pylist()))
    return h.hexdigest()


@dataclass
class Dataset:
    """An Arrow table of canonical columns plus any computed metric columns."""

    table: pa.Table
    name: str = "dataset"
    _fingerprint: str | None = field(default=None, repr=False)

    @classmethod
    def from_records(cls, records: Iterable[dict], name: str = "dataset") -> "Dataset":
        return cls(records_to_table(records), name)

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = fingerprint_table(self.table)
        return self._fingerprint

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    @property
    def ids(self) -> list[str]:
        return self.table.column("id").to_pylist()

    def records(self) -> list[dict]:
        return table_to_records(self.table)

    def texts(self, field: str = "response") -> list[str]:
        return role_texts(self.table, field)

    def with_columns(self, columns: dict[str, Any]) -> "Dataset":
        """A new Dataset with metric columns added or replaced (canonical content unchanged)."""
        return Dataset(with_columns(self.table, columns), self.name, self._fingerprint)
