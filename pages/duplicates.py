"""Duplicates: exact, MinHash and embedding near-duplicates; clusters side by side; decontamination."""

from __future__ import annotations

import numpy as np
import orjson
import plotly.graph_objects as go
import streamlit as st

from core.dedup.diff import word_diff_html
from core.dedup.explore import GRAPH_FLOOR, cluster_sizes, nearest_similarity, resolve_from_graph
from core.dedup.keep import score_metrics
from core.dedup.normalize import dedup_texts
from core.errors import SieveError
from core.schema import table_to_records
from core.steps import build_step, get_step_class
from ui import cache, state
from ui.widgets import embedding_model_picker, render_conversation

METHOD_LABELS = {"exact": "Exact (normalized text)", "minhash": "MinHash LSH (word n-grams)",
                 "embedding": "Embeddings (meaning)"}
FIELD_LABELS = {"instruction": "Instruction (first user turn)", "prompt": "All user turns",
                "conversation": "Whole conversation"}
MEMBERS_SHOWN = 20
DIFF_STYLE = ("<style>ins{background:#c8f2c8;text-decoration:none} del{background:#f6caca}"
              ".dedup-text{white-space:pre-wrap;font-size:0.9rem;max-height:22rem;overflow:auto}</style>")

st.title("Duplicates")
dataset = state.dataset()
st.caption(f"{dataset.num_rows:,} rows in {state.source_label()}. Exact finds copies that differ only in case, "
           "spacing and punctuation; MinHash finds rows sharing most word n-grams; embeddings find rows "
           "that say the same thing in other words.")


def controls() -> dict | None:
    """The step parameters chosen on the page, or None while embeddings wait for a click."""
    top = st.columns([2, 2, 2, 3])
    method = top[0].radio("Method", list(METHOD_LABELS), format_func=METHOD_LABELS.get, key="dedup_method")
    fields = top[1].selectbox("Compare", list(FIELD_LABELS), format_func=FIELD_LABELS.get, key="dedup_fields")
    keep = top[2].selectbox("Keep in each cluster", ["first", "longest", "best_score"], key="dedup_keep",
                            format_func={"first": "first row", "longest": "longest response",
                                         "best_score": "best metric score"}.get)
    params: dict = {"fields": fields, "keep": keep}
    if keep == "best_score":
        params["score_column"] = top[2].selectbox("Metric (higher wins)", sorted(score_metrics()),
                                                  key="dedup_score_column")
    fields_of = get_step_class("dedup", method).model_fields
    if method != "exact":
        default = fields_of["threshold"].default
        params["threshold"] = top[3].slider(
            "Jaccard similarity threshold" if method == "minhash" else "Cosine similarity threshold",
            min_value=GRAPH_FLOOR[method], max_value=1.0, value=default, step=0.01, key=f"dedup_threshold_{method}",
            help="Rows at least this similar to a cluster's kept row are its duplicates.")
    with st.expander("Advanced"):
        if method == "minhash":
            params["num_perm"] = st.select_slider("Permutations", [64, 128, 256], value=128, key="dedup_num_perm")
            params["ngram"] = st.slider("Words per shingle", 1, 5, fields_of["ngram"].default, key="dedup_ngram")
        elif method == "embedding":
            model = embedding_model_picker("dedup")
            if model is None:
                return None
            params["model"] = model
            from core.embeddings import describe
            st.caption(describe(model) + " Shared with the Topics page, so rows are embedded once.")
            params["index"] = st.selectbox(
                "Neighbour index", ["auto", "exact", "hnsw"], key="dedup_index",
                format_func={"auto": "auto (HNSW from 50k rows)", "exact": "exact (blockwise, the reference)",
                             "hnsw": "HNSW (approximate, faiss)"}.get,
                help="Exact compares every pair block by block; HNSW finds ~99% of the same pairs far faster "
                     "on large datasets, and re-scores every candidate exactly.")
        else:
            st.caption("Exact dedup has no parameters beyond the compared text.")
    if method == "embedding" and not st.session_state.get("dedup_embeddings_requested"):
        st.info("Embedding dedup embeds every row once (shared with the Topics page).")
        if st.button("Compute embeddings", type="primary"):
            st.session_state["dedup_embeddings_requested"] = True
            st.rerun()
        return None
    return {"method": method, **params}


def similarity_histogram(step, nearest: np.ndarray) -> None:
    with_neighbour = nearest[~np.isnan(nearest)]
    if step.name == "exact" or len(with_neighbour) == 0:
        return
    figure = go.Figure(go.Histogram(x=with_neighbour, xbins={"start": GRAPH_FLOOR[step.name], "end": 1.0001,
                                                             "size": 0.01}, marker_color="#4c78a8"))
    figure.add_vline(x=step.threshold, line_dash="dash", line_color="#d62728",
                     annotation_text=f"threshold {step.threshold:.2f}")
    figure.update_layout(height=260, margin={"t": 30, "b": 10, "l": 10, "r": 10}, bargap=0.05,
                         xaxis_title="similarity to the nearest other row", yaxis_title="rows",
                         title=f"{len(with_neighbour):,} rows have a neighbour at ≥ {GRAPH_FLOOR[step.name]:.2f}")
    event = st.plotly_chart(figure, on_select="rerun", selection_mode=("points", "box"), key="dedup_histogram")
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        chosen = np.concatenate([np.asarray(p.get("point_indices") or [], dtype=int) for p in points])
        ids = np.asarray(dataset.ids, dtype=object)[~np.isnan(nearest)][chosen] if len(chosen) else []
        st.caption(f"{len(ids):,} rows in the selected bars")
        st.dataframe({"id": list(ids), "nearest similarity": with_neighbour[chosen]}, height=200)


def cluster_view(result, sizes, texts: dict[str, str]) -> None:
    if sizes.num_rows == 0:
        st.success("No duplicates at this setting.")
        return
    table = {"cluster": sizes.column("cluster").to_pylist(), "rows": sizes.column("size").to_pylist(),
             "kept id": sizes.column("kept_id").to_pylist(),
             "lowest similarity": [round(v, 3) for v in sizes.column("min_similarity").to_pylist()],
             "kept text": [texts[i][:120] for i in sizes.column("kept_id").to_pylist()]}
    st.subheader(f"Clusters ({sizes.num_rows:,}, largest first)")
    event = st.dataframe(table, on_select="rerun", selection_mode="single-row", hide_index=True,
                         key="dedup_cluster_table", height=260)
    selected_rows = (event.selection.rows if event and hasattr(event, "selection") else []) or []
    options = table["cluster"]
    if selected_rows:
        st.session_state["dedup_open_cluster"] = options[selected_rows[0]]
    if st.session_state.get("dedup_open_cluster") not in options:
        st.session_state["dedup_open_cluster"] = options[0]
    size_of = dict(zip(options, table["rows"]))
    cluster = st.selectbox("Open cluster", options, key="dedup_open_cluster",
                           format_func=lambda c: f"#{c} — {size_of[c]} rows")
    members = result.clusters.filter(result.clusters["cluster"].to_numpy() == cluster).to_pylist()
    kept = members[0]
    st.markdown(DIFF_STYLE, unsafe_allow_html=True)
    for member in members[1:MEMBERS_SHOWN + 1]:
        kept_html, member_html = word_diff_html(texts[kept["id"]], texts[member["id"]])
        left, right = st.columns(2)
        left.markdown(f"**kept `{kept['id']}`**")
        right.markdown(f"**`{member['id']}`** — similarity to kept **{member['similarity']:.3f}**")
        # One line of HTML (newlines as <br>) so Markdown never reinterprets the text inside the block.
        left.markdown(f"<div class='dedup-text'>{kept_html.replace(chr(10), '<br>')}</div>", unsafe_allow_html=True)
        right.markdown(f"<div class='dedup-text'>{member_html.replace(chr(10), '<br>')}</div>", unsafe_allow_html=True)
        st.divider()
    if len(members) > MEMBERS_SHOWN + 1:
        st.caption(f"{len(members) - MEMBERS_SHOWN - 1:,} more members not shown")
    opened = st.selectbox("Open a member as a conversation", [m["id"] for m in members], key="dedup_open_member")
    record = table_to_records(dataset.table.filter(dataset.table["id"].to_numpy(zero_copy_only=False) == opened))
    if record:
        with st.container(border=True):
            render_conversation(record[0])


def decontamination(step) -> None:
    with st.expander("Decontaminate against an evaluation set"):
        st.caption("Rows of this dataset that are near-duplicates of any row of the reference file are dropped, "
                   "with the same method and threshold as above.")
        upload = st.file_uploader("Reference file (eval set)", type=["json", "jsonl", "csv", "parquet", "gz", "zst"],
                                  key="dedup_reference")
        if upload is None or not st.button("Check for leaks", key="dedup_check_reference"):
            return
        import tempfile
        from pathlib import Path

        from core.dedup.decontaminate import decontaminate
        from core.load import load_dataset

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / upload.name
            path.write_bytes(upload.getvalue())
            reference = load_dataset(str(path)).dataset.table
        scoped = step.model_copy(update={"reference": upload.name})
        with st.spinner("Matching against the reference…"):
            signatures = cache.dedup_signatures(dataset, scoped)
            leaks = decontaminate(scoped, signatures, reference)
        st.metric("Rows leaking from the reference", f"{leaks.ledger.num_rows:,}")
        if leaks.ledger.num_rows:
            st.dataframe(leaks.ledger.to_pandas(), hide_index=True, height=240)


try:
    chosen = controls()
    if chosen is not None:
        method = chosen.pop("method")
        step = build_step("dedup", method, chosen)
        if step.keep == "best_score" and step.score_column not in dataset.table.column_names:
            dataset = cache.with_metrics(dataset, [score_metrics()[step.score_column]])
        signatures = cache.dedup_signatures(dataset, step)
        graph = cache.dedup_graph(dataset, step, signatures)
        result = resolve_from_graph(step, signatures, graph)
        sizes = cluster_sizes(result)
        duplicates = result.ledger.num_rows
        totals = st.columns(4)
        totals[0].metric("Rows", f"{dataset.num_rows:,}")
        totals[1].metric("Clusters", f"{sizes.num_rows:,}")
        totals[2].metric("Duplicates (would be dropped)", f"{duplicates:,}")
        totals[3].metric("Kept", f"{dataset.num_rows - duplicates:,}",
                         f"-{duplicates / max(dataset.num_rows, 1):.1%}" if duplicates else None)
        similarity_histogram(step, nearest_similarity(dataset.num_rows, *graph))
        texts = dict(zip(dataset.ids, dedup_texts(dataset.table, step.fields)))
        cluster_view(result, sizes, texts)
        actions = st.columns(2)
        actions[0].download_button(
            "Download clusters (JSONL: id, cluster, kept_id, similarity, method)",
            b"".join(orjson.dumps(row) + b"\n" for row in result.ledger.to_pylist()),
            file_name=f"duplicates_{step.name}.jsonl", mime="application/x-ndjson")
        if actions[1].button("Add this dedup to the recipe", key="dedup_add_to_recipe"):
            recipe = dict(state.get(state.RECIPE) or {"version": 1, "steps": []})
            steps = [s for s in recipe.get("steps", []) if not (s.get("kind") == "dedup" and s.get("name") == step.name)]
            recipe["steps"] = steps + [step.to_entry()]
            state.put(state.RECIPE, recipe)
            st.toast(f"Added {step.name} dedup to the recipe (see Clean & Export)")
        decontamination(step)
except SieveError as error:
    st.error(str(error))
