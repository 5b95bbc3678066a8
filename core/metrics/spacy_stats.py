"""spaCy statistics of each response: named entities by label and the part-of-speech mix.

With an installed English pipeline (en_core_web_sm or a package the user names) the entities and
POS tags are the model's. Without one, `spacy.blank("en")` plus an entity ruler finds what rules
can (emails, URLs, numbers, money, percentages, dates, times) and POS shares are left empty.
Nothing is ever downloaded.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import lru_cache
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field

from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register

POS_NAMES = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb", "pron": "pronoun"}
POS_SHARES = {"noun": ("NOUN", "PROPN"), "verb": ("VERB", "AUX"), "adj": ("ADJ",), "adv": ("ADV",),
              "pron": ("PRON",)}
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]
_lock = threading.Lock()


def _rule_patterns() -> list[dict]:
    digits = {"IS_DIGIT": True}
    return [
        {"label": "EMAIL", "pattern": [{"LIKE_EMAIL": True}]},
        {"label": "URL", "pattern": [{"LIKE_URL": True}]},
        {"label": "MONEY", "pattern": [{"ORTH": {"IN": ["$", "€", "£", "¥"]}}, {"LIKE_NUM": True}]},
        {"label": "PERCENT", "pattern": [{"LIKE_NUM": True}, {"ORTH": {"IN": ["%", "percent"]}}]},
        {"label": "DATE", "pattern": [{"LOWER": {"IN": _MONTHS}}, {"IS_DIGIT": True, "OP": "?"},
                                      {"ORTH": ",", "OP": "?"}, {"SHAPE": "dddd"}]},
        {"label": "DATE", "pattern": [{"SHAPE": "dddd"}, {"ORTH": "-"}, {"SHAPE": "dd"}, {"ORTH": "-"}, {"SHAPE": "dd"}]},
        {"label": "DATE", "pattern": [{"SHAPE": "dddd-dd-dd"}]},
        {"label": "TIME", "pattern": [digits, {"ORTH": ":"}, {"SHAPE": "dd"}, {"LOWER": {"IN": ["am", "pm"]}, "OP": "?"}]},
        {"label": "TIME", "pattern": [{"SHAPE": {"IN": ["d:dd", "dd:dd"]}}]},
        {"label": "CARDINAL", "pattern": [{"LIKE_NUM": True}]},
    ]


@lru_cache(maxsize=4)
def load_pipeline(model: str):
    """(nlp, has_tagger): an installed pipeline by name, or blank English + rules for 'blank'/'auto' fallback."""
    import spacy

    if model != "blank":
        name = "en_core_web_sm" if model == "auto" else model
        if spacy.util.is_package(name) or model != "auto":
            try:
                nlp = spacy.load(name, exclude=["lemmatizer", "parser"])
                return nlp, nlp.has_pipe("tagger") or nlp.has_pipe("morphologizer")
            except OSError:
                if model != "auto":
                    from core.errors import SieveConfigError
                    raise SieveConfigError(f"spaCy pipeline {name!r} is not installed (Sieve never "
                                           "downloads models); use model='auto' or 'blank'") from None
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(_rule_patterns())
    return nlp, False


@register
class SpacyStats(Metric):
    name: ClassVar[str] = "spacy_stats"
    title: ClassVar[str] = "Entities & parts of speech"
    description: ClassVar[str] = ("Named entities by label and the part-of-speech mix of each response, "
                                  "with spaCy (an installed English pipeline, else blank English + rules).")

    model: str = Field("auto", description=(
        "'auto' (en_core_web_sm if installed, else rules), 'blank' (rules only), or the name of an "
        "installed spaCy pipeline"))
    max_chars: int = Field(5000, ge=100, description="Only the first characters of long responses are parsed")

    def columns(self) -> list[ColumnSpec]:
        specs = [
            ColumnSpec(name="response_entity_count", label="Response named entities", dtype="int", unit="entities", bins=30, group="other",
                       description="Named entities in the response (model entities, or rule matches without a model)"),
            ColumnSpec(name="response_entity_labels", label="Response entity labels", dtype="str", group="other", filterable=False,
                       description="Entity counts by label, e.g. 'DATE:2,ORG:1'"),
            ColumnSpec(name="response_stopword_share", label="Response stop-word share", dtype="float", unit="fraction", bins=40, range=(0.0, 1.0),
                       group="other", description="Share of word tokens that are English stop words"),
            ColumnSpec(name="response_punct_share", label="Response punctuation share", dtype="float", unit="fraction", bins=40, range=(0.0, 1.0),
                       group="other", description="Share of tokens that are punctuation"),
        ]
        for share, tags in POS_SHARES.items():
            specs.append(ColumnSpec(name=f"response_{share}_share", label=f"Response {POS_NAMES[share]} share", dtype="float", unit="fraction", bins=40,
                                    range=(0.0, 1.0), group="other",
                                    description=f"Share of tokens tagged {'/'.join(tags)} (empty without a tagger)"))
        return specs

    def setup(self) -> None:
        with _lock:
            load_pipeline(self.model)

    def compute(self, table: pa.Table) -> dict:
        with _lock:
            nlp, has_tagger = load_pipeline(self.model)
        texts = [t[:self.max_chars] for t in role_texts(table, "response")]
        n = len(texts)
        out: dict = {"response_entity_count": np.zeros(n, np.int64), "response_entity_labels": [""] * n,
                     "response_stopword_share": np.zeros(n), "response_punct_share": np.zeros(n)}
        for share in POS_SHARES:
            out[f"response_{share}_share"] = np.full(n, np.nan)
        for row, doc in enumerate(nlp.pipe(texts, batch_size=256)):
            labels = Counter(ent.label_ for ent in doc.ents)
            out["response_entity_count"][row] = sum(labels.values())
            out["response_entity_labels"][row] = ",".join(f"{k}:{v}" for k, v in sorted(labels.items()))
            tokens = [t for t in doc if not t.is_space]
            if not tokens:
                continue
            words = [t for t in tokens if not t.is_punct]
            out["response_punct_share"][row] = (len(tokens) - len(words)) / len(tokens)
            out["response_stopword_share"][row] = sum(t.is_stop for t in words) / len(words) if words else 0.0
            if has_tagger:
                tags = Counter(t.pos_ for t in tokens)
                for share, wanted in POS_SHARES.items():
                    out[f"response_{share}_share"][row] = sum(tags[tag] for tag in wanted) / len(tokens)
        return out
