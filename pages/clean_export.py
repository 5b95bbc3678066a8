"""Clean & Export: filters generated from the metrics' column specs, a live funnel, why each row went,
and downloads (cleaned data, rejected rows, the recipe YAML, a report)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from core.clean import (PAGE_GROUPS, VerdictCache, column_stats, filter_for_setting, page_recipe, refilter,
                        toggle_label, widget_kind)
from core.engine.plan import step_labels
from core.errors import SieveError
from core.export import (FORMAT_SUFFIX, assign_validation, build_report, chat_template_preview, normalize_table,
                         rejected_lines, split_paths)
from core.filters import LanguageDriftFilter, RegexFilter
from core.recipe import ExportSettings, Normalization, Split
from core.schema import TEXT_FIELDS, role_texts, table_to_records
from core.steps import Metric, build_step, get_step_class, list_steps
from ui import cache, state
from ui.widgets import render_conversation

GROUP_TITLES = {"quality": "Quality", "safety": "Safety", "duplicates": "Duplicates", "language": "Language",
                "validity": "Validity", "length": "Length"}
FORMAT_LABELS = {"openai": "OpenAI messages (JSONL)", "sharegpt": "ShareGPT (JSON)", "alpaca": "Alpaca (JSON)",
                 "parquet": "Parquet (canonical schema)"}
SAMPLE_ROWS = 200
KEPT_IDS = "clean.kept_ids"  # the page's kept ids after the last run (read by the parity test)
VERDICTS = "clean.verdicts"  # core.clean.VerdictCache: unchanged filters are not re-evaluated

st.title("Clean & Export")
dataset = state.dataset()


def metric_specs(cls) -> list:
    try:
        return cls().columns()
    except Exception:  # a metric that needs parameters cannot describe itself by default
        return []


def choose_metrics() -> list[Metric]:
    classes = [c for c in list_steps("metric") if any(s.group in PAGE_GROUPS for s in metric_specs(c))]
    titles = {c.name: c.title or c.name for c in classes}
    default = [c.name for c in classes if not c.uses_model]
    with st.expander("Metrics to filter on", expanded=False):
        st.caption("Each metric is computed once per dataset and cached; moving a filter only re-runs the filters. "
                   "Model-backed metrics are off by default (slower).")
        names = st.multiselect("Metrics", list(titles), default=default, format_func=titles.get, key="clean.metrics")
    return [build_step("metric", n, {"tokenizer": state.tokenizer()} if n == "token_length" else {}) for n in names]


def column_widget(spec, values: pa.ChunkedArray):
    """One widget for one column, chosen by its spec; returns the filter it means (or None)."""
    kind = widget_kind(spec)
    stats = column_stats(spec, values)
    key, help_text = f"clean.f.{spec.name}", spec.description + (f" ({spec.unit})" if spec.unit else "")
    if kind in ("max", "min", "range"):
        if stats.low == stats.high:
            st.caption(f"`{spec.name}`: {stats.low:g} on every row")
            return None
        is_int = spec.dtype == "int"
        low, high = (int(stats.low), int(stats.high)) if is_int else (stats.low, stats.high)
        step = 1 if is_int else stats.step
        default = {"max": high, "min": low, "range": (low, high)}[kind]
        label = {"max": f"{spec.name} at most", "min": f"{spec.name} at least", "range": f"{spec.name} between"}[kind]
        value = st.slider(label, low, high, default, step=step, key=key, help=help_text)
    elif kind == "multiselect":
        if not stats.categories:
            return None
        value = st.multiselect(f"{spec.name}: keep", stats.categories, default=stats.categories, key=key, help=help_text)
    else:
        value = st.toggle(toggle_label(spec), key=key, help=help_text)
    return filter_for_setting(spec, stats, value)


def schema_slider(cls, field: str, label: str, key: str):
    """A slider whose bounds and default come from a step's parameter schema."""
    prop = cls.model_json_schema()["properties"][field]
    return st.slider(label, float(prop.get("minimum", 0.0)), float(prop.get("maximum", 1.0)),
                     float(prop.get("default", 0.5)), step=0.01, key=key, help=prop.get("description"))


def dedup_controls() -> list:
    steps = []
    methods = {"none": "No near-duplicate removal", "exact": "Exact (normalized text)",
               "minhash": "MinHash (shared word n-grams)", "embedding": "Embeddings (same meaning; slow)"}
    method = st.selectbox("Duplicates", list(methods), format_func=methods.get, key="clean.dedup")
    if method != "none":
        cls = get_step_class("dedup", method)
        params = {}
        if "threshold" in cls.model_fields:
            params["threshold"] = schema_slider(cls, "threshold", "Similarity threshold", f"clean.dedup.{method}")
        params["keep"] = st.selectbox("Keep in each cluster", ["first", "longest"], key="clean.dedup.keep")
        steps.append(build_step("dedup", method, params))
    if st.toggle("Drop a response given to many different prompts (canned answers)", key="clean.repeated"):
        minimum = get_step_class("dedup", "repeated_response").model_json_schema()["properties"]["min_prompts"]
        n = st.number_input("… repeated for at least this many prompts", min_value=int(minimum["minimum"]),
                            value=int(minimum["default"]), key="clean.repeated.n")
        steps.append(build_step("dedup", "repeated_response", {"min_prompts": int(n)}))
    return steps


def drift_controls(table: pa.Table) -> list:
    if not st.toggle("Drop language drift (answer in another language than the prompt)", key="clean.drift"):
        return []
    if "response_language" not in table.column_names:
        st.warning("Add the Language metric above to use this filter.")
        return []
    min_chars = st.number_input("Only judge prompts and answers with at least this many characters",
                                min_value=0, value=20, key="clean.drift.chars")
    return [LanguageDriftFilter(min_chars=int(min_chars))]


def validator_controls() -> list:
    filters = []
    columns = st.columns(2)
    field = columns[0].selectbox("Text to check", TEXT_FIELDS, index=TEXT_FIELDS.index("response"), key="clean.rx.field")
    banned = columns[1].text_input("Drop rows matching (regex)", key="clean.rx.banned",
                                   placeholder=r"(?i)as an ai language model")
    required = columns[1].text_input("Keep only rows matching (regex)", key="clean.rx.required")
    for pattern, mode in ((banned, "must_not_match"), (required, "must_match")):
        if pattern:
            try:
                filters.append(RegexFilter(pattern=pattern, field=field, mode=mode))
            except ValueError as exc:
                st.error(str(exc).splitlines()[-1])
    schema_text = st.text_area("JSON responses must satisfy this JSON Schema", key="clean.schema",
                               placeholder='{"type": "object", "required": ["name"]}')
    if schema_text.strip():
        try:
            filters.append(build_step("filter", "json_schema", {"schema": json.loads(schema_text)}))
        except (json.JSONDecodeError, SieveError) as exc:
            st.error(f"JSON Schema: {exc}")
    return filters


metrics = choose_metrics()
try:
    table = cache.with_metrics(dataset, metrics).table
except SieveError as exc:
    st.error(str(exc))
    st.stop()

filters, dedups = [], []
specs_by_group: dict[str, list] = {g: [] for g in PAGE_GROUPS}
for metric in metrics:
    for spec in metric.columns():
        if widget_kind(spec) and spec.group in specs_by_group and spec.name in table.column_names:
            specs_by_group[spec.group].append(spec)
# Filters on the left, their effect on the right, both in view while a slider moves.
filter_col, result_col = st.columns([2, 3], gap="large")
with filter_col:
    tabs = st.tabs([GROUP_TITLES[g] for g in PAGE_GROUPS] + ["Custom"])
for group, tab in zip(PAGE_GROUPS, tabs):
    with tab:
        if group == "duplicates":
            dedups = dedup_controls()
        if group == "language":
            filters += drift_controls(table)
        for spec in specs_by_group[group]:
            step = column_widget(spec, table.column(spec.name))
            if step is not None:
                filters.append(step)
        if not specs_by_group[group] and group not in ("duplicates", "language"):
            st.caption("No metric of this group is selected.")
with tabs[-1]:
    filters += validator_controls()

steps = [*dedups, *filters]
labels = step_labels(steps)
try:
    ledgers = {label: cache.dedup_ledger(dataset, step, label) for step, label in zip(steps, labels)
               if step.kind == "dedup"}
    verdicts = st.session_state.setdefault(VERDICTS, VerdictCache())
    table_key = dataset.fingerprint + json.dumps([cache.step_key(m) for m in metrics])
    started = time.perf_counter()
    outcome = refilter(table, steps, ledgers, verdicts.verdict_of(table_key))
    core_ms = (time.perf_counter() - started) * 1000
except SieveError as exc:
    st.error(str(exc))
    st.stop()
st.session_state[KEPT_IDS] = outcome.kept_ids()

# ---------------------------------------------------------------- funnel and reasons
dropped_rows = outcome.ledger.num_rows
with result_col:
    top = st.columns(4)
    top[0].metric("Input rows", f"{dataset.num_rows:,}")
    top[1].metric("Kept rows", f"{outcome.kept_rows:,}")
    top[2].metric("Dropped rows", f"{dropped_rows:,}")
    top[3].metric("Filter time", f"{core_ms:.0f} ms", help="Core time of the last re-filter (metrics are cached)")
    funnel_fig = go.Figure(go.Funnel(y=[s for s, _ in outcome.funnel], x=[n for _, n in outcome.funnel],
                                     textinfo="value+percent initial"))
    funnel_fig.update_layout(title="Rows left after each step", height=300, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(funnel_fig, width="stretch")
    reasons = list(outcome.by_reason.items())[:25]
    reason_fig = go.Figure(go.Bar(y=[r for r, _ in reasons][::-1], x=[n for _, n in reasons][::-1], orientation="h"))
    reason_fig.update_layout(title="Dropped rows by reason (click a bar)", height=300, margin=dict(l=10, r=10, t=40, b=10))
    event = None
    if reasons:
        event = st.plotly_chart(reason_fig, width="stretch", on_select="rerun", key="clean.reason_chart")
    else:
        st.caption("Nothing is dropped yet: move a slider or switch on a toggle on the left.")
picked_reason = next((p.get("y") for p in (event.selection.points if event else [])), None) if reasons else None

# ---------------------------------------------------------------- kept and dropped side by side
ids = table.column("id")


def preview_frame(rows: pa.Table) -> pd.DataFrame:
    return pd.DataFrame({"id": rows.column("id").to_pylist(),
                         "prompt": [t[:120] for t in role_texts(rows, "last_prompt")],
                         "response": [t[:160] for t in role_texts(rows, "last_response")]})


def rows_by_id(wanted: pa.Array) -> pa.Table:
    """Rows of the full table with these ids, in the order given."""
    return table.take(pc.index_in(wanted, value_set=ids))


ledger_view = outcome.ledger
if picked_reason:
    ledger_view = ledger_view.filter(pc.equal(ledger_view.column("reason"), picked_reason))
    st.caption(f"Showing the rows dropped for **{picked_reason}** (click the bar again to clear).")
kept_head = outcome.kept_head(SAMPLE_ROWS)
kept_col, dropped_col = st.columns(2)
kept_col.subheader(f"Kept ({outcome.kept_rows:,})")


def open_selected(table_key: str, shown_ids: list[str]):
    """A callback: the row picked in a table becomes the searched id (runs before the rerun)."""
    def callback() -> None:
        rows = st.session_state[table_key].selection.rows
        if rows:
            st.session_state["clean.search"] = shown_ids[rows[0]]
            state.put(state.SELECTED_ID, shown_ids[rows[0]])
    return callback


kept_frame = preview_frame(kept_head)
kept_col.dataframe(kept_frame, hide_index=True, selection_mode="single-row", key="clean.kept_table",
                   on_select=open_selected("clean.kept_table", kept_frame["id"].tolist()))
dropped_col.subheader(f"Dropped ({ledger_view.num_rows:,})")
shown_ledger = ledger_view.slice(0, SAMPLE_ROWS)
dropped_frame = preview_frame(rows_by_id(shown_ledger.column("id")))
dropped_frame.insert(1, "reason", shown_ledger.column("reason").to_pylist())
dropped_frame.insert(2, "value", shown_ledger.column("value").to_pylist())
dropped_col.dataframe(dropped_frame, hide_index=True, selection_mode="single-row", key="clean.dropped_table",
                      on_select=open_selected("clean.dropped_table", dropped_frame["id"].tolist()))

# ---------------------------------------------------------------- why did this row go?
st.subheader("Why did a row go?")
st.caption("Type an id, or pick a row in either table above.")
search = st.text_input("Row id", key="clean.search")
if search:
    hit = outcome.ledger.filter(pc.equal(outcome.ledger.column("id"), search))
    found = rows_by_id(pa.array([search]))
    if found.num_rows == 0 or found.column("id")[0].as_py() is None:
        st.info(f"No row with id `{search}`.")
    else:
        if hit.num_rows:
            entry = hit.to_pylist()[0]
            twin = f"; kept twin `{entry['kept_id']}` (similarity {entry['similarity']:.2f})" if entry["kept_id"] else ""
            st.warning(f"Dropped by **{entry['step']}**: {entry['reason']} (value {entry['value']}, "
                       f"threshold {entry['threshold']}){twin}")
        else:
            st.success("Kept: no step dropped this row.")
        render_conversation(table_to_records(found)[0])

# ---------------------------------------------------------------- export
st.header("Export")
c1, c2, c3 = st.columns(3)
fmt = c1.selectbox("Format", list(FORMAT_LABELS), format_func=FORMAT_LABELS.get, key="clean.format")
whitespace = c2.checkbox("Normalize whitespace", value=True, key="clean.ws",
                         help=Normalization.model_fields["whitespace"].description)
unescape = c2.checkbox("Fix escaping (HTML entities, literal \\n)", value=False, key="clean.unescape",
                       help=Normalization.model_fields["unescape"].description)
unicode = c2.selectbox("Unicode form", ["NFC", "NFKC", None], key="clean.unicode",
                       format_func=lambda v: v or "leave as is")
fraction = c3.slider("Validation share", 0.0, 0.5, 0.0, step=0.01, key="clean.val")
seed = c3.number_input("Split seed", value=0, step=1, key="clean.seed")
category_columns = [spec.name for metric in metrics for spec in metric.columns()
                    if spec.dtype == "category" and spec.name in table.column_names]
stratify = c3.selectbox("Stratify by", [None, *category_columns], key="clean.stratify",
                        format_func=lambda v: v or "no stratification")
export = ExportSettings(format=fmt, normalization=Normalization(whitespace=whitespace, unescape=unescape, unicode=unicode),
                        split=Split(validation_fraction=fraction, seed=int(seed), stratify_by=stratify))
recipe = page_recipe(metrics, dedups, filters, export)
state.put(state.RECIPE, recipe.model_dump(mode="json"))

with st.expander("Chat-template preview"):
    source = st.radio("Template", ["mistral", "local tokenizer folder"], horizontal=True, key="clean.template",
                      format_func=lambda v: "Mistral v1 instruct (mistral-common)" if v == "mistral" else v)
    folder = st.text_input("Tokenizer folder (with a chat_template)", key="clean.template_dir") if source != "mistral" else ""
    if (source == "mistral" or folder) and outcome.kept_rows:
        try:
            for item in chat_template_preview(table_to_records(normalize_table(outcome.kept_head(3), export.normalization)),
                                              folder or "mistral"):
                st.caption(f"{item['id']} · {item['tokens']} tokens")
                st.code(item["text"], language=None, wrap_lines=True)
        except SieveError as exc:
            st.error(str(exc))


def kept_export_table() -> pa.Table:
    return normalize_table(outcome.kept, export.normalization)


def written(part: pa.Table, name: str) -> bytes:
    from core.load import write_dataset
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        write_dataset(part, path, to=fmt)
        return path.read_bytes()


base = f"{Path(dataset.name).stem}.clean{FORMAT_SUFFIX[fmt]}"
downloads = st.columns(4)
if fraction > 0:
    names = [p.name for p in split_paths(base)]
    with downloads[0]:
        for name, want in zip(names, (False, True)):
            def part(want=want, name=name) -> bytes:
                kept = kept_export_table()
                strata = kept.column(stratify).to_pylist() if stratify else None
                mask = assign_validation(kept.column("id").to_pylist(), fraction, int(seed), strata) == want
                return written(kept.filter(pa.array(mask)), name)
            st.download_button(f"⬇ {name}", part, file_name=name, key=f"clean.dl.{name}", on_click="ignore")
else:
    downloads[0].download_button("⬇ Cleaned data", lambda: written(kept_export_table(), base), file_name=base,
                                 key="clean.dl.data", on_click="ignore", type="primary")
downloads[1].download_button(
    "⬇ Rejected rows + reasons",
    lambda: b"".join(rejected_lines(outcome.ledger, rows_by_id(outcome.ledger.column("id")))),
    file_name=f"{Path(dataset.name).stem}.rejected.jsonl", key="clean.dl.rejected", on_click="ignore")
downloads[2].download_button("⬇ Recipe (YAML)", recipe.to_yaml(), file_name="recipe.yaml", key="clean.dl.recipe",
                             on_click="ignore")
summary = {"input_rows": dataset.num_rows, "kept_rows": outcome.kept_rows, "dropped_rows": dropped_rows,
           "by_reason": outcome.by_reason, "funnel": outcome.funnel}
thresholded = [c for f in filters for c in f.required_columns()]
downloads[3].download_button("⬇ Report (HTML)", lambda: build_report(summary, recipe, table, outcome.kept, thresholded),
                             file_name="cleaning-report.html", key="clean.dl.report", on_click="ignore")
st.caption("Run the same cleaning from a terminal: `python -m core run recipe.yaml --input DATA --output "
           f"{base} --rejected rejected.jsonl`")

# ---------------------------------------------------------------- a saved recipe
st.header("Run a saved recipe")
st.caption("Check what a recipe YAML (from this page or written by hand) does to the current dataset. "
           "Plugin steps run only from the CLI with --allow-plugins: this page refuses them.")
upload_col, paste_col = st.columns(2)
uploaded_recipe = upload_col.file_uploader("Recipe YAML", type=["yaml", "yml"], key="clean.recipe_file")
pasted_recipe = paste_col.text_area("…or paste it", key="clean.recipe_text", height=140)
recipe_text, recipe_source = ((uploaded_recipe.getvalue().decode("utf-8", "replace"), uploaded_recipe.name)
                              if uploaded_recipe else (pasted_recipe, "pasted recipe"))
if recipe_text.strip():
    from core.engine.local import run_table
    from core.recipe import Recipe

    try:
        saved = Recipe.from_yaml(recipe_text, recipe_source)  # allow_plugins stays False here, always
        saved_steps = saved.build_steps()
        scored = cache.with_metrics(dataset, [s for s in saved_steps if isinstance(s, Metric)]).table
        saved_kept, _, saved_summary = run_table([s for s in saved_steps if not isinstance(s, Metric)], scored)
    except SieveError as exc:
        st.error(str(exc))
    else:
        st.success(f"{recipe_source}: {saved_summary.kept_rows:,} of {saved_summary.input_rows:,} rows kept, "
                   f"{saved_summary.dropped_rows:,} dropped.")
        st.dataframe(pd.DataFrame({"reason": list(saved_summary.by_reason), "rows": list(saved_summary.by_reason.values())}),
                     hide_index=True)
        saved_name = f"{Path(dataset.name).stem}.clean{FORMAT_SUFFIX[saved.export.format]}"

        def saved_bytes() -> bytes:
            from core.load import write_dataset
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / saved_name
                write_dataset(normalize_table(saved_kept, saved.export.normalization), path, to=saved.export.format)
                return path.read_bytes()
        st.download_button("⬇ Cleaned data (saved recipe)", saved_bytes, file_name=saved_name,
                           key="clean.dl.saved", on_click="ignore")
