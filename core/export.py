"""Export: text normalization, a seeded train/validation split, the rejected-rows file, a chat-template
preview and a short report. The page and the CLI call the same functions, so a download and a CLI run
of the same recipe write the same rows.
"""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from core.recipe import Normalization
from core.schema import CANONICAL_COLUMNS, MESSAGE_TYPE, table_to_records

FORMAT_SUFFIX = {"openai": ".jsonl", "sharegpt": ".json", "alpaca": ".json", "parquet": ".parquet"}


# ---------------------------------------------------------------- normalization

def normalize_texts(texts: pa.Array, settings: Normalization) -> pa.Array:
    """Whitespace, escaping and Unicode normalization of a string array (vectorized)."""
    out = pc.fill_null(texts, "")
    if settings.unescape:
        out = pa.array([_unescape(t) for t in out.to_pylist()], pa.string())
    if settings.whitespace:
        out = pc.replace_substring(out, "\r\n", "\n")
        out = pc.replace_substring(out, "\r", "\n")
        out = pc.replace_substring_regex(out, r"[ \t]+\n", "\n")   # trailing spaces on each line
        out = pc.replace_substring_regex(out, r"\n{3,}", "\n\n")   # at most one blank line
        out = pc.utf8_trim_whitespace(out)
    if settings.unicode:
        out = pc.utf8_normalize(out, settings.unicode)
    return out


def _unescape(text: str) -> str:
    # Literal "\n" in a text with no real newline is a double-escaped dump, not code showing "\n".
    if "\\n" in text and "\n" not in text:
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"')
    if "&" in text and ";" in text:
        text = html.unescape(text)
    return text


def _normalize_messages(messages: pa.Array, settings: Normalization) -> pa.Array:
    offsets = messages.offsets
    offsets = pc.subtract(offsets, offsets[0])
    flat = messages.flatten()
    fields = {name: flat.field(name) for name in MESSAGE_TYPE.names}
    fields["content"] = normalize_texts(fields["content"], settings)
    struct = pa.StructArray.from_arrays([fields[n] for n in MESSAGE_TYPE.names], fields=list(MESSAGE_TYPE))
    return pa.ListArray.from_arrays(offsets, struct, mask=messages.is_null())


def normalize_table(table: pa.Table, settings: Normalization) -> pa.Table:
    """The table with every message's content normalized (other columns untouched)."""
    if not (settings.whitespace or settings.unescape or settings.unicode) or table.num_rows == 0:
        return table
    messages = _normalize_messages(table.column("messages").combine_chunks(), settings)
    rejected = table.column("rejected").combine_chunks()
    content = normalize_texts(rejected.field("content"), settings)
    rejected = pa.StructArray.from_arrays([content if n == "content" else rejected.field(n) for n in MESSAGE_TYPE.names],
                                          fields=list(MESSAGE_TYPE), mask=rejected.is_null())
    table = table.set_column(table.schema.get_field_index("messages"), "messages", messages)
    return table.set_column(table.schema.get_field_index("rejected"), "rejected", rejected)


# ---------------------------------------------------------------- split

def _split_keys(ids: Sequence[str], seed: int) -> np.ndarray:
    return np.fromiter((int.from_bytes(hashlib.blake2b(f"{seed}\x00{i}".encode(), digest_size=8).digest(), "big")
                        for i in ids), dtype=np.uint64, count=len(ids))


def assign_validation(ids: Sequence[str], fraction: float, seed: int = 0,
                      strata: Sequence | None = None) -> np.ndarray:
    """Bool per row: in the validation set. Deterministic in (ids, seed), whatever the row order.

    Within each stratum (or over all rows) the rows with the smallest seeded hash of their id form
    the validation set, round(fraction * n) of them, so strata keep their proportions.
    """
    n = len(ids)
    is_validation = np.zeros(n, bool)
    if fraction <= 0 or n == 0:
        return is_validation
    keys = _split_keys(ids, seed)
    groups = np.zeros(n, np.int64) if strata is None else np.unique(
        np.asarray(["" if s is None else str(s) for s in strata], dtype=object), return_inverse=True)[1]
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        take = int(round(fraction * members.size))
        if take:
            is_validation[members[np.argsort(keys[members], kind="stable")[:take]]] = True
    return is_validation


def split_paths(output: str | Path) -> tuple[Path, Path]:
    """clean.jsonl -> (clean.train.jsonl, clean.validation.jsonl)."""
    output = Path(output)
    suffixes = "".join(output.suffixes)
    stem = output.name[: len(output.name) - len(suffixes)] if suffixes else output.name
    return output.with_name(f"{stem}.train{suffixes}"), output.with_name(f"{stem}.validation{suffixes}")


# ---------------------------------------------------------------- rejected rows

def rejected_lines(ledger: pa.Table, dropped: pa.Table | None) -> Iterable[bytes]:
    """JSONL lines for dropped rows: the conversation (OpenAI messages) plus `sieve_drop` with the reason."""
    records = table_to_records(dropped) if dropped is not None and dropped.num_rows else []
    by_position = ledger.to_pylist()
    for i, entry in enumerate(by_position):
        drop = {k: v for k, v in entry.items() if v is not None and k != "id"}
        if records:
            r = records[i]
            line = {"id": r["id"], "messages": [_openai_message(m) for m in r["messages"]], "sieve_drop": drop}
            if r["rejected"]:
                line["rejected"] = _openai_message(r["rejected"])
        else:
            line = {"id": entry["id"], "sieve_drop": drop}
        yield orjson.dumps(line) + b"\n"


def _openai_message(m: dict) -> dict:
    out = {"role": m["role"], "content": m["content"]}
    if m.get("name"):
        out["name"] = m["name"]
    if m.get("tool_calls"):
        out["tool_calls"] = m["tool_calls"]
    return out


class RejectedWriter:
    """Streams dropped rows with their reasons to a JSONL file (atomically, on close)."""

    def __init__(self, path: str | Path):
        from core.io import atomic_writer
        self._context = atomic_writer(path)
        self._fh = self._context.__enter__()
        self.rows = 0

    def __call__(self, ledger: pa.Table, dropped: pa.Table | None) -> None:
        for line in rejected_lines(ledger, dropped):
            self._fh.write(line)
            self.rows += 1

    def unreadable(self, ledger: pa.Table, raw: str | None) -> None:
        """A record the loader could not read: its location, reason and original text."""
        for entry in ledger.to_pylist():
            drop = {k: v for k, v in entry.items() if v is not None and k != "id"}
            self._fh.write(orjson.dumps({"id": entry["id"], "sieve_drop": drop, "raw": raw}) + b"\n")
            self.rows += 1

    def close(self, error: BaseException | None = None) -> None:
        if error is None:
            self._context.__exit__(None, None, None)
        else:
            self._context.__exit__(type(error), error, error.__traceback__)


def canonical(table: pa.Table) -> pa.Table:
    return table.select(list(CANONICAL_COLUMNS))


# ---------------------------------------------------------------- chat-template preview

def _readable_pieces(text: str) -> str:
    """Sentencepiece rendering -> readable text ('▁' is a space, <0x0A> a newline)."""
    return text.replace("\u2581", " ").replace("<0x0A>", "\n")


def mistral_preview(record: dict) -> tuple[str, int]:
    """(prompt as the model sees it, token count) with the Mistral v1 instruct template (mistral-common)."""
    from mistral_common.protocol.instruct.messages import AssistantMessage, UserMessage
    from mistral_common.protocol.instruct.request import InstructRequest
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    system = "\n\n".join(m["content"] for m in record["messages"] if m["role"] == "system") or None
    turns = []
    for m in record["messages"]:
        if m["role"] == "user":
            turns.append(UserMessage(content=m["content"]))
        elif m["role"] == "assistant":
            turns.append(AssistantMessage(content=m["content"]))
    tokenizer = _mistral_v1()
    encoded = tokenizer.instruct_tokenizer.encode_instruct(InstructRequest(messages=turns, system_prompt=system))
    return _readable_pieces(encoded.text), len(encoded.tokens)


_MISTRAL = None


def _mistral_v1():
    global _MISTRAL
    if _MISTRAL is None:
        from mistral_common.tokens.tokenizers.mistral import MistralTokenizer
        _MISTRAL = MistralTokenizer.v1()
    return _MISTRAL


@lru_cache(maxsize=4)
def _local_tokenizer(path: str):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


def jinja_preview(record: dict, tokenizer_dir: str | Path) -> tuple[str, int]:
    """(rendered text, token count) with the `chat_template` of a local Hugging Face tokenizer folder."""
    from core.errors import SieveInputError

    path = Path(tokenizer_dir)
    if not path.is_dir():
        raise SieveInputError("tokenizer folder not found", file=str(path))
    tokenizer = _local_tokenizer(str(path.resolve()))
    if not getattr(tokenizer, "chat_template", None):
        raise SieveInputError("this tokenizer has no chat_template", file=str(path), field="chat_template")
    messages = [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    return text, len(tokenizer(text, add_special_tokens=False)["input_ids"])


def chat_template_preview(records: Sequence[dict], template: str = "mistral") -> list[dict]:
    """A few records rendered as the model will see them: [{id, text, tokens, error}].

    template: 'mistral' or a local tokenizer folder. A row the template cannot express gets an error
    instead of a text, so one tool-calling row never hides the preview of the others.
    """
    from core.errors import SieveInputError

    out = []
    for record in records:
        try:
            text, tokens = mistral_preview(record) if template == "mistral" else jinja_preview(record, template)
            out.append({"id": record["id"], "text": text, "tokens": tokens, "error": None})
        except SieveInputError:
            raise  # the folder itself is unusable: one message for the whole preview
        except Exception as exc:  # a row this template cannot express (tool calls in Mistral v1, …)
            reason = str(exc).strip() or type(exc).__name__
            out.append({"id": record["id"], "text": None, "tokens": None,
                        "error": f"this template cannot render the row ({type(exc).__name__}: {reason[:200]})"})
    return out


# ---------------------------------------------------------------- report

def build_report(summary: dict, recipe, before: pa.Table, after: pa.Table, columns: Sequence[str] = ()) -> str:
    """A self-contained HTML report: counts, funnel, reasons, thresholds, before/after histograms."""
    import plotly.graph_objects as go

    funnel_rows = summary.get("funnel", [])
    figures = [go.Figure(go.Funnel(y=[f["step"] if isinstance(f, dict) else f[0] for f in funnel_rows],
                                   x=[f["rows"] if isinstance(f, dict) else f[1] for f in funnel_rows]),
                         layout={"title": "Rows left after each step", "height": 360})]
    for column in columns:
        if column not in before.column_names or column not in after.column_names:
            continue
        fig = go.Figure(layout={"title": f"{column}: before and after", "barmode": "overlay", "height": 320})
        for name, table in (("before", before), ("after", after)):
            values = table.column(column).to_pylist()
            fig.add_histogram(x=[v for v in values if v is not None], name=name, opacity=0.6)
        figures.append(fig)
    steps_html = "".join(f"<li><code>{html.escape(s.kind)}</code> {html.escape(s.name)} "
                         f"<code>{html.escape(orjson.dumps(s.params).decode())}</code></li>" for s in recipe.steps)
    reasons_html = "".join(f"<tr><td>{html.escape(str(r))}</td><td>{c:,}</td></tr>" for r, c in summary["by_reason"].items())
    charts = "".join(fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Sieve cleaning report</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}td{{padding:2px 12px}}</style></head><body>
<h1>Sieve cleaning report</h1>
<p><b>{summary['input_rows']:,}</b> rows in, <b>{summary['kept_rows']:,}</b> kept, <b>{summary['dropped_rows']:,}</b> dropped.</p>
<h2>Reasons</h2><table>{reasons_html or '<tr><td>nothing dropped</td></tr>'}</table>
<h2>Recipe steps and thresholds</h2><ol>{steps_html}</ol>
<h2>Export</h2><pre>{html.escape(recipe.export.model_dump_json(indent=2))}</pre>
<h2>Charts</h2>{charts}</body></html>"""
