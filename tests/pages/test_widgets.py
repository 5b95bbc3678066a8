"""ui.widgets: conversations render as chat bubbles with highlights mapped onto the right message,
user text escaped, chosen/rejected labelled; the row table and open_row find records by id."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.schema import Dataset, message, role_texts
from ui.widgets import COMPACT_JSON_CHARS as COMPACT
from ui.widgets import _message_spans, rows_frame

RECORD = {
    "id": "r1",
    "messages": [message("system", "Be brief."),
                 message("user", "My email?"),
                 message("assistant", "", tool_calls=[{"type": "function", "function": {"name": "lookup", "arguments": "{}"}}]),
                 message("tool", '{"email": "ana@example.org"}', name="lookup"),
                 message("assistant", "It is ana@example.org <b>ok</b>")],
    "rejected": message("assistant", "No idea."),
    "meta": {"source_format": "openai"},
}


def test_highlight_offsets_follow_role_texts():
    table = Dataset.from_records([RECORD]).table
    for field in ("response", "prompt", "conversation", "last_response", "system", "instruction"):
        text = role_texts(table, field)[0]
        for i, (start, end) in enumerate(_message_spans(RECORD["messages"], field)):
            if start >= 0:
                assert text[start:end] == RECORD["messages"][i]["content"], (field, i)


def render_app():
    from core.schema import Dataset, message  # noqa: F401  (AppTest runs this function's source alone)
    from ui.widgets import open_row, render_conversation

    record = {"id": "r1", "messages": [
        message("system", "Be brief."), message("user", "My email?"),
        message("assistant", "", tool_calls=[{"type": "function", "function": {"name": "lookup", "arguments": "{}"}}]),
        message("tool", '{"email": "ana@example.org"}', name="lookup"),
        message("assistant", "It is ana@example.org <b>ok</b>")],
        "rejected": message("assistant", "No idea."), "meta": {"source_format": "openai"}}
    # "It is " starts at 0 of the response text (the tool-call turn has no content) -> email at 6..21
    render_conversation(record, highlight=[(6, 21)])
    open_row(Dataset.from_records([record]), "missing-id")
    tools = '[{"name": "lookup", "description": "Find a contact", "parameters": {"type": "object"}}]'
    big = {"id": "r2", "messages": [message("tool", '{"rows": [' + ", ".join(["1"] * 1500) + "]}", name="db")],
           "meta": {"extra": {"tools": tools}}}  # ShareGPT/Glaive keep the offered functions here
    render_conversation(big)  # past COMPACT_JSON_CHARS: a folded tree


def test_render_conversation_bubbles_highlight_and_labels():
    at = AppTest.from_function(render_app, default_timeout=30).run()
    assert not at.exception
    assert len(at.chat_message) == 7  # system, user, tool call, tool, chosen, rejected; r2 tool
    marked = [m.value for m in at.markdown if "<mark>" in m.value]
    assert marked == ["<div style='white-space: pre-wrap'>It is <mark>ana@example.org</mark> &lt;b&gt;ok&lt;/b&gt;</div>"]
    captions = [c.value for c in at.caption]
    assert {"system", "tool calls", "tool · lookup", "chosen", "rejected"} <= set(captions)
    # Tool traffic reads as code, not as expanded JSON trees: the call as name(arguments), the result as one line.
    assert [c.value for c in at.code] == ['lookup({})', '{"email":"ana@example.org"}']
    assert "No conversation with id `missing-id`" in at.warning[0].value
    assert "Tools offered: lookup" in [e.label for e in at.expander]
    # r1 meta, r2's tools, r2's long result (a tree), r2 meta
    assert len(at.json) == 4 and '"lookup"' in at.json[1].value and len(at.json[2].value) > COMPACT


def test_rows_frame_keeps_the_order_of_ids_and_skips_unknown_ones():
    other = {**RECORD, "id": "r2", "messages": [message("user", "Hi " * 100), message("assistant", "Hello!")]}
    dataset = Dataset.from_records([RECORD, other]).with_columns({"score": [0.5, 0.9]})
    frame = rows_frame(dataset, ["r2", "nope", "r1"], columns=["score"])
    assert frame["id"].tolist() == ["r2", "r1"]
    assert frame["score"].tolist() == [0.9, 0.5]
    assert frame["turns"].tolist() == [2, 5]
    assert frame["response"].tolist()[1] == "It is ana@example.org <b>ok</b>"
    assert frame["prompt"].tolist()[0].endswith("…") and len(frame["prompt"].tolist()[0]) == 140
    # The asked-for columns sit next to the id, not behind the 140-character excerpts.
    assert frame.columns.tolist() == ["id", "score", "prompt", "response", "turns"]
