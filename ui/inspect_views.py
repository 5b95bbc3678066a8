"""Shared pieces of the Inspect pages: the metric frame, selectable charts, and the rows behind a selection.

Every chart returns the positional rows the user selected (plotly selection events); `rows_panel`
lists them and opens one as a rendered conversation. Bins, units and directions come from the
metrics' ColumnSpecs, never from the page.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.errors import SieveError
from core.schema import Dataset
from core.steps import ColumnSpec, Metric
from core.tokenizers import BUILTIN_TOKENIZERS, get_tokenizer
from ui import cache, state
from ui.widgets import conversation_picker

MAX_TABLE_ROWS = 2_000
MAX_SCATTER_POINTS = 20_000
CHART_HEIGHT = 320


def metric_frame(metrics: Sequence[Metric]) -> tuple[Dataset, pd.DataFrame]:
    """(dataset with the metrics' columns, a DataFrame of id and those columns), both cached."""
    try:
        dataset = cache.with_metrics(state.dataset(), metrics)
    except SieveError as exc:  # e.g. a tokenizer folder that does not load
        st.error(str(exc))
        st.stop()
    names = tuple(c.name for m in metrics for c in m.columns())
    return dataset, _frame(dataset, dataset.fingerprint, step_keys(metrics), names)


def step_keys(metrics: Sequence[Metric]) -> tuple[str, ...]:
    """What identifies the metrics' columns in the cache (name and parameters)."""
    return tuple(cache.step_key(m) for m in metrics)


@st.cache_data(max_entries=32, show_spinner=False)
def _frame(_dataset: Dataset, fingerprint: str, step_keys: tuple, names: tuple) -> pd.DataFrame:
    table = _dataset.table
    frame = table.select(list(names)).to_pandas()
    frame.insert(0, "id", table.column("id").to_pylist())
    return frame


def specs_of(metrics: Sequence[Metric]) -> dict[str, ColumnSpec]:
    return {c.name: c for m in metrics for c in m.columns()}


def axis_title(spec: ColumnSpec) -> str:
    """The label, with the unit in brackets where the label does not already say it."""
    label = spec.title
    implied = not spec.unit or spec.unit == "fraction" or spec.unit.rstrip("s") in label.lower() or "(" in label
    return label if implied else f"{label} ({spec.unit})"


def tokenizer_picker(key: str = "tokenizer_picker") -> str:
    """Choose the tokenizer (shared by every page through ui.state); returns its spec."""
    current = state.tokenizer()
    options = [*BUILTIN_TOKENIZERS, "local folder"]
    labels = {"mistral": "Mistral-7B-v0.1 (sentencepiece)", "cl100k": "OpenAI cl100k",
              "local folder": "Local Hugging Face tokenizer folder…"}
    choice = st.selectbox("Tokenizer", options, index=options.index(current) if current in options else 2,
                          format_func=labels.get, key=key)
    if choice != "local folder":
        state.put(state.TOKENIZER, choice)
        return choice
    folder = st.text_input("Tokenizer folder", value="" if current in BUILTIN_TOKENIZERS else current,
                           key=f"{key}_folder", help="A folder with tokenizer.json, or tokenizer.model and "
                                                     "tokenizer_config.json (nothing is downloaded)")
    if folder:
        try:
            get_tokenizer(folder)  # loads once per process; a folder that does not load is not kept
            state.put(state.TOKENIZER, folder)
            return folder
        except SieveError as exc:
            st.error(str(exc))
    st.caption("Counting with the Mistral tokenizer until a tokenizer folder loads.")
    return "mistral"


# ---------------------------------------------------------------- charts that select rows

def _layout(fig: go.Figure, x_title: str, y_title: str = "rows") -> go.Figure:
    fig.update_layout(height=CHART_HEIGHT, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=x_title,
                      yaxis_title=y_title, dragmode="select", clickmode="event+select",
                      legend=dict(orientation="h", y=1.12))
    return fig


def _points(event) -> list[dict]:
    selection = (event or {}).get("selection") or {}
    return list(selection.get("points") or [])


def selected_rows(event, trace_rows: list[np.ndarray]) -> np.ndarray:
    """Rows behind selected bars/points: each point names its trace and its data indices in that trace.

    A histogram bar carries `point_indices` (every value in the bin); a scatter point `point_index`.
    """
    rows: list[int] = []
    for point in _points(event):
        indices = point.get("point_indices")
        if not indices and point.get("point_index") is not None:
            indices = [point["point_index"]]
        trace = point.get("curve_number", 0)
        if indices and trace < len(trace_rows):
            # A selection kept from before the chart was redrawn (zoom, filter) may point past the new trace.
            indices = np.asarray(indices, dtype=np.int64)
            rows.extend(trace_rows[trace][indices[indices < len(trace_rows[trace])]].tolist())
    return np.unique(np.asarray(rows, dtype=np.int64))


def selected_groups(event, group_rows: list[np.ndarray], by: str) -> np.ndarray:
    """Rows of every selected group, where a point's `by` ("curve_number" or "point_index") names the group."""
    picked = sorted({p.get(by) for p in _points(event) if p.get(by) is not None})
    rows = [group_rows[i] for i in picked if i < len(group_rows)]
    return np.unique(np.concatenate(rows)).astype(np.int64) if rows else np.zeros(0, np.int64)


def histogram(frame: pd.DataFrame, columns: Sequence[str], specs: dict[str, ColumnSpec], key: str, *,
              vline: float | None = None, vline_label: str = "", log_y: bool = False,
              upper: float | None = None) -> np.ndarray:
    """Overlaid histograms of `columns` on shared bins (values above `upper` left out); returns selected rows."""
    values = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in columns]
    drawn = [np.isfinite(v) & (v <= upper if upper is not None else True) for v in values]
    finite = np.concatenate([v[m] for v, m in zip(values, drawn)]) if values else np.zeros(0)
    fig, trace_rows = go.Figure(), []
    if finite.size:
        spec = specs[columns[0]]
        edges = np.histogram_bin_edges(finite, bins=spec.bins or 50)
        # A hair wider than numpy's width: plotly bins are half-open, so the maximum (a score of exactly
        # 1.0) would otherwise get a bar of its own past the end of the axis.
        width = (edges[-1] - edges[0]) / (len(edges) - 1) * (1 + 1e-9) if len(edges) > 1 else 1.0
        size = max(width, 1.0 if spec.dtype == "int" else 1e-9)
        for column, v, mask in zip(columns, values, drawn):
            rows = np.flatnonzero(mask)
            trace_rows.append(rows)
            fig.add_histogram(x=v[rows], name=specs[column].title, opacity=0.7 if len(columns) > 1 else 1.0,
                              xbins=dict(start=float(edges[0]), end=float(edges[-1]) + size, size=float(size)))
    fig.update_layout(barmode="overlay", showlegend=len(columns) > 1)
    if log_y:
        fig.update_yaxes(type="log", dtick=1)  # ticks at 1, 10, 100… only
    if vline is not None and (upper is None or vline <= upper):
        fig.add_vline(x=vline, line_dash="dash", line_color="crimson", annotation_text=vline_label)
    _layout(fig, axis_title(specs[columns[0]]) if len(columns) == 1 else specs[columns[0]].unit or "")
    event = st.plotly_chart(fig, on_select="rerun", key=key, selection_mode=("points", "box"))
    hidden = sum(int((np.isfinite(v) & ~m).sum()) for v, m in zip(values, drawn))
    if hidden:
        st.caption(f"{hidden:,} values above {upper:,.0f} are not drawn.")
    return selected_rows(event, trace_rows)


BAR_COLOR = "#4f46e5"  # one colour for plain counts: a palette would suggest the categories mean good or bad
STATE_COLORS = {"valid": "#16a34a", "ok": "#16a34a", "broken": "#dc2626", "invalid": "#dc2626",
                "none": "#94a3b8", "unchecked": "#94a3b8"}


def bar_counts(frame: pd.DataFrame, column: str, key: str, *, order: Sequence[str] | None = None,
               split: str | None = None, x_title: str | None = None, top: int = 30,
               colors: dict[str, str] | None = None) -> np.ndarray:
    """Bar chart of the values of a categorical column (`split` explodes comma lists); returns selected rows.

    Bars share one colour unless `colors` maps a category to its own (e.g. STATE_COLORS for valid/broken).
    """
    values = frame[column].fillna("").astype(str)
    exploded = values.str.split(split) if split else values.map(lambda v: [v])
    long = exploded.explode()
    long = long[long != ""] if split else long.replace("", "(empty)")
    counts = long.value_counts()
    categories = [c for c in order if c in counts.index] if order else list(counts.index[:top])
    trace_rows = [np.asarray(long.index[long == c].unique(), dtype=np.int64) for c in categories]
    fig = go.Figure()
    for category, rows in zip(categories, trace_rows):
        fig.add_bar(x=[category], y=[len(rows)], name=category, text=[f"{len(rows):,}"], textposition="outside",
                    cliponaxis=False, marker_color=(colors or {}).get(category, BAR_COLOR))
    fig.update_layout(showlegend=False, uniformtext=dict(minsize=10, mode="show"))
    _layout(fig, x_title or column)
    event = st.plotly_chart(fig, on_select="rerun", key=key, selection_mode=("points", "box"))
    # Each bar is its own trace, so selecting a bar stands for every row in its category.
    return selected_groups(event, trace_rows, by="curve_number")


def scatter(frame: pd.DataFrame, x: str, y: str, specs: dict[str, ColumnSpec], key: str, *,
            seed: int = 0) -> np.ndarray:
    """Scatter of two numeric columns (sampled past MAX_SCATTER_POINTS); returns selected rows."""
    rows = np.arange(len(frame))
    if len(rows) > MAX_SCATTER_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_SCATTER_POINTS, replace=False))
        st.caption(f"Showing a uniform sample of {MAX_SCATTER_POINTS:,} of {len(frame):,} rows.")
    fig = go.Figure(go.Scattergl(x=frame[x].to_numpy()[rows], y=frame[y].to_numpy()[rows], mode="markers",
                                 marker=dict(size=5, opacity=0.5), text=frame["id"].to_numpy()[rows],
                                 hovertemplate="id %{text}<br>%{x}, %{y}<extra></extra>"))
    _layout(fig, axis_title(specs[x]), axis_title(specs[y]))
    event = st.plotly_chart(fig, on_select="rerun", key=key, selection_mode=("points", "box", "lasso"))
    return selected_rows(event, [rows])


def matrix(frame: pd.DataFrame, row_column: str, col_column: str, key: str, *, top: int = 10,
           row_title: str = "", col_title: str = "") -> np.ndarray:
    """A count matrix drawn as square markers (selectable, unlike a plotly heatmap); returns selected rows."""
    def capped(series: pd.Series) -> pd.Series:
        series = series.fillna("").replace("", "(empty)")
        keep = set(series.value_counts().index[:top])
        return series.where(series.isin(keep), "other")

    rows_cat, cols_cat = capped(frame[row_column].astype(str)), capped(frame[col_column].astype(str))
    groups = pd.DataFrame({"r": rows_cat, "c": cols_cat}).groupby(["r", "c"]).indices
    cells = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    counts = np.array([len(idx) for _, idx in cells], dtype=np.float64)
    shade = np.log10(counts + 1) / np.log10(counts.max() + 1) if len(counts) else counts
    fig = go.Figure(go.Scatter(
        x=[c for (_, c), _ in cells], y=[r for (r, _), _ in cells], mode="markers+text",
        text=[f"{int(n):,}" for n in counts], textposition="middle center",
        textfont=dict(color=["white" if s > 0.55 else "#1f2937" for s in shade]),
        marker=dict(symbol="square", size=22 + 30 * np.sqrt(counts / counts.max()) if len(counts) else [],
                    color=shade, cmin=0, cmax=1, colorscale=[[0, "#dbeafe"], [1, "#1e3a8a"]], showscale=False,
                    line=dict(width=1, color="#64748b")),
        unselected=dict(marker=dict(opacity=0.5)),
        hovertemplate=f"{row_title or row_column} %{{y}} → {col_title or col_column} %{{x}}: %{{text}} rows<extra></extra>"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    _layout(fig, col_title or col_column, row_title or row_column)
    fig.update_layout(height=max(CHART_HEIGHT, 40 * len({r for (r, _), _ in cells}) + 120))
    event = st.plotly_chart(fig, on_select="rerun", key=key, selection_mode=("points", "box", "lasso"))
    return selected_groups(event, [np.asarray(rows, dtype=np.int64) for _, rows in cells], by="point_index")


# ---------------------------------------------------------------- rows behind a selection

def rows_panel(dataset: Dataset, frame: pd.DataFrame, rows: np.ndarray, columns: Sequence[str], key: str, *,
               empty_hint: str = "Drag a box over bars (or click one) to see the rows behind them.") -> None:
    """The selected rows as a table (with `columns`); picking one opens it as a rendered conversation."""
    if len(rows) == 0:
        st.caption(empty_hint)
        return
    st.markdown(f"**{len(rows):,} rows selected**")
    conversation_picker(dataset, frame["id"].to_numpy()[rows].tolist(), key=key, columns=columns,
                        max_rows=MAX_TABLE_ROWS)
