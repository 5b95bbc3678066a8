"""Topics: what the dataset is about — a map of clusters, their labels and sizes, word clouds, diversity."""

from __future__ import annotations


import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.embeddings import describe, is_ready, is_static
from core.errors import SieveError
from core.schema import role_texts
from core.topics import umap_available, word_cloud
from ui import cache, state
from ui.inspect_views import selected_rows
from ui.widgets import conversation_picker, embedding_model_picker

FIELDS = {"instruction": "Instruction (first user turn)", "prompt": "Prompt (all user turns)",
          "response": "Response (all assistant turns)"}
MAX_MAP_POINTS = 20_000
SLOW_MODEL_ROWS = 2_000  # above this, a transformer model waits for a click (~30 rows/s on CPU)
PREVIEW_CHARS = 120

st.title("Topics")
st.caption("Sentence embeddings → clusters labelled by their most distinctive words (c-TF-IDF) → a 2-D map. "
           "Select points or clusters to see the rows behind them.")
dataset = state.dataset()
if dataset.num_rows == 0:
    st.info("The dataset is empty.")
    st.stop()


controls = st.columns([1.2, 1.4, 1, 1, 1])
field = controls[0].selectbox("Text", list(FIELDS), format_func=FIELDS.get, key="topics.field")
with controls[1]:
    model = embedding_model_picker("topics")
method = controls[2].radio("Clustering", ["kmeans", "hdbscan"], key="topics.method", horizontal=True,
                           format_func={"kmeans": "k-means", "hdbscan": "HDBSCAN"}.get)
params: dict = {"method": method}
with controls[3]:
    if method == "kmeans":
        auto_k = st.toggle("Estimate k", value=True, key="topics.auto_k",
                           help="Best silhouette for k = 2…16 on a sample")
        params["k"] = None if auto_k else st.number_input("k", 2, 200, 10, key="topics.k")
    else:
        params["min_cluster_size"] = st.number_input(
            "Min cluster size", 2, 10_000, max(10, dataset.num_rows // 200), key="topics.min_size",
            help="HDBSCAN calls rows in no group of at least this many 'outliers'")
projections = ["pca", "umap"] if umap_available() else ["pca"]
params["projection"] = controls[4].selectbox("Map", projections, key="topics.projection",
                                             format_func={"pca": "PCA", "umap": "UMAP"}.get)
if model is None:
    st.stop()
st.caption(f"Model: {describe(model)}.")

slow = not is_static(model) and dataset.num_rows > SLOW_MODEL_ROWS
if slow and not st.session_state.get(f"topics.go.{dataset.fingerprint}.{field}.{model}"):
    st.info(f"Embedding {dataset.num_rows:,} rows with this model takes about "
            f"{dataset.num_rows / 30 / 60:.0f} min on a CPU; the static model takes seconds.")
    if not st.button("Embed anyway", key="topics.go"):
        st.stop()
    st.session_state[f"topics.go.{dataset.fingerprint}.{field}.{model}"] = True
if not is_ready(model):
    st.caption("Building the static model from the bundled MiniLM (one time, ~30 s)…")

try:
    result = cache.topics(dataset, field, model, **params)
except SieveError as exc:
    st.error(str(exc))
    st.stop()

# ---------------------------------------------------------------- diversity KPIs
d = result.diversity


def fmt(value: float, digits: int = 3) -> str:
    return "—" if value != value else f"{value:.{digits}f}"  # NaN: no n-grams / fewer than 2 texts


kpis = st.columns(5)
kpis[0].metric("Topics", f"{sum(c.id >= 0 for c in result.clusters):,}",
               help="Clusters found (HDBSCAN outliers not counted)")
kpis[1].metric("Cluster entropy", f"{fmt(d.cluster_entropy_bits, 2)} bits",
               delta=f"{fmt(d.cluster_entropy_normalized, 2)} of max", delta_color="off", delta_arrow="off",
               help="Shannon entropy of cluster sizes; 'of max' = entropy / log2(clusters), 1 = evenly spread")
kpis[2].metric("Distinct-1", fmt(d.distinct_1), help="Unique words / all words")
kpis[3].metric("Distinct-2", fmt(d.distinct_2), help="Unique word bigrams / all bigrams (within rows)")
kpis[4].metric("Mean pairwise distance", fmt(d.mean_pairwise_distance),
               help="Mean cosine distance over all pairs of rows (exact); higher = more varied")


# ---------------------------------------------------------------- map
@st.cache_data(max_entries=16, show_spinner=False)
def previews(_table, fingerprint: str, text_field: str) -> list[str]:
    out = []
    for text in role_texts(_table, text_field):
        text = " ".join(text.split())
        out.append(text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS - 1] + "…")
    return out


texts = previews(dataset.table, dataset.fingerprint, field)
ids = np.asarray(dataset.ids, dtype=object)
shown = np.arange(dataset.num_rows)
if len(shown) > MAX_MAP_POINTS:
    shown = np.sort(np.random.default_rng(0).choice(shown, MAX_MAP_POINTS, replace=False))
    st.caption(f"The map shows a uniform sample of {MAX_MAP_POINTS:,} of {dataset.num_rows:,} rows.")
fig, trace_rows = go.Figure(), []
for cluster in result.clusters:
    rows = shown[result.cluster_ids[shown] == cluster.id]
    trace_rows.append(rows)
    fig.add_trace(go.Scattergl(
        x=result.x[rows], y=result.y[rows], mode="markers", name=f"{cluster.id} · {cluster.label} ({cluster.size:,})",
        marker=dict(size=6, opacity=0.7, color="lightgrey" if cluster.id < 0 else None),
        customdata=np.stack([ids[rows], np.asarray(texts, dtype=object)[rows]], axis=1) if len(rows) else None,
        hovertemplate="id %{customdata[0]}<br>%{customdata[1]}<extra>" + cluster.label + "</extra>"))
fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), dragmode="lasso",
                  legend=dict(title="topic", itemsizing="constant"),
                  xaxis=dict(showticklabels=False, title=""), yaxis=dict(showticklabels=False, title=""))
event = st.plotly_chart(fig, on_select="rerun", key="topics.map", selection_mode=("points", "box", "lasso"))
picked_points = selected_rows(event, trace_rows)

# ---------------------------------------------------------------- cluster table and word clouds
@st.cache_data(max_entries=32, show_spinner=False)
def cloud_image(weights: tuple) -> np.ndarray | None:
    """The word cloud for these weights, drawn once: selecting points or rows reruns the page."""
    return word_cloud(weights)


left, right = st.columns([3, 2])
with left:
    st.subheader("Clusters")
    table = result.cluster_frame()
    table_event = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
        key="topics.clusters", column_config={
            "label": st.column_config.TextColumn(width="medium"),
            "share": st.column_config.ProgressColumn("share", format="percent", min_value=0, max_value=1, width="small"),
            "cohesion": st.column_config.NumberColumn(format="%.2f", help="Mean cosine of members to their centroid")})
    picked_clusters = [int(table["cluster"].iloc[i]) for i in (table_event.selection.rows if table_event else [])]
    if result.k_scores and len(result.clusters) <= 3:
        st.caption("The silhouette favours a few broad groups here (often a split by language or by "
                   "code vs prose); turn off *Estimate k* and set k for finer topics.")
    if result.k_scores:
        with st.expander(f"How k = {len([c for c in result.clusters if c.id >= 0])} was chosen"):
            scores = pd.DataFrame({"k": list(result.k_scores), "silhouette": list(result.k_scores.values())})
            st.line_chart(scores, x="k", y="silhouette", height=200)
with right:
    st.subheader("Word cloud")
    options = ["all rows", *[c.id for c in result.clusters if c.terms]]
    default = options.index(picked_clusters[0]) if picked_clusters and picked_clusters[0] in options else 0
    which = st.selectbox("Cloud of", options, index=default, key="topics.cloud",
                         format_func=lambda c: c if c == "all rows" else f"{c} · {result.cluster(c).label}")
    weights = result.overall_terms if which == "all rows" else result.cluster(which).terms
    image = cloud_image(tuple(weights))
    if image is None:
        st.caption("No words to draw (texts are empty or only stop words).")
    else:
        st.image(image, width="stretch",
                 caption="word counts" if which == "all rows" else "c-TF-IDF weights: what sets this topic apart")

# ---------------------------------------------------------------- rows behind the selection
rows = np.union1d(picked_points, np.flatnonzero(np.isin(result.cluster_ids, picked_clusters)))
st.subheader("Rows")
if len(rows) == 0:
    st.caption("Lasso or click points on the map, or tick clusters in the table, to see their rows.")
else:
    st.markdown(f"**{len(rows):,} rows selected**: pick one to read it as a conversation.")
    labelled = dataset.with_columns({"cluster": result.cluster_ids, "topic": result.labels()})
    conversation_picker(labelled, ids[rows].tolist(), key="topics.rows", columns=("cluster", "topic"))

downloads = st.columns(2)
downloads[0].download_button("Download row topics (CSV)", result.rows_frame(dataset.ids).to_csv(index=False),
                             file_name=f"{dataset.name}-topics.csv", mime="text/csv")
downloads[1].download_button("Download cluster table (CSV)", table.to_csv(index=False),
                             file_name=f"{dataset.name}-clusters.csv", mime="text/csv")
