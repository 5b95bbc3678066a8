"""Validity: JSON in responses, fenced code by language, and markdown integrity."""

import numpy as np
import streamlit as st

from core.metrics.summary import summarize
from core.metrics.validity import CODE_STATES, JSON_STATES, Validity
from ui import inspect_views as views

st.title("Validity")
metric = Validity()
dataset, frame = views.metric_frame([metric])
summary = summarize(dataset.table)
json_summary, code_summary, markdown = summary["json"], summary["code"], summary["markdown"]

k1, k2, k3, k4 = st.columns(4)
k1.metric("Valid JSON", f"{json_summary['valid_json_pct']} %" if json_summary["valid_json_pct"] is not None else "–",
          f"{json_summary['rows_with_json']:,} rows with JSON", delta_color="off", delta_arrow="off")
k2.metric("Valid code", f"{code_summary['valid_code_pct']} %" if code_summary["valid_code_pct"] is not None else "–",
          f"{code_summary['valid'] + code_summary['invalid']:,} rows with checked code", delta_color="off", delta_arrow="off")
k3.metric("Unclosed code fences", f"{markdown['unclosed_fence_rows']:,}")
k4.metric("Unbalanced tables", f"{markdown['unbalanced_table_rows']:,}")
st.caption("JSON: a ```json block, or a bare object/array when the prompt asks for JSON. 'broken' looks like "
           "JSON but does not parse. Python blocks are checked with ast.parse, JSON and YAML are parsed, "
           "other languages are unchecked.")

left, right = st.columns(2)
with left:
    st.subheader("JSON")
    json_rows = views.bar_counts(frame, "json_state", key="validity_json", order=JSON_STATES, x_title="JSON state",
                                 colors=views.STATE_COLORS)
with right:
    st.subheader("Code blocks")
    code_rows = views.bar_counts(frame, "code_state", key="validity_code", order=CODE_STATES, x_title="code state",
                                 colors=views.STATE_COLORS)
views.rows_panel(dataset, frame, np.union1d(json_rows, code_rows),
                 ["json_state", "code_state", "code_languages", "code_invalid_count"], key="validity_rows")

st.subheader("Code languages")
language_rows = views.bar_counts(frame, "code_languages", key="validity_languages", split=",",
                                 x_title="fence language")
views.rows_panel(dataset, frame, language_rows, ["code_languages", "code_state", "code_invalid_count"],
                 key="validity_language_rows", empty_hint="Drag a box over a language bar (or click it) to see its rows.")

st.subheader("Markdown")
problems = frame[["has_unclosed_code_fence", "has_unbalanced_table"]].copy()
problems["markdown"] = np.select([problems["has_unclosed_code_fence"], problems["has_unbalanced_table"]],
                                 ["unclosed code fence", "unbalanced table"], "ok")
markdown_rows = views.bar_counts(problems.assign(id=frame["id"]), "markdown", key="validity_markdown",
                                 order=["ok", "unclosed code fence", "unbalanced table"], x_title="markdown",
                                 colors={**views.STATE_COLORS, "unclosed code fence": views.STATE_COLORS["broken"],
                                         "unbalanced table": views.STATE_COLORS["broken"]})
views.rows_panel(dataset, frame, markdown_rows, ["has_unclosed_code_fence", "has_unbalanced_table"],
                 key="validity_markdown_rows")
