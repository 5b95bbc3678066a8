"""Hand-built near-duplicates and non-duplicates shared by the dedup tests."""

from __future__ import annotations

import numpy as np

from core.schema import message, records_to_table

LIGHTHOUSE = ("Write a short story about a lighthouse keeper who discovers that the lamp he tends every "
              "night is secretly guiding a fleet of ships from another century, and describe how he "
              "decides whether to keep the light burning or let it go dark forever.")
VARIANTS = {
    "original": LIGHTHOUSE,
    "whitespace": LIGHTHOUSE.replace(" ", "  ").replace("keeper who", "keeper\n\twho") + "   ",
    "punctuation": LIGHTHOUSE.replace(",", "").replace("forever.", "forever!!").replace("Write", "WRITE:"),
    "changed_word": LIGHTHOUSE.replace("short story", "brief story"),
}
SENTENCES = ["The committee met on Tuesday to review the annual budget for the public library system.",
             "Several members argued that the children's reading program deserved a larger share of funding.",
             "Others insisted that repairing the leaking roof of the main branch had to come first.",
             "In the end they agreed to postpone the final vote until the next monthly meeting."]
REORDERED = (" ".join(SENTENCES), " ".join([SENTENCES[2], SENTENCES[0], SENTENCES[3], SENTENCES[1]]))
UNRELATED = [
    "Explain how photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen "
    "inside the chloroplasts of green plants, and why this process matters for life on Earth.",
    "List five practical tips for improving the performance of a slow PostgreSQL query, including "
    "indexing strategies, analyzing execution plans and avoiding unnecessary sequential scans.",
    "Translate the following sentence into French and explain any grammar rules that apply: the cat "
    "that my grandmother adopted last winter sleeps on the warm windowsill every afternoon.",
    "Compose a haiku about autumn leaves falling into a quiet mountain stream at dawn.",
]


def conversation_table(instructions: list[str], responses: list[str] | None = None,
                       ids: list[str] | None = None):
    """Canonical table: one user turn (the instruction) and one assistant turn per row."""
    responses = responses or [f"Answer {i}." for i in range(len(instructions))]
    ids = ids or [f"r{i}" for i in range(len(instructions))]
    records = [{"id": rid, "messages": [message("user", text), message("assistant", reply)]}
               for rid, text, reply in zip(ids, instructions, responses)]
    return records_to_table(records)


def bag_of_words_embed(texts: list[str], model: str = "static") -> np.ndarray:
    """A tiny deterministic 'model': hashed bag of normalized words, L2-normalized."""
    from core.dedup.normalize import normalize_text

    vectors = np.zeros((len(texts), 512), np.float32)
    for row, text in enumerate(texts):
        for word in normalize_text(text).split():
            vectors[row, int.from_bytes(word.encode()[:8].ljust(8, b"_"), "little") * 2654435761 % 512] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)

