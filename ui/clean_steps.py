"""Clean & Export's steps that do not come from its own widgets: a saved recipe loaded into the widgets,
a dedup the Duplicates page added, the Safety page's proposals and a loaded recipe's extra steps.

Widget values are set in session state before the widgets are drawn (a callback or the top of the
page), so every widget takes the loaded value instead of its default.
"""

from __future__ import annotations

import json

import streamlit as st

from core.clean import PAGE_GROUPS, in_page_order, recipe_widgets, widget_kind
from core.errors import SieveError
from core.recipe import Recipe
from core.steps import build_step, get_step_class, list_steps
from ui import state

PENDING = "clean.pending"    # column -> filter entry a loaded recipe sets once that column's widget is drawn
EXTRA = "clean.extra_steps"  # [{"source", "entry"}]: loaded steps no widget expresses (they still run)
WRITTEN = "clean.written_recipe"  # the recipe this page last wrote to state.RECIPE (to spot other pages' additions)
LOAD_MESSAGE = "clean.load_message"
WIDGET_KEYS = ("clean.metrics", "clean.f.", "clean.dedup", "clean.repeated", "clean.drift", "clean.rx.", "clean.schema",
               "clean.redact", "clean.format", "clean.ws", "clean.unescape", "clean.unicode", "clean.val", "clean.seed",
               "clean.stratify")


def metric_specs(cls) -> list:
    try:
        return cls().columns()
    except Exception:  # a metric that needs parameters cannot describe itself by default
        return []


def offered_metric_classes() -> list:
    return [c for c in list_steps("metric") if any(s.group in PAGE_GROUPS for s in metric_specs(c))]


def page_metric_params(name: str) -> dict:
    return {"tokenizer": state.tokenizer()} if name == "token_length" else {}


def apply_recipe(recipe: Recipe, source: str, keep_others: bool = False) -> None:
    """Set the widgets to a recipe's settings (before they are drawn); other steps become extra steps."""
    offered = {c.name: page_metric_params(c.name) for c in offered_metric_classes()}
    specs = {s.name: s for n, p in offered.items() for s in get_step_class("metric", n)(**p).columns() if widget_kind(s)}
    w = recipe_widgets(recipe, offered, specs)
    ss = st.session_state
    if not keep_others:
        for key in [k for k in ss if isinstance(k, str) and k.startswith(WIDGET_KEYS)]:
            del ss[key]
        ss[EXTRA], ss[PENDING] = [], {}
        # the page's default metrics stay selected (a recipe holds only the metrics its filters read)
        chosen = set(w.metrics) | {c.name for c in offered_metric_classes() if not c.uses_model}
        ss["clean.metrics"] = [c.name for c in offered_metric_classes() if c.name in chosen]
        ex = w.export
        ss.update({"clean.format": ex.format, "clean.ws": ex.normalization.whitespace,
                   "clean.unescape": ex.normalization.unescape, "clean.unicode": ex.normalization.unicode,
                   "clean.val": ex.split.validation_fraction, "clean.seed": ex.split.seed,
                   "clean.stratify": ex.split.stratify_by})
    else:
        ss["clean.metrics"] = list(dict.fromkeys([*ss.get("clean.metrics", []), *w.metrics]))
    ss.setdefault(PENDING, {}).update(w.column_filters)
    if w.dedup:
        ss["clean.dedup"], ss["clean.dedup.keep"] = w.dedup["method"], w.dedup.get("keep", "first")
        if "threshold" in w.dedup:
            ss[f"clean.dedup.{w.dedup['method']}"] = float(w.dedup["threshold"])
    if w.repeated_min_prompts is not None:
        ss["clean.repeated"], ss["clean.repeated.n"] = True, int(w.repeated_min_prompts)
    if w.drift_min_chars is not None:
        ss["clean.drift"], ss["clean.drift.chars"] = True, int(w.drift_min_chars)
    if w.regex:
        ss["clean.rx.field"], ss["clean.rx.banned"], ss["clean.rx.required"] = (w.regex["field"], w.regex["banned"],
                                                                               w.regex["required"])
    if w.json_schema is not None:
        ss["clean.schema"] = json.dumps(w.json_schema, indent=2)
    if w.redact:
        ss["clean.redact"], ss["clean.redact.salt"] = True, w.redact["salt"]
        ss.update({f"clean.redact.{t}": a for t, a in w.redact["actions"].items()})
    ss[EXTRA] = [*ss.get(EXTRA, []), *({"source": source, "entry": e} for e in w.extra)]
    order_note = "" if in_page_order([s.model_dump() for s in recipe.steps]) else \
        " Its steps now run in the page's order: metrics, duplicates, filters, transforms."
    ss[LOAD_MESSAGE] = (f"Loaded {source}: {len(recipe.steps) - len(w.extra)} steps into the filters, "
                        f"{len(w.extra)} kept as extra steps.{order_note}")


def load_saved_recipe() -> None:
    """Button callback: the uploaded or pasted recipe sets the widgets (plugins are refused)."""
    uploaded = st.session_state.get("clean.recipe_file")
    text, source = ((uploaded.getvalue().decode("utf-8", "replace"), uploaded.name) if uploaded
                    else (st.session_state.get("clean.recipe_text", ""), "pasted recipe"))
    if not text.strip():
        st.session_state[LOAD_MESSAGE] = "error:Upload or paste a recipe YAML first."
        return
    try:
        apply_recipe(Recipe.from_yaml(text, source), source)
    except SieveError as exc:
        st.session_state[LOAD_MESSAGE] = f"error:{exc}"


def adopt_other_pages_steps() -> None:
    """A dedup the Duplicates page added to state.RECIPE since this page last wrote it becomes the page's."""
    incoming, written = state.get(state.RECIPE), st.session_state.get(WRITTEN)
    if not incoming or incoming == written:
        return
    old = (written or {}).get("steps", [])
    new = [e for e in incoming.get("steps", []) if e.get("kind") == "dedup" and e not in old]
    if new:
        try:
            apply_recipe(Recipe(steps=new), "the Duplicates page", keep_others=True)
        except (SieveError, ValueError) as exc:
            st.error(f"Could not take the dedup step from the Duplicates page: {exc}")


def outside_steps() -> list[tuple[str, str | int, list]]:
    """Steps from the Safety page and from a loaded recipe: (source, removal handle, built steps)."""
    found = []
    for section, entries in (state.get(state.SAFETY_STEPS) or {}).items():
        try:
            found.append((f"Safety page: {section}", section, [build_step(e["kind"], e["name"], e.get("params")) for e in entries]))
        except SieveError as exc:
            st.error(f"Safety page step ({section}): {exc}")
    for i, item in enumerate(st.session_state.get(EXTRA, [])):
        e = item["entry"]
        try:
            found.append((item["source"], i, [build_step(e["kind"], e["name"], e.get("params"))]))
        except SieveError as exc:
            st.error(f"Step from {item['source']}: {exc}")
    return found


def remove_outside(handle) -> None:
    if isinstance(handle, str):
        proposals = dict(state.get(state.SAFETY_STEPS) or {})
        proposals.pop(handle, None)
        state.put(state.SAFETY_STEPS, proposals)
    else:
        st.session_state[EXTRA] = [x for i, x in enumerate(st.session_state.get(EXTRA, [])) if i != handle]


def describe(step) -> str:
    params = {k: v for k, v in step.model_dump(mode="json").items() if k != "salt" and v not in (None, [], {})}
    return f"{step.kind} **{step.title or step.name}** `{json.dumps(params)[:160]}`"
