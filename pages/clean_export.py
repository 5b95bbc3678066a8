"""Clean & Export: filters generated from the metrics' column specs, a live funnel, why each row went,
and downloads (cleaned data, rejected rows, the recipe YAML, a report)."""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from core.clean import (PAGE_GROUPS, REDACT_ACTIONS, VerdictCache, column_stats, filter_for_setting, page_recipe,
                        readable_reason, refilter, setting_for_filter, split_by_kind, toggle_label, widget_kind,
                        widget_label)
from core.engine.plan import step_labels
from core.errors import SieveError
from core.export import (FORMAT_SUFFIX, assign_validation, build_report, chat_template_preview, normalize_table,
                         rejected_lines, split_paths)
from core.filters import LanguageDriftFilter, RegexFilter
from core.pii.detect import PII_LABELS, PII_TYPES
from core.recipe import ExportSettings, Normalization, Recipe, Split
from core.schema import TEXT_FIELDS, role_texts, table_to_records
from core.steps import Metric, build_step, get_step_class
from ui import cache, state
from ui.clean_steps import (LOAD_MESSAGE, PENDING, WRITTEN, adopt_other_pages_steps, describe,
                            load_saved_recipe, offered_metric_classes, outside_steps, page_metric_params, remove_outside)
from ui.widgets import render_conversation

GROUP_TITLES = {"quality": "Quality", "safety": "Safety", "duplicates": "Duplicates", "language": "Language",
                "validity": "Validity", "length": "Length"}
FORMAT_LABELS = {"openai": "OpenAI messages (JSONL)", "sharegpt": "ShareGPT (JSON)", "alpaca": "Alpaca (JSON)",
                 "parquet": "Parquet (canonical schema)"}
SAMPLE_ROWS = 200
KEPT_IDS = "clean.kept_ids"  # the page's kept ids after the last run (read by the parity test)
VERDICTS = "clean.verdicts"  # core.clean.VerdictCache: unchanged filters are not re-evaluated
SAVED_RUN = "clean.saved_run"  # (key, recipe, kept, summary) of the saved recipe's last run

st.title("Clean & Export")
dataset = state.dataset()


adopt_other_pages_steps()
with st.expander("Start from a saved recipe", expanded=bool(st.session_state.get("clean.recipe_text"))):
    st.caption("Upload or paste a recipe YAML (from this page or written by hand): **Load into the filters** sets "
               "the sliders to it; steps no widget expresses are kept as extra steps and still run. Plugin steps "
               "run only from the CLI with --allow-plugins: this page refuses them.")
    upload_col, paste_col = st.columns(2)
    uploaded_recipe = upload_col.file_uploader("Recipe YAML", type=["yaml", "yml"], key="clean.recipe_file")
    pasted_recipe = paste_col.text_area("…or paste it", key="clean.recipe_text", height=140)
    st.button("Load into the filters", key="clean.recipe_load", on_click=load_saved_recipe)
message = st.session_state.pop(LOAD_MESSAGE, None)
if message:
    (st.error if message.startswith("error:") else st.success)(message.removeprefix("error:"))


def choose_metrics() -> list[Metric]:
    classes = offered_metric_classes()
    titles = {c.name: c.title or c.name for c in classes}
    st.session_state.setdefault("clean.metrics", [c.name for c in classes if not c.uses_model])
    with st.expander("Metrics to filter on", expanded=False):
        st.caption("Each metric is computed once per dataset and cached; moving a filter only re-runs the filters. "
                   "Model-backed metrics are off by default (slower).")
        names = st.multiselect("Metrics", list(titles), format_func=titles.get, key="clean.metrics")
    return [build_step("metric", n, page_metric_params(n)) for n in names]


def column_widget(spec, values: pa.ChunkedArray):
    """One widget for one column, chosen by its spec; returns the filter it means (or None)."""
    kind = widget_kind(spec)
    stats = column_stats(spec, values)
    key = f"clean.f.{spec.name}"
    help_text = f"`{spec.name}`: {spec.description}" + (f" ({spec.unit})" if spec.unit else "")
    ss = st.session_state
    pending = ss.get(PENDING, {}).pop(spec.name, None)
    if kind in ("max", "min", "range"):
        if stats.low == stats.high:
            st.caption(f"{spec.title} (`{spec.name}`): {stats.low:g} on every row")
            return None
        is_int = spec.dtype == "int"
        cast = int if is_int else float
        low, high = cast(stats.low), cast(stats.high)
        if pending is not None:
            ss[key] = setting_for_filter(spec, stats, pending["params"])
        if key in ss:  # a value from a loaded recipe or another dataset: keep it on this slider's scale
            ss[key] = (tuple(cast(min(max(v, low), high)) for v in ss[key]) if kind == "range"
                       else cast(min(max(ss[key], low), high)))
        ss.setdefault(key, {"max": high, "min": low, "range": (low, high)}[kind])
        value = st.slider(widget_label(spec), low, high, step=1 if is_int else stats.step, key=key, help=help_text)
    elif kind == "multiselect":
        if not stats.categories:
            return None
        if pending is not None:
            ss[key] = setting_for_filter(spec, stats, pending["params"])
        ss.setdefault(key, stats.categories)
        ss[key] = [c for c in ss[key] if c in stats.categories]
        value = st.multiselect(widget_label(spec), stats.categories, key=key, help=help_text)
    else:
        if pending is not None:
            ss[key] = True
        value = st.toggle(toggle_label(spec), key=key, help=help_text)
    return filter_for_setting(spec, stats, value)


def schema_slider(cls, field: str, label: str, key: str):
    """A slider whose bounds and default come from a step's parameter schema."""
    prop = cls.model_json_schema()["properties"][field]
    st.session_state.setdefault(key, float(prop.get("default", 0.5)))
    return st.slider(label, float(prop.get("minimum", 0.0)), float(prop.get("maximum", 1.0)), step=0.01, key=key,
                     help=prop.get("description"))


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
        st.session_state.setdefault("clean.repeated.n", int(minimum["default"]))
        n = st.number_input("… repeated for at least this many prompts", min_value=int(minimum["minimum"]),
                            key="clean.repeated.n")
        steps.append(build_step("dedup", "repeated_response", {"min_prompts": int(n)}))
    return steps


def drift_controls(table: pa.Table) -> list:
    if not st.toggle("Drop language drift (answer in another language than the prompt)", key="clean.drift"):
        return []
    if "response_language" not in table.column_names:
        st.warning("Add the Language metric above to use this filter.")
        return []
    st.session_state.setdefault("clean.drift.chars", 20)
    min_chars = st.number_input("Only judge prompts and answers with at least this many characters",
                                min_value=0, key="clean.drift.chars")
    return [LanguageDriftFilter(min_chars=int(min_chars))]


def validator_controls() -> list:
    filters = []
    columns = st.columns(2)
    st.session_state.setdefault("clean.rx.field", "response")
    field = columns[0].selectbox("Text to check", TEXT_FIELDS, key="clean.rx.field")
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


def redact_controls() -> list:
    """The redact_pii transform, per-type actions; it rewrites only the exported text (it runs last)."""
    if not st.toggle("Redact PII in the exported text", key="clean.redact",
                     help="Adds the redact_pii transform as the recipe's last step: kept rows are rewritten, "
                          "nothing is dropped. Detection by pattern (and spaCy NER for person names)."):
        return []
    salt = st.session_state.setdefault("clean.redact.salt", secrets.token_hex(8))
    cols = st.expander("Action per PII type").columns(3)
    actions = {}
    for i, pii_type in enumerate(PII_TYPES):
        key = f"clean.redact.{pii_type}"
        st.session_state.setdefault(key, "report" if pii_type == "person" else "redact")
        actions[pii_type] = cols[i % 3].selectbox(PII_LABELS[pii_type], REDACT_ACTIONS, key=key)
    return [build_step("transform", "redact_pii", {"actions": actions, "salt": salt})]


metrics = choose_metrics()
outside = outside_steps()
outside_by_kind = split_by_kind([s for _, _, steps in outside for s in steps])
extra_metrics = outside_by_kind["metric"]
replaced = {m.name for m in extra_metrics}
scored_metrics = [m for m in metrics if m.name not in replaced] + extra_metrics
try:
    table = cache.with_metrics(dataset, scored_metrics).table
except SieveError as exc:
    st.error(str(exc))
    st.stop()

filters, dedups, transforms = [], [], []
titles = {spec.name: spec.title for metric in scored_metrics for spec in metric.columns()}
specs_by_group: dict[str, list] = {g: [] for g in PAGE_GROUPS}
for metric in metrics:
    if metric.name in replaced:  # its columns come from the extra step's parameters: no widgets for them
        continue
    for spec in metric.columns():
        if widget_kind(spec) and spec.group in specs_by_group and spec.name in table.column_names:
            specs_by_group[spec.group].append(spec)
# Filters on the left, their effect on the right, both in view while a slider moves.
filter_col, result_col = st.columns([2, 3], gap="large")
with filter_col:
    if outside:
        with st.container(border=True):
            st.markdown("**Steps from other pages and the loaded recipe** (they run with the filters)")
            for n, (source, handle, steps) in enumerate(outside):
                row = st.columns([3, 1], vertical_alignment="center")
                row[0].markdown(f"{source}: " + "; ".join(describe(s) for s in steps))
                row[1].button("Remove", key=f"clean.outside.rm.{n}.{handle}", on_click=remove_outside, args=(handle,),
                              help="Remove this step from the recipe")
    tabs = st.tabs([GROUP_TITLES[g] for g in PAGE_GROUPS] + ["Custom"])
for group, tab in zip(PAGE_GROUPS, tabs):
    with tab:
        if group == "duplicates":
            dedups = dedup_controls()
        if group == "language":
            filters += drift_controls(table)
        if group == "safety":
            transforms += redact_controls()
        # two columns of widgets: a group of ten sliders stays within one screen
        halves = st.columns(2) if len(specs_by_group[group]) > 2 else [st.container()]
        for i, spec in enumerate(specs_by_group[group]):
            with halves[i % len(halves)]:
                step = column_widget(spec, table.column(spec.name))
            if step is not None:
                filters.append(step)
        if not specs_by_group[group] and group not in ("duplicates", "language", "safety"):
            st.caption("No metric of this group is selected.")
with tabs[-1]:
    filters += validator_controls()
dedups += outside_by_kind["dedup"]
filters += outside_by_kind["filter"]
transforms += outside_by_kind["transform"]

steps = [*dedups, *filters]
labels = step_labels(steps)
try:
    ledgers = {label: cache.dedup_ledger(dataset, step, label) for step, label in zip(steps, labels)
               if step.kind == "dedup"}
    verdicts = st.session_state.setdefault(VERDICTS, VerdictCache())
    table_key = dataset.fingerprint + json.dumps([cache.step_key(m) for m in scored_metrics])
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
    funnel_fig = go.Figure(go.Funnel(y=[titles.get(s, s) for s, _ in outcome.funnel], x=[n for _, n in outcome.funnel],
                                     customdata=[s for s, _ in outcome.funnel], textinfo="value+percent initial",
                                     hovertemplate="%{y} (%{customdata}): %{x:,} rows left<extra></extra>"))
    funnel_fig.update_layout(title="Rows left after each step", height=300, margin=dict(l=10, r=10, t=40, b=10))
    st.plotly_chart(funnel_fig, width="stretch")
    reasons = list(outcome.by_reason.items())[:25]
    shown_reasons = {readable_reason(r, titles): r for r, _ in reasons}
    reason_fig = go.Figure(go.Bar(y=list(shown_reasons)[::-1], x=[n for _, n in reasons][::-1], orientation="h",
                                  customdata=[r for r, _ in reasons][::-1],
                                  hovertemplate="%{customdata}: %{x:,} rows<extra></extra>"))
    reason_fig.update_layout(title="Dropped rows by reason (click a bar)", height=300, margin=dict(l=10, r=10, t=40, b=10))
    event = None
    if reasons:
        event = st.plotly_chart(reason_fig, width="stretch", on_select="rerun", key="clean.reason_chart")
    else:
        st.caption("Nothing is dropped yet: move a slider or switch on a toggle on the left.")
picked = next((p.get("y") for p in (event.selection.points if event else [])), None) if reasons else None
picked_reason = shown_reasons.get(picked, picked)


def with_transforms(rows: pa.Table) -> pa.Table:
    """The recipe's transforms over kept rows (they run last, so they never change which rows are kept)."""
    for transform in transforms:
        rows = transform.apply(rows)
    return rows


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
            st.warning(f"Dropped by **{titles.get(entry['step'], entry['step'])}** (`{entry['step']}`): "
                       f"{entry['reason']} (value {entry['value']}, "
                       f"threshold {entry['threshold']}){twin}")
        else:
            st.success("Kept: no step dropped this row.")
        render_conversation(table_to_records(found)[0])

# ---------------------------------------------------------------- export
st.header("Export")
c1, c2, c3 = st.columns(3)
fmt = c1.selectbox("Format", list(FORMAT_LABELS), format_func=FORMAT_LABELS.get, key="clean.format")
for key, value in (("clean.ws", True), ("clean.unescape", False), ("clean.val", 0.0), ("clean.seed", 0)):
    st.session_state.setdefault(key, value)  # not value=: a loaded recipe sets these keys
whitespace = c2.checkbox("Normalize whitespace", key="clean.ws",
                         help=Normalization.model_fields["whitespace"].description)
unescape = c2.checkbox("Fix escaping (HTML entities, literal \\n)", key="clean.unescape",
                       help=Normalization.model_fields["unescape"].description)
unicode = c2.selectbox("Unicode form", ["NFC", "NFKC", None], key="clean.unicode",
                       format_func=lambda v: v or "leave as is")
fraction = c3.slider("Validation share", 0.0, 0.5, step=0.01, key="clean.val")
seed = c3.number_input("Split seed", step=1, key="clean.seed")
category_columns = [spec.name for metric in metrics for spec in metric.columns()
                    if spec.dtype == "category" and spec.name in table.column_names]
stratify = c3.selectbox("Stratify by", [None, *category_columns], key="clean.stratify",
                        format_func=lambda v: v or "no stratification")
export = ExportSettings(format=fmt, normalization=Normalization(whitespace=whitespace, unescape=unescape, unicode=unicode),
                        split=Split(validation_fraction=fraction, seed=int(seed), stratify_by=stratify))
recipe = page_recipe([m for m in metrics if m.name not in replaced], dedups, filters, export, extra_metrics, transforms)
state.put(state.RECIPE, recipe.model_dump(mode="json"))
st.session_state[WRITTEN] = state.get(state.RECIPE)

if transforms:
    with st.expander("Redaction preview (the first kept row the transforms rewrite)", expanded=True):
        from core.transforms.pii_redact import redacted_rows

        # ~1 ms a row: reuse the preview while the first kept rows and the transforms stay the same
        preview_key = json.dumps([t.to_entry() for t in transforms]) + ",".join(kept_head.column("id").to_pylist())
        cached = st.session_state.get("clean.redact_preview")
        try:
            if not cached or cached[0] != preview_key:
                rewritten = with_transforms(kept_head)
                changed = redacted_rows(rewritten)
                first = table_to_records(rewritten.slice(int(changed.argmax()), 1))[0] if changed.any() else None
                cached = (preview_key, first, int(changed.sum()))
                st.session_state["clean.redact_preview"] = cached
        except SieveError as exc:
            st.error(str(exc))
        else:
            _, first, n_changed = cached
            if first:
                st.caption(f"`{first['id']}` as exported ({n_changed} of the first {kept_head.num_rows} kept rows "
                           "are rewritten):")
                render_conversation(first)
            else:
                st.caption(f"No PII rewritten in the first {kept_head.num_rows} kept rows.")

with st.expander("Chat-template preview"):
    source = st.radio("Template", ["mistral", "local tokenizer folder"], horizontal=True, key="clean.template",
                      format_func=lambda v: "Mistral v1 instruct (mistral-common)" if v == "mistral" else v)
    folder = st.text_input("Tokenizer folder (with a chat_template)", key="clean.template_dir") if source != "mistral" else ""
    if (source == "mistral" or folder) and outcome.kept_rows:
        try:
            for item in chat_template_preview(table_to_records(normalize_table(with_transforms(outcome.kept_head(3)), export.normalization)),
                                              folder or "mistral"):
                if item["error"]:
                    st.warning(f"{item['id']}: {item['error']}")
                    continue
                st.caption(f"{item['id']} · {item['tokens']} tokens")
                st.code(item["text"], language=None, wrap_lines=True)
        except SieveError as exc:
            st.error(str(exc))


def kept_export_table() -> pa.Table:
    return normalize_table(with_transforms(outcome.kept), export.normalization)


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
recipe_text, recipe_source = ((uploaded_recipe.getvalue().decode("utf-8", "replace"), uploaded_recipe.name)
                              if uploaded_recipe else (pasted_recipe, "pasted recipe"))
if recipe_text.strip():
    from core.engine.local import run_table

    st.header("The saved recipe as it stands")
    st.caption("What the uploaded or pasted recipe (top of the page) does to the current dataset, run as the CLI runs it.")

    # A slider move re-runs the page's filters only: the saved recipe's run (dedup resolve included)
    # is kept until the recipe text or the dataset changes.
    saved_key = (dataset.fingerprint, recipe_text, recipe_source)
    saved_run = st.session_state.get(SAVED_RUN)
    try:
        if not saved_run or saved_run[0] != saved_key:
            saved = Recipe.from_yaml(recipe_text, recipe_source)  # allow_plugins stays False here, always
            saved_steps = saved.build_steps()
            scored = cache.with_metrics(dataset, [s for s in saved_steps if isinstance(s, Metric)]).table
            saved_kept, _, saved_summary = run_table([s for s in saved_steps if not isinstance(s, Metric)], scored)
            saved_run = st.session_state[SAVED_RUN] = (saved_key, saved, saved_kept, saved_summary)
    except SieveError as exc:
        st.error(str(exc))
    else:
        _, saved, saved_kept, saved_summary = saved_run
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
