"""Overview: what was loaded, headline numbers, and the problems worth a look."""

import numpy as np
import streamlit as st

from core.metrics.language import NO_LANGUAGE
from core.metrics.summary import REPETITIVE_DUP_LINE_FRAC, REPETITIVE_TOP_2GRAM_FRAC, summarize, summary_metrics
from ui import cache, state
from ui import inspect_views as views

LONG_ROW_TOKENS = 4096   # a common training context; the Token lengths page lets you set your own
SHORT_RESPONSE_WORDS = 2

st.title("Overview")
result = state.load_result()
tokenizer = state.tokenizer()
dataset, frame = views.metric_frame(summary_metrics(tokenizer))
summary = summarize(dataset.table)

detection = result.detection
# An upload's path is a temporary copy: its file name (the label) is what the user knows it by.
where = f" · {result.path}" if state.source_label() == "sample" else ""
st.caption(f"{state.source_label()}{where} · format **{detection.format}** "
           f"(confidence {detection.confidence:.0%}) · tokens counted with **{tokenizer}**")

top, bottom = st.columns(3), st.columns(3)
top[0].metric("Conversations", f"{summary['rows']:,}")
top[1].metric("Median tokens", f"{summary['tokens']['total']['p50']:,.0f}" if summary["rows"] else "–",
              help="Total tokens per conversation (all messages)")
top[2].metric("p95 tokens", f"{summary['tokens']['total']['p95']:,.0f}" if summary["rows"] else "–")
mean_entropy = summary["entropy"]["mean_response_entropy_bits"]
bottom[0].metric("Mean entropy (bits)", f"{mean_entropy:.2f}" if mean_entropy is not None else "–",
                 help="Shannon entropy of each response's words, averaged")
bottom[1].metric("Valid JSON", f"{summary['json']['valid_json_pct']} %" if summary["json"]["valid_json_pct"] is not None
                 else "–", help=f"{summary['json']['rows_with_json']:,} rows contain JSON")
# Counted over every row, as the Language page does (the summary keeps only the most common few).
response_languages = frame["response_language"][frame["response_language"] != NO_LANGUAGE]
bottom[2].metric("Response languages", f"{response_languages.nunique():,}",
                 help="Most common: " + ", ".join(f"{code}: {n:,}" for code, n in summary["languages"]["response"].items()))

report = result.report
if report.rejected:
    st.error(f"{len(report.rejected):,} input records could not be loaded; see the Load page for each one and why.")
for warning in report.warnings:
    st.warning(warning)


def exact_duplicate_ids() -> list[str]:
    """Ids of rows whose whole conversation repeats an earlier row (normalized text)."""
    from core.dedup.exact import ExactDedup

    return cache.dedup_ledger(state.dataset(), ExactDedup(fields="conversation"), "exact").column("id").to_pylist()


def rows_where(mask) -> list[str]:
    return frame["id"].to_numpy()[np.flatnonzero(mask)].tolist()


problems = [
    ("Exact duplicate conversations", exact_duplicate_ids(), [],
     "Whole conversations identical after normalizing case, punctuation and whitespace; the first copy is "
     "not counted. The Duplicates page compares instructions by default, so it finds more."),
    ("Broken JSON", rows_where(frame["json_state"] == "broken"), ["json_state"],
     "Looks like JSON but does not parse (trailing comma, truncation, single quotes)."),
    ("Code that does not parse", rows_where(frame["code_state"] == "invalid"), ["code_languages", "code_invalid_count"],
     "A Python, JSON or YAML block fails to parse."),
    ("Unclosed code fences", rows_where(frame["has_unclosed_code_fence"]), ["code_languages"],
     "A ``` fence is opened and never closed."),
    ("Unbalanced markdown tables", rows_where(frame["has_unbalanced_table"]), [],
     "A table row has a different number of cells than its header."),
    ("Language mismatches", rows_where(frame["is_language_mismatch"]), ["prompt_language", "response_language"],
     "Prompt and response reliably detected in different languages (fine for translation tasks)."),
    (f"Very long rows (> {LONG_ROW_TOKENS:,} tokens)", rows_where(frame["total_tokens"] > LONG_ROW_TOKENS),
     ["total_tokens"], "Longer than a common training context; set your own on Token lengths."),
    (f"Very short responses (≤ {SHORT_RESPONSE_WORDS} words)",
     rows_where(frame["response_words"] <= SHORT_RESPONSE_WORDS), ["response_words", "prompt_words"],
     "Fine for labels (sentiment, yes/no); suspicious where the prompt asked for an explanation or code. "
     "Words are whitespace-separated, so Chinese or Japanese answers count as few words."),
    ("Repetitive responses", rows_where((frame["response_top_2gram_char_frac"] > REPETITIVE_TOP_2GRAM_FRAC) |
                                        (frame["response_dup_line_frac"] > REPETITIVE_DUP_LINE_FRAC)),
     ["response_top_2gram_char_frac", "response_dup_line_frac"], "Above Gopher's repetition thresholds."),
]

st.subheader("Worth a look")
found = [p for p in problems if p[1]]
if not found:
    st.success("No planted-style problem found: no duplicates, broken JSON or code, broken markdown, "
               "language mismatches, very long or very short rows.")
for title, ids, columns, explanation in problems:
    with st.expander(f"{title}: {len(ids):,}", icon=":material/warning:" if ids else ":material/check_circle:"):
        st.caption(explanation)
        if ids:
            from ui.widgets import conversation_picker

            conversation_picker(dataset, ids, key=f"overview_{title}", columns=columns)
