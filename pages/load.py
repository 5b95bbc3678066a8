"""Load: upload a file or use the bundled sample; see the detected format, the counts, the
conversations as chat bubbles and every rejected record with its reason."""

from __future__ import annotations

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from core.commands.inspect import summary as inspect_summary
from core.errors import SieveInputError
from core.load import FORMATS
from core.schema import Dataset, flat_messages, table_to_records
from ui import cache, state
from ui.widgets import render_conversation

SAMPLE, UPLOAD = "Bundled sample", "Upload a file"
AUTO = "auto-detect"
UPLOAD_TYPES = ["json", "jsonl", "csv", "parquet", "gz", "zst"]
PAGE_SIZES = [5, 10, 25, 50]
REJECTS_SHOWN = 1_000
RAW_EXCERPT = 200


def choose_source() -> None:
    """Source picker + uploader; loads what the user chose into session state."""
    source_col, format_col = st.columns([3, 2])
    source = source_col.radio("Source", [SAMPLE, UPLOAD], horizontal=True, key="load.source",
                              index=0 if state.source_label() == "sample" else 1)
    if source == SAMPLE:
        format_col.caption("Format: each sample file is detected on its own. Upload a file to choose its format.")
        if state.source_label() != "sample":
            state.set_load_result(cache.load_sample(), "sample")
        return
    choice = format_col.selectbox("Format", [AUTO, *FORMATS], key="load.format",
                                  help="Detected automatically; pick one to read the file as that format instead.")
    uploaded = st.file_uploader("Dataset file", type=UPLOAD_TYPES, key="load.file",
                                help="JSON (array, or object holding an array), JSONL, CSV or Parquet; optionally .gz or .zst. "
                                     "The size limit is server.maxUploadSize in .streamlit/config.toml.")
    if uploaded is None:
        if state.source_label() != "sample":
            st.caption(f"Showing the last upload, **{state.source_label()}**. Upload another file to replace it.")
        return
    load_upload(uploaded, uploaded.name, None if choice == AUTO else choice)


def load_upload(file, name: str, format: str | None) -> None:
    """Read an upload with bad records set aside; make it current unless nothing at all could be read."""
    try:
        result = cache.load_upload(file, name, format)
    except SieveInputError as exc:
        # The core message speaks CLI ("--format"); on this page the override is the Format box.
        message = str(exc).replace("choose one with --format", "choose one in the Format box above")
        st.error(f"Could not read **{name}**: {message}")
        return
    if result.report.loaded == 0:
        count = result.report.input_records
        st.error(f"Nothing could be read from **{name}**: "
                 + ("its only record was" if count == 1 else f"all {count:,} records were")
                 + f" rejected as {result.detection.format}. The reasons are below; try another format.")
        show_rejects(result.report.rejected, key="load.failed_rejects")
        return
    if state.load_result() is not result:
        state.set_load_result(result, name)


def dataset_shape(result) -> dict:
    """Roles and turn counts (what `inspect` prints) of the current result, once per load rather than per rerun."""
    shape = state.get(state.LOAD_SHAPE)
    if shape is None:  # state.set_load_result clears it
        shape = inspect_summary(result)
        state.put(state.LOAD_SHAPE, shape)
    return shape


def show_summary(result) -> None:
    detection, report = result.detection, result.report
    format_col, confidence_col, input_col, loaded_col, rejected_col = st.columns(5)
    format_col.metric("Format", detection.format)
    confidence_col.metric("Confidence", f"{detection.confidence:.0%}")
    input_col.metric("Input records", f"{report.input_records:,}")
    loaded_col.metric("Loaded", f"{report.loaded:,}")
    rejected_col.metric("Rejected", f"{len(report.rejected):,}")
    balanced = report.loaded + len(report.rejected) == report.input_records
    st.caption(f"{report.loaded:,} loaded + {len(report.rejected):,} rejected = "
               f"{report.loaded + len(report.rejected):,} of {report.input_records:,} input records "
               + ("✓" if balanced else "✗ (does not add up)")
               + (f" · {result.dataset.num_rows:,} conversations" if result.dataset.num_rows != report.loaded else ""))
    shape = dataset_shape(result)
    st.caption("Roles: " + " · ".join(f"{role} {n:,}" for role, n in shape["roles"].items())
               + " — messages per conversation: " + ", ".join(f"{k} ({v:,})" for k, v in shape["turns"].items())
               + (f" — {shape['preference_pairs']:,} with a rejected alternative" if shape["preference_pairs"] else ""))
    with st.expander("Why this format"):
        st.markdown("\n".join(f"- {line}" for line in detection.evidence) or "No evidence recorded.")
    if report.warnings:
        with st.expander(f"Warnings ({len(report.warnings)})"):
            st.markdown("\n".join(f"- {w}" for w in report.warnings))


def matching_rows(table: pa.Table, query: str) -> list[int]:
    """Rows whose id or any message contains `query` (case-insensitive), in dataset order."""
    query = query.strip()
    if not query:
        return list(range(table.num_rows))
    id_hits = pc.match_substring(table.column("id"), query, ignore_case=True).to_numpy(zero_copy_only=False)
    parents, flat = flat_messages(table)
    content_hits = pc.match_substring(flat.field("content"), query, ignore_case=True)
    rows = set(parents[content_hits.to_numpy(zero_copy_only=False)].tolist())
    rows.update(id_hits.nonzero()[0].tolist())
    return sorted(rows)


def _first_page() -> None:
    st.session_state["load.page"] = 1


def show_viewer(dataset: Dataset) -> None:
    search_col, size_col, page_col, raw_col = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    query = search_col.text_input("Search id or text", key="load.search", placeholder="e.g. alp-0012 or 'pandas'",
                                  on_change=_first_page)
    rows = matching_rows(dataset.table, query)
    page_size = size_col.selectbox("Per page", PAGE_SIZES, index=1, key="load.page_size", on_change=_first_page)
    pages = max(1, -(-len(rows) // page_size))
    st.session_state["load.page"] = min(max(1, st.session_state.get("load.page", 1)), pages)
    page = page_col.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="load.page")
    raw = raw_col.toggle("Raw text", key="load.raw", help="Show messages verbatim (whitespace kept, no Markdown).")
    if not rows:
        st.info(f"No conversation matches '{query}'.")
        return
    shown = rows[(page - 1) * page_size: page * page_size]
    st.caption(f"Showing {len(shown)} of {len(rows):,} conversations"
               + (f" matching '{query.strip()}'" if query.strip() else "")
               + f" (rows {(page - 1) * page_size + 1:,}–{(page - 1) * page_size + len(shown):,}).")
    for record in table_to_records(dataset.table.take(shown)):
        with st.container(border=True):
            meta = record["meta"]
            where = f" · {meta['source_file']} record {meta['source_record']}" if "source_file" in meta else ""
            st.markdown(f"**{record['id']}** · {len(record['messages'])} messages{where}")
            render_conversation(record, raw=raw)


def rejects_jsonl(rejections) -> bytes:
    return b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in rejections)


def show_rejects(rejections, key: str = "load.rejects") -> None:
    if not rejections:
        st.caption("Every input record was read.")
        return
    import pandas as pd

    shown = rejections[:REJECTS_SHOWN]
    st.dataframe(pd.DataFrame({
        "file": [r.file for r in shown], "line": [r.line for r in shown], "record": [r.record for r in shown],
        "field": [r.field for r in shown], "reason": [r.reason for r in shown],
        "raw excerpt": [r.raw[:RAW_EXCERPT] + ("…" if len(r.raw) > RAW_EXCERPT else "") for r in shown],
    }), hide_index=True, key=f"{key}.table", column_config={
        "reason": st.column_config.TextColumn(width="large"),
        "raw excerpt": st.column_config.TextColumn(width="large")})
    if len(rejections) > REJECTS_SHOWN:
        st.caption(f"Showing the first {REJECTS_SHOWN:,}; the download has all {len(rejections):,}.")
    # Built on click, not on every rerun: a bad file can have millions of rejects.
    st.download_button("Download rejected records (JSONL)", lambda: rejects_jsonl(rejections),
                       file_name="rejected.jsonl", mime="application/x-ndjson", key=f"{key}.download")


st.title("Load a dataset")
choose_source()
current = state.load_result()
st.markdown(f"#### {'Bundled sample' if state.source_label() == 'sample' else state.source_label()}")
show_summary(current)
rejected = current.report.rejected
if rejected:
    st.warning(f"{len(rejected):,} records could not be read; they are listed with their reasons under "
               "**Rejected records**.")
viewer_tab, rejects_tab = st.tabs(["Conversations", f"Rejected records ({len(rejected):,})"])
with viewer_tab:
    show_viewer(current.dataset)
with rejects_tab:
    show_rejects(rejected)
