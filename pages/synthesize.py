"""Synthesize: generate, distill or evolve rows through any OpenAI-compatible endpoint."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st
from pydantic import ValidationError

from core.errors import SieveError
from core.synth.client import ChatClient, resolve_api_key
from core.synth.config import Endpoint, SynthConfig
from core.synth.pipeline import SynthesisRun
from ui import state
from ui.widgets import render_conversation

STYLE_LABELS = {"concise": "Concise instruction", "roleplay": "Role-play",
                "explain_then_ask": "Explanation, then a request"}
REQUIREMENT_LABELS = {"step_by_step": "Step-by-step with a final answer", "json_output": "JSON output",
                      "tool_use": "Tool use"}
SOURCE_LABELS = {"topics": "Topic list", "seeds": "Seed tasks (self-instruct)",
                 "dataset": "Prompts of the current dataset (distillation / Evol-Instruct)"}

st.title("Synthesize")
st.caption("Prompt → instruction → completion → judge → filter → store, through OpenAI, vLLM, Ollama or a "
           "llama.cpp server. Every answered request is cached on disk (without the key), so rerunning "
           "the same settings costs nothing.")
st.info("**Provider terms.** Some providers forbid using their outputs to train models that compete with "
        "theirs. Check the terms of the model you distil from; each row records its generator, teacher "
        "and judge so you can trace and remove them later.", icon="⚖️")


# ---------------------------------------------------------------- endpoint

def endpoint_form() -> tuple[dict, str | None]:
    """Endpoint settings from the widgets, and the key typed into the page (memory only)."""
    with st.expander("Endpoint", expanded=True):
        left, right = st.columns(2)
        base_url = left.text_input("Base URL", "https://api.openai.com/v1", key="synth.base_url",
                                   help="OpenAI, or your own server: vLLM http://host:8000/v1, "
                                        "Ollama http://host:11434/v1, llama.cpp http://host:8080/v1")
        model = right.text_input("Model", "gpt-4o-mini", key="synth.model")
        key_mode = left.radio("API key", ["From an environment variable", "Typed here (kept in memory only)",
                                          "None (local server)"], key="synth.key_mode")
        typed_key, key_env = None, None
        if key_mode.startswith("From"):
            key_env = right.text_input("Variable name", "OPENAI_API_KEY", key="synth.key_env")
        elif key_mode.startswith("Typed"):
            typed_key = right.text_input("Key", type="password", key="synth.api_key",
                                         help="Held in this browser session only; never written to a "
                                              "config, cache, export or log.") or None
        c1, c2, c3, c4 = st.columns(4)
        concurrency = c1.number_input("Parallel requests", 1, 64, 4, key="synth.concurrency")
        timeout = c2.number_input("Timeout (s)", 0.5, 600.0, 60.0, key="synth.timeout")
        price_in = c3.number_input("$ per 1M input tokens", 0.0, 1000.0, 0.0, key="synth.price_in")
        price_out = c4.number_input("$ per 1M output tokens", 0.0, 1000.0, 0.0, key="synth.price_out")
        settings = {"base_url": base_url.strip(), "model": model.strip(), "api_key_env": key_env,
                    "max_concurrency": int(concurrency), "timeout_s": float(timeout),
                    "price_input_per_mtok": price_in, "price_output_per_mtok": price_out}
        if st.button("Test connection", key="synth.test"):
            test_connection(settings, typed_key)
    return settings, typed_key


def test_connection(settings: dict, typed_key: str | None) -> None:
    try:
        endpoint = Endpoint.model_validate(settings)
        models = ChatClient(endpoint, api_key=resolve_api_key(endpoint, typed_key)).list_models()
    except (SieveError, ValidationError) as exc:
        st.error(f"Connection failed: {page_words(exc)}")
        return
    listed = ", ".join(models[:20]) + (" …" if len(models) > 20 else "")
    st.success(f"Connected: {len(models)} models ({listed})")
    if settings["model"] not in models:
        st.warning(f"'{settings['model']}' is not among the models this endpoint lists.")


# ---------------------------------------------------------------- generation settings

def generation_form() -> dict:
    """Everything but the endpoint, as a SynthConfig dict."""
    with st.expander("What to generate", expanded=True):
        kind = st.radio("Prompts from", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get,
                        horizontal=True, key="synth.source")
        source: dict = {"kind": kind}
        if kind == "topics":
            text = st.text_area("Topics, one per line", "photosynthesis\nbinary search\nthe French revolution",
                                key="synth.topics")
            source["topics"] = [t.strip() for t in text.splitlines() if t.strip()]
        elif kind == "seeds":
            text = st.text_area("Seed tasks, one per line", key="synth.seeds")
            source["seed_tasks"] = [t.strip() for t in text.splitlines() if t.strip()]
            source["novelty_threshold"] = st.slider("Keep a new task only if its ROUGE-L against every "
                                                    "pool task is below", 0.1, 1.0, 0.7, key="synth.novelty")
        else:
            ids = st.text_area("Only these row ids (comma or newline separated; empty = from the top)",
                               state.get(state.SELECTED_ID) or "", key="synth.ids")
            chosen = [i.strip() for i in ids.replace(",", "\n").splitlines() if i.strip()]
            source["ids"] = chosen or None
        rows = st.number_input("Rows to attempt", 1, 10_000, 10, key="synth.rows")
        left, right = st.columns(2)
        teacher = left.text_input("Teacher model for completions (empty = same model)", key="synth.teacher")
        judge_model = right.text_input("Judge model (empty = same model)", key="synth.judge_model")
        use_judge = left.checkbox("Judge every row (helpfulness, correctness, safety)", True, key="synth.judge")

    with st.expander("Instruction styles and requirements"):
        styles = {s: st.slider(f"Weight: {label}", 0.0, 5.0, 1.0, 0.5, key=f"synth.style.{s}")
                  for s, label in STYLE_LABELS.items()}
        requirements = {r: st.slider(f"Share of rows: {label}", 0.0, 1.0, 0.0, 0.05, key=f"synth.req.{r}")
                        for r, label in REQUIREMENT_LABELS.items()}
        evol_rounds = st.number_input("Evol-Instruct rounds (deepen, add constraints, concretize)", 0, 5, 0,
                                      key="synth.evol")

    with st.expander("Filters"):
        c1, c2, c3 = st.columns(3)
        min_chars = c1.number_input("Min response characters", 0, 100_000, 20, key="synth.min_chars")
        min_coherence = c2.slider("Min prompt/response coherence (lexical)", 0.0, 1.0, 0.1, key="synth.coherence")
        drop_dupes = c3.checkbox("Drop instructions already in the dataset", True, key="synth.dedup")
        scores = {d: st.slider(f"Min judge {d}", 1, 5, default, key=f"synth.min.{d}")
                  for d, default in (("helpfulness", 3), ("correctness", 3), ("safety", 4))}

    return {
        "teacher": {"model": teacher.strip()} if teacher.strip() else None,
        "judge": {"enabled": use_judge, "endpoint": {"model": judge_model.strip()} if judge_model.strip() else None},
        "source": source, "rows": int(rows),
        "instructions": {"styles": styles, "requirements": {r: p for r, p in requirements.items() if p > 0}},
        "evol": {"rounds": int(evol_rounds)},
        "filters": {"min_response_chars": int(min_chars), "min_coherence": min_coherence,
                    "drop_duplicates": drop_dupes, "min_scores": scores},
    }


# ---------------------------------------------------------------- run

def usage_line(usage: dict) -> str:
    cost = f"${usage['cost']:.4f}" if usage.get("cost") is not None else "n/a (set prices)"
    return (f"{usage['requests_sent']} requests sent ({usage['retries']} retries), {usage['cache_hits']} cache hits · "
            f"{usage['prompt_tokens']:,} tokens in / {usage['completion_tokens']:,} out · cost {cost}")


def page_words(exc: Exception) -> str:
    """The core's message, with the YAML advice said in this page's terms."""
    return str(exc).replace("set api_key_env: null for a server that needs none",
                            "pick 'None (local server)' under API key for a server that needs none")


def accepted_frame(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        synth = r["meta"]["synth"]
        scores = synth.get("judge_scores") or {}
        user = next((m["content"] for m in r["messages"] if m["role"] == "user"), "")
        rows.append({"id": r["id"], "instruction": user, "response": r["messages"][-1]["content"],
                     **{d: (scores.get(d) or {}).get("score") for d in ("helpfulness", "correctness", "safety")},
                     "coherence": synth.get("coherence"), "teacher": synth.get("teacher")})
    return pd.DataFrame(rows, columns=["id", "instruction", "response", "helpfulness", "correctness",
                                       "safety", "coherence", "teacher"])


def rejected_frame(entries: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{k: e.get(k) for k in ("id", "stage", "reason", "instruction", "response")} for e in entries],
                        columns=["id", "stage", "reason", "instruction", "response"])


def run(config: SynthConfig, typed_key: str | None) -> None:
    dataset = state.dataset() if config.source.kind == "dataset" or config.filters.drop_duplicates else None
    try:
        synthesis = SynthesisRun(config, api_key=typed_key,
                                 source=dataset if config.source.kind == "dataset" else None,
                                 existing_texts=dataset.texts("instruction") if dataset is not None else ())
    except SieveError as exc:
        st.error(page_words(exc))
        return
    bar = st.progress(0.0, text="Starting…")
    status, live = st.empty(), st.empty()
    accepted, rejected = [], []

    def on_outcome(outcome) -> None:
        (accepted if outcome.accepted else rejected).append(
            outcome.record if outcome.accepted else outcome.rejected_entry())

    def on_progress(done: int, total: int | None, message: str) -> None:
        bar.progress(done / total if total else 0.0, text=f"{done}/{total} rows · {len(accepted)} accepted")
        status.caption(usage_line(synthesis.usage.summary()))
        live.dataframe(pd.concat([accepted_frame(accepted).assign(outcome="accepted"),
                                  rejected_frame(rejected).assign(outcome="rejected")]).tail(50), hide_index=True)

    result = synthesis.run(on_outcome=on_outcome, on_progress=on_progress)
    for placeholder in (bar, status, live):
        placeholder.empty()
    state.put(state.SYNTH_RESULT, {"accepted": result.accepted, "rejected": result.rejected,
                                   "usage": result.usage, "reasons": dict(result.reasons.most_common())})


def show_result(result: dict) -> None:
    accepted, rejected = result["accepted"], result["rejected"]
    st.subheader("Last run")
    c1, c2, c3 = st.columns(3)
    c1.metric("Accepted", len(accepted))
    c2.metric("Rejected", len(rejected))
    cost = result["usage"].get("cost")
    c3.metric("Cost", f"${cost:.4f}" if cost is not None else "n/a")
    st.caption(usage_line(result["usage"]))
    if result["reasons"]:
        reasons = pd.DataFrame(list(result["reasons"].items()), columns=["reason", "rows"])
        figure = px.bar(reasons, x="rows", y="reason", orientation="h", text="rows",
                        title="Why rows were rejected", height=110 + 36 * len(reasons))
        figure.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 30}, yaxis={"title": None, "autorange": "reversed"})
        st.plotly_chart(figure, key="synth.reasons")
    tab_ok, tab_bad = st.tabs([f"Accepted ({len(accepted)})", f"Rejected ({len(rejected)})"])
    with tab_ok:
        frame = accepted_frame(accepted)
        event = st.dataframe(frame, hide_index=True, on_select="rerun", selection_mode="single-row",
                             key="synth.accepted")
        picked = event.selection.rows if event is not None and hasattr(event, "selection") else []
        if picked:
            render_conversation(accepted[picked[0]])
        if accepted and st.button(f"Add {len(accepted)} accepted rows to the current dataset", key="synth.add",
                                  type="primary"):
            added = state.append_records(accepted, "synthesis")
            st.success(f"Added {added} rows; the dataset now has {state.dataset().num_rows:,} rows."
                       if added else "These rows are already in the dataset.")
    with tab_bad:
        st.dataframe(rejected_frame(rejected), hide_index=True, key="synth.rejected")


endpoint, typed_key = endpoint_form()
settings = generation_form()
if st.button("Run", type="primary", key="synth.run"):
    try:
        config = SynthConfig.model_validate({"generator": endpoint, **settings})
    except ValidationError as exc:
        st.error("Settings do not validate: " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    else:
        run(config, typed_key)
if state.get(state.SYNTH_RESULT):
    show_result(state.get(state.SYNTH_RESULT))
