"""PII metric: how many emails, phones, cards, IPs, IBANs, credentials, keys (and names) each row holds."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field, PrivateAttr, field_validator

from core.pii.detect import PII_LABELS, PII_TYPES, PiiDetector, ordered_pii_types
from core.schema import flat_messages
from core.steps import ColumnSpec, Metric, register


def count_column(pii_type: str) -> str:
    """Name of the per-row count column for one PII type (what a 'drop' filter thresholds)."""
    return f"pii_{pii_type}_count"


def all_texts(table: pa.Table) -> tuple[np.ndarray, list[str]]:
    """(row index, text) of every message of every row, the rejected answer included."""
    parents, flat = flat_messages(table)
    contents = flat.field("content").to_pylist()
    rejected = table.column("rejected").combine_chunks().field("content").to_pylist()
    extra_rows = [i for i, r in enumerate(rejected) if r]
    return (np.concatenate([parents, np.array(extra_rows, dtype=parents.dtype)]),
            [c or "" for c in contents] + [rejected[i] for i in extra_rows])


@register
class PiiMetric(Metric):
    """Counts PII per type in every message of a row (system, user, assistant, tool and rejected)."""

    name: ClassVar[str] = "pii"
    title: ClassVar[str] = "PII"
    description: ClassVar[str] = ("Emails, phone numbers, Luhn-checked card numbers, IPs, mod-97-checked IBANs, "
                                  "URL credentials, API keys, private keys; person names with a spaCy NER pipeline.")

    types: list[str] = Field(default_factory=lambda: list(PII_TYPES), description="PII types to look for")
    phone_region: str = Field("US", description="Region for phone numbers written without +country code (ISO 3166)")
    spacy_model: str | None = Field("en_core_web_sm", description="spaCy pipeline (name or path) for person names; "
                                    "skipped when not installed")

    _detector: PiiDetector | None = PrivateAttr(None)

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: list[str]) -> list[str]:
        return ordered_pii_types(value)

    def setup(self) -> None:
        if self._detector is None:
            self._detector = PiiDetector(self.types, self.phone_region, self.spacy_model)

    @property
    def detector(self) -> PiiDetector:
        self.setup()
        return self._detector

    def columns(self) -> list[ColumnSpec]:
        specs = [ColumnSpec(name="pii_count", label="PII items (all types)", dtype="int", description="PII items found in the row (all types)",
                            unit="items", better="lower", group="safety")]
        for t in self.types:
            note = " (null where no spaCy NER pipeline is installed)" if t == "person" else ""
            specs.append(ColumnSpec(name=count_column(t), label=f"PII items: {PII_LABELS[t]}", dtype="int", unit="items", better="lower", group="safety",
                                    description=f"{PII_LABELS[t]} items found in the row{note}"))
        specs.append(ColumnSpec(name="pii_types", label="PII types found", dtype="list", description="PII types found in the row",
                                group="safety", filterable=False))
        return specs

    def compute(self, table: pa.Table) -> dict[str, Any]:
        detector = self.detector
        n = table.num_rows
        counts = {t: np.zeros(n, dtype=np.int64) for t in self.types}
        parents, texts = all_texts(table)
        unique = list(dict.fromkeys(texts))  # system prompts and templates repeat: scan each text once
        seen = {text: Counter(m.type for m in matches) for text, matches in zip(unique, detector.find_many(unique))}
        for row, text in zip(parents, texts):
            for pii_type, k in seen[text].items():
                counts[pii_type][row] += k
        out: dict[str, Any] = {"pii_count": sum(counts.values(), np.zeros(n, dtype=np.int64))}
        for t in self.types:
            out[count_column(t)] = counts[t]
        if "person" in self.types and not detector.checks_persons:
            out[count_column("person")] = pa.nulls(n, pa.int64())
        out["pii_types"] = pa.array([[t for t in self.types if counts[t][i]] for i in range(n)], pa.list_(pa.string()))
        return out
