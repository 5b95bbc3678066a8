"""Safety: toxicity per class and role, profanity, PII with highlighted examples and an action per type."""

from __future__ import annotations

import secrets

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.errors import SieveError
from core.metrics.pii import PiiMetric, count_column
from core.metrics.profanity import ProfanityMetric, compile_word_list, find_profanity
from core.metrics.toxicity import ToxicityMetric
from core.pii import PII_LABELS
from core.pii.fake import FakeValues
from core.pii.redact import redact_text
from core.schema import role_texts
from core.toxicity import SCORERS, available_scorers, scorer_label, toxicity_levels
from core.transforms.pii_redact import recipe_entries_for_actions
from ui import cache, state
from ui import inspect_views as views
from ui.widgets import get_record, render_conversation

ACTIONS = ("report", "drop", "redact", "fake")
ACTION_HELP = ("report: keep the text, count it · drop: remove the row (a filter on the count) · "
               "redact: <TYPE> placeholder · fake: consistent made-up value")
TOP_ROWS = 25

st.title("Safety")
dataset = state.dataset()


def scored(metrics):
    """(dataset with the metrics' columns, frame of id + those columns), or (None, None) after an error."""
    try:
        scored_dataset = cache.with_metrics(dataset, metrics)
    except SieveError as exc:
        st.error(str(exc))
        return None, None
    names = [c.name for m in metrics for c in m.columns()]
    frame = scored_dataset.table.select(names).to_pandas()
    frame.insert(0, "id", scored_dataset.table.column("id").to_pylist())
    return scored_dataset, frame


def propose(section: str, entries: list[dict], message: str) -> None:
    """Store recipe entries for Clean & Export under ui.state.SAFETY_STEPS[section]."""
    proposals = dict(state.get(state.SAFETY_STEPS) or {})
    proposals[section] = entries
    state.put(state.SAFETY_STEPS, proposals)
    st.success(message)


def highlighted_example(record_id: str, find_spans) -> None:
    """Open a row as a conversation with `find_spans(conversation_text)` highlighted."""
    record = get_record(dataset, record_id)
    if record is None:
        return
    table = dataset.table.filter(dataset.table.column("id").to_numpy(zero_copy_only=False) == record_id)
    text = role_texts(table, "conversation")[0]
    render_conversation(record, highlight=find_spans(text), highlight_field="conversation")


def example_table(frame: pd.DataFrame, rows: np.ndarray, columns: list[str], key: str) -> str | None:
    """A selectable table of rows; returns the chosen id."""
    shown = frame.iloc[rows][["id", *columns]]
    event = st.dataframe(shown, hide_index=True, key=key, on_select="rerun", selection_mode="single-row",
                         height=min(380, 38 + 35 * len(shown)))
    picked = event.selection.rows if event is not None and hasattr(event, "selection") else []
    return shown["id"].iloc[picked[0]] if picked else None


# ---------------------------------------------------------------- toxicity

def class_overview(frame: pd.DataFrame, classes: list[str], roles: list[str]) -> None:
    """Box plots of every class, prompt and response side by side."""
    fig = go.Figure()
    for role in roles:
        values = pd.concat([frame[f"{role}_{c}"] for c in classes], ignore_index=True)
        labels = np.repeat([c.replace("_", " ") for c in classes], len(frame))
        fig.add_box(x=labels, y=values, name=role, boxpoints=False)
    fig.update_layout(boxmode="group", height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_title="probability")
    st.plotly_chart(fig, key="safety_class_overview")


def toxicity_tab() -> None:
    availability = available_scorers()
    top = st.columns([3, 2])
    scorer = top[0].selectbox(
        "Scorer", SCORERS, key="safety_scorer",
        format_func=lambda s: scorer_label(s) + ("" if availability[s] is None else " — checkpoint not found"))
    params: dict = {"scorer": scorer}
    if scorer != "profanity_check":
        with st.expander("Detoxify checkpoint", expanded=availability[scorer] is not None):
            params["checkpoint"] = st.text_input("Checkpoint (.ckpt)", key="safety_ckpt") or None
            params["huggingface_config_path"] = st.text_input("Local Hugging Face config folder",
                                                              key="safety_hf_dir") or None
        if availability[scorer] is not None and not params["checkpoint"]:
            try:
                ToxicityMetric(**params).setup()
            except SieveError as exc:
                st.warning(str(exc))
            return
    metric = ToxicityMetric(**params)
    scored_dataset, frame = scored([metric])
    if frame is None:
        return
    specs = views.specs_of([metric])
    st.info(f"Scores from **{metric.scorer_label}**.")
    if scorer == "profanity_check":
        st.caption("profanity-check is a linear model over words, trained on the Davidson tweets: it catches "
                   "swearing and slurs well and over-flags harmless uses of rude words; it has a single "
                   "'offensive' class. Use a Detoxify checkpoint for severe toxicity, threats, insults and "
                   "identity attacks.")
    classes = list(metric.class_names())
    cls = top[1].selectbox("Class", classes, key="safety_class", format_func=lambda c: c.replace("_", " "))
    spec = specs[f"response_{cls}"]
    threshold = st.slider(f"Threshold on {cls.replace('_', ' ')}", *(spec.range or (0.0, 1.0)), value=0.5,
                          step=0.01, key="safety_threshold")
    prompt = frame[f"prompt_{cls}"].to_numpy(dtype=np.float64)
    response = frame[f"response_{cls}"].to_numpy(dtype=np.float64)
    prompt_level, response_level = toxicity_levels(prompt, threshold), toxicity_levels(response, threshold)
    kept_worthy = int(((prompt_level == "toxic") & (response_level == "safe")).sum())
    k = st.columns(4)
    k[0].metric("Responses above", f"{int((response_level == 'toxic').sum()):,}")
    k[1].metric("Prompts above", f"{int((prompt_level == 'toxic').sum()):,}")
    k[2].metric("Toxic prompt, safe response", f"{kept_worthy:,}",
                help="Usually data to keep: it teaches the model to stay calm under hostile input.")
    k[3].metric("Both toxic", f"{int(((prompt_level == 'toxic') & (response_level == 'toxic')).sum()):,}")

    if len(classes) > 1:
        with st.expander("All classes at a glance"):
            class_overview(frame, classes, metric.roles)
    st.subheader("Distribution by role")
    hist_rows = views.histogram(frame, [f"prompt_{cls}", f"response_{cls}"], specs, key=f"safety_hist_{cls}",
                                vline=threshold, vline_label="threshold", log_y=True)
    views.rows_panel(scored_dataset, frame, hist_rows, [f"prompt_{cls}", f"response_{cls}"], key="safety_hist_rows")

    st.subheader("Prompt vs response")
    st.caption("Rows in the **toxic prompt → safe response** cell are usually worth keeping. A filter on the "
               "response score alone keeps them; a filter on the prompt score would throw them away.")
    left, right = st.columns(2)
    levels = pd.DataFrame({"prompt": prompt_level, "response": response_level})
    with left:
        cell_rows = views.matrix(levels, "prompt", "response", key=f"safety_matrix_{cls}",
                                 row_title="prompt", col_title="response")
    with right:
        scatter_rows = views.scatter(frame.fillna({f"prompt_{cls}": -0.05}), f"prompt_{cls}", f"response_{cls}",
                                     specs, key=f"safety_scatter_{cls}")
    views.rows_panel(scored_dataset, frame, np.union1d(cell_rows, scatter_rows),
                     [f"prompt_{cls}", f"response_{cls}"], key="safety_matrix_rows",
                     empty_hint="Click a cell or drag a box on the scatter (rows with no prompt sit at -0.05).")

    st.subheader(f"Top {TOP_ROWS} responses by {cls.replace('_', ' ')}")
    order = np.argsort(-np.nan_to_num(response, nan=-1.0), kind="stable")[:TOP_ROWS]
    views.rows_panel(scored_dataset, frame, order, [f"response_{cls}", f"prompt_{cls}"], key="safety_top_rows")
    if st.button(f"Propose filter: drop rows whose response {cls.replace('_', ' ')} > {threshold:.2f}",
                 key="safety_tox_propose"):
        propose("toxicity", [metric.to_entry(), {"kind": "filter", "name": "threshold",
                                                 "params": {"column": f"response_{cls}", "max": threshold}}],
                "Proposed for Clean & Export (toxic prompts answered safely stay in).")


# ---------------------------------------------------------------- profanity

def profanity_tab() -> None:
    extra = st.text_input("Extra words (comma-separated; a trailing * allows endings)", key="safety_extra_words")
    include_mild = st.toggle("Count mild words (crap, damn, the hell)", value=True, key="safety_mild")
    metric = ProfanityMetric(extra_words=[w.strip() for w in extra.split(",") if w.strip()], include_mild=include_mild)
    scored_dataset, frame = scored([metric])
    if frame is None:
        return
    prompt_hits, response_hits = frame["prompt_profanity_count"] > 0, frame["response_profanity_count"] > 0
    k = st.columns(3)
    k[0].metric("Responses with profanity", f"{int(response_hits.sum()):,}")
    k[1].metric("Prompts with profanity", f"{int(prompt_hits.sum()):,}")
    k[2].metric("Words matched", f"{int(frame['prompt_profanity_count'].sum() + frame['response_profanity_count'].sum()):,}")
    if not (prompt_hits | response_hits).any():
        st.caption("No listed word found.")
        return
    terms = frame.assign(terms=frame["profanity_terms"].map(lambda t: ",".join(t)))
    st.subheader("Words found")
    term_rows = views.bar_counts(terms, "terms", key="safety_terms", split=",", x_title="term")
    rows = term_rows if len(term_rows) else np.flatnonzero((prompt_hits | response_hits).to_numpy())
    record_id = example_table(frame, rows, ["prompt_profanity_count", "response_profanity_count", "profanity_terms"],
                              key="safety_prof_table")
    pattern, words = compile_word_list(metric.word_list())
    if record_id:
        highlighted_example(record_id, lambda text: [(s, e) for _, s, e in find_profanity(text, pattern, words)])
    if st.button("Propose filter: drop rows with profanity in the response", key="safety_prof_propose"):
        propose("profanity", [metric.to_entry(), {"kind": "filter", "name": "threshold",
                                                  "params": {"column": "response_profanity_count", "max": 0}}],
                "Proposed for Clean & Export.")


# ---------------------------------------------------------------- PII

def pii_tab() -> None:
    metric = PiiMetric()
    scored_dataset, frame = scored([metric])
    if frame is None:
        return
    note = metric.detector.person_note
    st.caption(f"Checksums keep false positives down: cards must pass Luhn, IBANs mod-97. {note[0].upper()}{note[1:]}.")
    summary = pd.DataFrame([{"type": PII_LABELS[t], "key": t,
                             "rows": int((frame[count_column(t)].fillna(0) > 0).sum()),
                             "items": int(frame[count_column(t)].fillna(0).sum())} for t in metric.types])
    k = st.columns(2)
    k[0].metric("Rows with PII", f"{int((frame['pii_count'] > 0).sum()):,}")
    k[1].metric("PII items", f"{int(frame['pii_count'].sum()):,}")
    present = summary[summary["items"] > 0]
    if present.empty:
        st.caption("No PII found.")
        return
    st.subheader("Counts per type")
    type_rows = views.bar_counts(frame.assign(types=frame["pii_types"].map(lambda t: ",".join(t))), "types",
                                 key="safety_pii_types", split=",", x_title="PII type")
    st.dataframe(present[["type", "rows", "items"]], hide_index=True)

    st.subheader("Examples")
    rows = type_rows if len(type_rows) else np.flatnonzero(frame["pii_count"].to_numpy() > 0)
    record_id = example_table(frame, rows, ["pii_count", "pii_types"], key="safety_pii_table")

    st.subheader("Action per type")
    st.caption(ACTION_HELP)
    actions: dict[str, str] = {}
    cols = st.columns(min(4, len(present)))
    for i, pii_type in enumerate(present["key"]):
        default = "report" if pii_type == "person" else "redact"
        actions[pii_type] = cols[i % len(cols)].selectbox(PII_LABELS[pii_type], ACTIONS, index=ACTIONS.index(default),
                                                          key=f"safety_action_{pii_type}")
    salt = st.session_state.setdefault("safety_pii_salt", secrets.token_hex(8))
    if record_id:
        detector = metric.detector
        highlighted_example(record_id, lambda text: [(m.start, m.end) for m in detector.find(text)])
        with st.expander("After the actions"):
            record = get_record(dataset, record_id)
            fakes = FakeValues(salt)
            for m in record["messages"]:
                st.text(f"{m['role']}: {redact_text(m['content'] or '', detector.find(m['content'] or ''), actions, fakes)[0]}")
    if st.button("Propose these actions for Clean & Export", key="safety_pii_propose"):
        propose("pii", recipe_entries_for_actions(actions, salt=salt),
                "Proposed: the pii metric, a drop filter per 'drop' type, and redact_pii for redact/fake types.")


toxicity, profanity, pii = st.tabs(["Toxicity", "Profanity", "PII"])
with toxicity:
    toxicity_tab()
with profanity:
    profanity_tab()
with pii:
    pii_tab()
proposed = state.get(state.SAFETY_STEPS) or {}
if proposed:
    with st.expander(f"Proposed recipe steps ({sum(len(v) for v in proposed.values())})"):
        st.json(proposed, expanded=False)
