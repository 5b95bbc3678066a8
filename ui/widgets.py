"""Shared widgets: a canonical record as chat bubbles, and a table of rows that opens one of them.

    render_conversation(record, highlight=[(10, 24)])          # spans in the record's response text
    conversation_picker(dataset, ids, key="dups")               # table of ids -> chosen one rendered
    open_row(dataset, "alp-0012")                               # one id rendered (or a warning)
"""

from __future__ import annotations

import html
from typing import Sequence

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from core.schema import Dataset, role_texts, table_to_records

AVATARS = {"system": ":material/settings:", "user": "user", "assistant": "assistant", "tool": ":material/build:"}
LONG_MESSAGE_CHARS = 6_000   # longer messages show their start, with the rest behind an expander
EXCERPT_CHARS = 140
COMPACT_JSON_CHARS = 2_000   # tool results up to this long show as one wrapped line of JSON

# Which messages a role_texts field is made of, so highlight offsets map back onto messages.
_FIELD_ROLES = {"response": "assistant", "prompt": "user", "system": "system",
                "last_response": "assistant", "last_prompt": "user", "instruction": "user"}


def _message_spans(messages: list[dict], field: str) -> list[tuple[int, int]]:
    """For each message, where its content sits inside role_texts(field) ((-1, -1) if it is not part of it)."""
    spans, offset = [(-1, -1)] * len(messages), 0
    if field == "conversation":
        for i, m in enumerate(messages):
            start = offset + len(m["role"]) + 2  # "role: "
            spans[i] = (start, start + len(m["content"] or ""))
            offset = spans[i][1] + 2             # "\n\n"
        return spans
    role = _FIELD_ROLES[field]
    picked = [i for i, m in enumerate(messages) if m["role"] == role]
    if field in ("last_response", "last_prompt"):
        picked = picked[-1:]
    elif field == "instruction":
        picked = picked[:1]
    joined = field in ("prompt", "response", "system")
    placed = 0
    for i in picked:  # mirrors role_texts: joined fields skip empty turns, blank line between turns
        content = messages[i]["content"] or ""
        if joined and not content:
            continue
        start = offset + 2 if placed else 0
        spans[i] = (start, start + len(content))
        offset, placed = spans[i][1], placed + 1
    return spans


def _marked_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Escaped text with <mark> around each span; user text never becomes live HTML."""
    out, pos = [], 0
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= pos:
            continue
        start = max(start, pos)
        out += [html.escape(text[pos:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        pos = end
    out.append(html.escape(text[pos:]))
    return f"<div style='white-space: pre-wrap'>{''.join(out)}</div>"


def _render_text(text: str, spans: Sequence[tuple[int, int]], raw: bool) -> None:
    if spans:
        st.markdown(_marked_html(text, spans), unsafe_allow_html=True)
        return
    shown, rest = (text, "") if len(text) <= LONG_MESSAGE_CHARS else (text[:LONG_MESSAGE_CHARS], text[LONG_MESSAGE_CHARS:])
    if not shown.strip():
        st.caption("(empty)")
    elif raw:
        st.text(shown)
    else:
        st.markdown(shown)
    if rest:
        with st.expander(f"… {len(rest):,} more characters"):
            st.text(rest)


def _render_message(m: dict, spans: Sequence[tuple[int, int]], raw: bool, label: str | None = None) -> None:
    role = m["role"]
    with st.chat_message(role, avatar=AVATARS.get(role)):
        caption = label or (role if role in ("system", "tool") else None)
        if m.get("name"):
            caption = f"{caption or role} · {m['name']}"
        if caption:
            st.caption(caption)
        content = m.get("content") or ""
        if role == "tool" and not spans and content[:1] in "[{" and _render_json(content):
            return
        if content or not m.get("tool_calls"):
            _render_text(content, spans, raw)
        if m.get("tool_calls"):
            st.caption("tool calls")
            st.code("\n".join(map(_call_line, m["tool_calls"])), language="python", wrap_lines=True)


def _call_line(call) -> str:
    """A tool call as it reads in code, `search_recipes({"ingredients": ["rice"]})`: one line, not a JSON tree."""
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        return orjson.dumps(call, default=str).decode()
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = orjson.dumps(arguments, default=str).decode()
    return f"{function.get('name', '?')}({arguments})"


def _render_json(content: str) -> bool:
    """A tool result: compact JSON text while short (a tree ten screens tall helps nobody), a folded tree past that."""
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False
    if len(content) <= COMPACT_JSON_CHARS:
        st.code(orjson.dumps(value).decode(), language="json", wrap_lines=True)
    else:
        st.json(value, expanded=1)
    return True


def _render_tools(tools) -> None:
    """The functions a tool-calling conversation offers (kept in meta.extra by the formats), named up front."""
    if not tools:
        return
    from core.formats.tools import tools_to_openai

    specs = tools_to_openai(tools)
    if not isinstance(specs, list):
        st.caption("tools offered (not JSON)")
        st.text(str(tools)[:LONG_MESSAGE_CHARS])
        return
    names = [str((t.get("function") or {}).get("name", "?")) if isinstance(t, dict) else "?" for t in specs]
    with st.expander(f"Tools offered: {', '.join(names)}"):
        st.json(specs, expanded=3)


def render_conversation(record: dict, *, highlight: list[tuple[int, int]] | None = None,
                        highlight_field: str = "response", raw: bool = False) -> None:
    """A canonical record as chat bubbles.

    `highlight` holds character spans into `role_texts(table, highlight_field)` of this record
    (default: the assistant turns joined by a blank line), so a metric's match offsets can be
    passed straight through. `raw=True` shows text verbatim instead of as Markdown.
    """
    messages = record.get("messages") or []
    _render_tools((record.get("meta") or {}).get("extra", {}).get("tools"))
    mapped = _message_spans(messages, highlight_field) if highlight else [(-1, -1)] * len(messages)
    rejected = record.get("rejected")
    last_assistant = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
    for i, m in enumerate(messages):
        start, end = mapped[i]
        spans = [(s - start, e - start) for s, e in (highlight or []) if start >= 0 and s < end and e > start]
        if rejected and i == last_assistant:
            chosen_col, rejected_col = st.columns(2)
            with chosen_col:
                _render_message(m, spans, raw, label="chosen")
            with rejected_col:
                _render_message(rejected, [], raw, label="rejected")
        else:
            _render_message(m, spans, raw)
    if rejected and last_assistant is None:
        _render_message(rejected, [], raw, label="rejected")
    with st.expander("Record details"):
        st.write(f"id: `{record.get('id')}`")
        st.json(record.get("meta") or {}, expanded=False)


# ---------------------------------------------------------------- rows -> conversation

def _row_positions(dataset: Dataset, ids: Sequence[str]) -> list[int]:
    """Row index of each id in `ids` (in that order), skipping ids not in the dataset."""
    found = pc.index_in(pa.array([str(i) for i in ids], pa.string()), value_set=dataset.table.column("id"))
    return [p for p in found.to_pylist() if p is not None]


def get_record(dataset: Dataset, record_id: str) -> dict | None:
    positions = _row_positions(dataset, [record_id])
    return table_to_records(dataset.table.take(positions))[0] if positions else None


def open_row(dataset: Dataset, record_id: str, *, highlight: list[tuple[int, int]] | None = None,
             highlight_field: str = "response") -> None:
    """Render one conversation by id, or say that it is not in the dataset."""
    record = get_record(dataset, record_id)
    if record is None:
        st.warning(f"No conversation with id `{record_id}` in this dataset.")
        return
    render_conversation(record, highlight=highlight, highlight_field=highlight_field)


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS - 1] + "…"


def rows_frame(dataset: Dataset, ids: Sequence[str], columns: Sequence[str] = ()):
    """A small pandas frame for `ids`: id, `columns`, then prompt and response excerpts and turns.

    The asked-for columns come right after the id: behind the long excerpts they would be off-screen.
    """
    import pandas as pd

    table = dataset.table.take(_row_positions(dataset, ids))
    frame = pd.DataFrame({"id": table.column("id").to_pylist()})
    for name in columns:
        if name in table.column_names:
            frame[name] = table.column(name).to_pylist()
    frame["prompt"] = [_excerpt(t) for t in role_texts(table, "instruction")]
    frame["response"] = [_excerpt(t) for t in role_texts(table, "last_response")]
    frame["turns"] = pc.list_value_length(table.column("messages")).to_pylist()
    return frame


def conversation_picker(dataset: Dataset, ids: Sequence[str], *, key: str, columns: Sequence[str] = (),
                        max_rows: int = 1_000, highlight_of=None) -> str | None:
    """Table of the rows behind `ids`; the selected row opens below as a conversation.

    `columns` adds metric columns to the table; `highlight_of(id) -> spans` highlights the opened row.
    Returns the opened id (also stored as the session's selected id).
    """
    from ui import state

    ids = list(ids)
    if not ids:
        st.caption("No rows to show.")
        return None
    if len(ids) > max_rows:
        st.caption(f"Showing the first {max_rows:,} of {len(ids):,} rows.")
        ids = ids[:max_rows]
    frame = rows_frame(dataset, ids, columns)
    event = st.dataframe(frame, hide_index=True, key=f"{key}.table", on_select="rerun",
                         selection_mode="single-row", height=min(400, 38 + 35 * len(frame)))
    selected_rows = event.selection.rows if event is not None and hasattr(event, "selection") else []
    # A selection made on an earlier, longer table (before a slider narrowed it) may point past its end.
    selected_rows = [r for r in selected_rows if 0 <= r < len(frame)]
    if not selected_rows:
        st.caption("Select a row to open it as a conversation.")
        return None
    record_id = frame["id"].iloc[selected_rows[0]]
    state.put(state.SELECTED_ID, record_id)
    st.markdown(f"**Conversation `{record_id}`**")  # which row is open, once the table scrolls away
    open_row(dataset, record_id, highlight=highlight_of(record_id) if highlight_of else None)
    return record_id


EMBEDDING_MODEL_LABELS = {"static": "Static (fast, distilled from MiniLM)",
                          "minilm": "all-MiniLM-L6-v2 (accurate, slow)", "local": "Local model folder…"}


def embedding_model_picker(key: str) -> str | None:
    """Pick the embedding model Topics and Dedup share (ui.state), or None while a folder is not valid yet."""
    from pathlib import Path

    from core.embeddings import EMBEDDING_MODELS
    from ui import state

    current = state.embedding_model()
    choice = st.selectbox("Embedding model", [*EMBEDDING_MODELS, "local"], format_func=EMBEDDING_MODEL_LABELS.get,
                          index=EMBEDDING_MODELS.index(current) if current in EMBEDDING_MODELS else 2,
                          key=f"{key}.model")
    if choice != "local":
        state.put(state.EMBEDDING_MODEL, choice)
        return choice
    folder = st.text_input("Model folder", value="" if current in EMBEDDING_MODELS else current,
                           key=f"{key}.model_folder",
                           help="A model2vec static model or a sentence-transformers / Hugging Face model folder")
    if folder and Path(folder).expanduser().is_dir():
        state.put(state.EMBEDDING_MODEL, folder)
        return folder
    st.warning(f"'{folder}' is not a folder." if folder else "Enter the path of a local model folder.")
    return None
