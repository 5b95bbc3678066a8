"""Length metrics: cheap character/word/turn counts, and token counts with a chosen tokenizer."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from core.schema import flat_messages, role_texts, turn_counts
from core.steps import ColumnSpec, Metric, register
from core.tokenizers import DEFAULT_TOKENIZER, get_tokenizer


def word_counts(texts: list[str]) -> np.ndarray:
    """Whitespace-separated words per text."""
    return pc.count_substring_regex(pa.array(texts, pa.string()), r"\S+").to_numpy(zero_copy_only=False).astype(np.int64)


def char_counts(texts: list[str]) -> np.ndarray:
    """Unicode code points per text."""
    return pc.utf8_length(pa.array(texts, pa.string())).to_numpy(zero_copy_only=False).astype(np.int64)


@register
class TextLength(Metric):
    name: ClassVar[str] = "text_length"
    title: ClassVar[str] = "Text length"
    description: ClassVar[str] = "Turns, characters and words of prompt and response (no tokenizer, very fast)."

    def columns(self) -> list[ColumnSpec]:
        def spec(name, label, unit, description, bins=50):
            return ColumnSpec(name=name, label=label, dtype="int", unit=unit, description=description, bins=bins, group="length")
        return [
            spec("turns", "Turns (messages)", "messages", "Messages in the conversation (system, user, assistant, tool)", bins=20),
            spec("prompt_chars", "Prompt characters", "chars", "Characters in the user turns"),
            spec("response_chars", "Response characters", "chars", "Characters in the assistant turns"),
            spec("prompt_words", "Prompt words", "words", "Whitespace-separated words in the user turns"),
            spec("response_words", "Response words", "words", "Whitespace-separated words in the assistant turns"),
        ]

    def compute(self, table: pa.Table) -> dict:
        prompts, responses = role_texts(table, "prompt"), role_texts(table, "response")
        return {"turns": turn_counts(table).astype(np.int64),
                "prompt_chars": char_counts(prompts), "response_chars": char_counts(responses),
                "prompt_words": word_counts(prompts), "response_words": word_counts(responses)}


@register
class TokenLength(Metric):
    name: ClassVar[str] = "token_length"
    title: ClassVar[str] = "Token length"
    description: ClassVar[str] = ("Tokens per conversation for the prompt (user turns), the response "
                                  "(assistant turns) and all messages, with the tokenizer you choose.")

    tokenizer: str = Field(DEFAULT_TOKENIZER, description=(
        "'mistral' (Mistral-7B-v0.1, sentencepiece), 'cl100k' (OpenAI), or the path of a local "
        "Hugging Face tokenizer folder"))

    def columns(self) -> list[ColumnSpec]:
        def spec(name, description):
            return ColumnSpec(name=name, label=f"{name.split('_')[0].capitalize()} tokens ({self.tokenizer})",
                              dtype="int", unit="tokens", bins=60, group="length",
                              description=f"{description} ({self.tokenizer} tokenizer, no special tokens)")
        return [spec("prompt_tokens", "Tokens in the user turns"),
                spec("response_tokens", "Tokens in the assistant turns"),
                spec("total_tokens", "Tokens in every message, system and tool turns included")]

    def setup(self) -> None:
        get_tokenizer(self.tokenizer)

    def compute(self, table: pa.Table) -> dict:
        """Each message is encoded on its own in one batched call, then summed per row and role."""
        n = table.num_rows
        rows, flat = flat_messages(table)
        roles = flat.field("role").to_numpy(zero_copy_only=False)
        contents = pc.fill_null(flat.field("content"), "").to_pylist()
        counts = get_tokenizer(self.tokenizer).count(contents) if contents else np.zeros(0, np.int64)

        def per_row(mask):
            return np.bincount(rows[mask], weights=counts[mask], minlength=n).astype(np.int64)
        everything = np.ones(len(counts), dtype=bool)
        return {"prompt_tokens": per_row(roles == "user"),
                "response_tokens": per_row(roles == "assistant"),
                "total_tokens": per_row(everything)}
