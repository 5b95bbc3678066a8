"""Transform `redact_pii`: rewrite PII in every message per type — typed placeholder or consistent fake.

Per-type actions: `report` (leave the text; the pii metric counts it), `drop` (leave the text; the
row is dropped by a threshold filter on `pii_<type>_count` <= 0 that `recipe_entries_for_actions`
adds — a Transform never drops a row), `redact` (`<EMAIL>`), `fake` (same input, same fake for a
given salt). What was rewritten is recorded in the row's meta under `pii_redactions` as
{type: {"action": …, "count": n}} — types and counts only, never the original values.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import ClassVar, Mapping

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, PrivateAttr, field_validator

from core.metrics.pii import count_column
from core.pii.detect import PII_TYPES, PiiDetector, ordered_pii_types
from core.pii.fake import FakeValues
from core.pii.redact import TEXT_REWRITING_ACTIONS, PiiAction, redact_text
from core.schema import MESSAGE_TYPE
from core.steps import Transform, register

META_KEY = "pii_redactions"


def _default_actions() -> dict[str, PiiAction]:
    # Names are only found with an NER pipeline and are often not personal (authors, characters):
    # report them by default rather than rewrite text on a guess.
    return {t: ("report" if t == "person" else "redact") for t in PII_TYPES}


@register
class RedactPii(Transform):
    """Rewrites PII in message text: a typed placeholder or a consistent fake per type."""

    name: ClassVar[str] = "redact_pii"
    title: ClassVar[str] = "Redact PII"
    description: ClassVar[str] = "Replace PII with <TYPE> placeholders or consistent fake values; counts go to meta."

    actions: dict[str, PiiAction] = Field(default_factory=_default_actions,
                                          description="Action per PII type: report, drop, redact or fake")
    salt: str = Field(default_factory=lambda: secrets.token_hex(8),
                      description="Seed for fake values: the same salt gives the same fakes (keep the recipe private)")
    phone_region: str = Field("US", description="Region for phone numbers written without +country code")
    spacy_model: str | None = Field("en_core_web_sm", description="spaCy pipeline for person names (skipped if absent)")

    _detector: PiiDetector | None = PrivateAttr(None)

    @field_validator("actions")
    @classmethod
    def _known_types(cls, value: dict[str, PiiAction]) -> dict[str, PiiAction]:
        ordered_pii_types(value)
        return value

    def setup(self) -> None:
        if self._detector is None:
            rewritten = [t for t, a in self.actions.items() if a in TEXT_REWRITING_ACTIONS]
            self._detector = PiiDetector(rewritten, self.phone_region, self.spacy_model)

    def apply(self, table: pa.Table) -> pa.Table:
        self.setup()
        fakes = FakeValues(self.salt)
        per_row = [Counter() for _ in range(table.num_rows)]
        cache: dict[str, tuple[str, Counter]] = {}

        def rewrite(row: int, text: str | None) -> str | None:
            if not text:
                return text
            new_text, changed = cache[text]
            per_row[row].update(changed)
            return new_text

        messages = table.column("messages").combine_chunks()
        parents = pc.list_parent_indices(messages).to_numpy()
        flat = pc.list_flatten(messages)
        rejected = table.column("rejected").combine_chunks()
        old_contents = flat.field("content").to_pylist()
        old_rejected = rejected.field("content").to_pylist()
        unique = list(dict.fromkeys(t for t in old_contents + old_rejected if t))  # scan each text once
        for text, matches in zip(unique, self._detector.find_many(unique)):
            cache[text] = redact_text(text, matches, self.actions, fakes)
        contents = [rewrite(int(r), c) for r, c in zip(parents, old_contents)]
        new_flat = pa.StructArray.from_arrays(
            [flat.field("role"), pa.array(contents, pa.string()), flat.field("name"), flat.field("tool_calls")],
            fields=list(MESSAGE_TYPE))
        # A sliced batch's offsets need not start at 0, while list_flatten starts its values there.
        offsets = pc.subtract(messages.offsets, messages.offsets[0])
        new_messages = pa.ListArray.from_arrays(offsets, new_flat, mask=messages.is_null())

        new_rejected_content = [rewrite(i, c) for i, c in enumerate(old_rejected)]
        new_rejected = pa.StructArray.from_arrays(
            [rejected.field("role"), pa.array(new_rejected_content, pa.string()), rejected.field("name"),
             rejected.field("tool_calls")], fields=list(MESSAGE_TYPE), mask=rejected.is_null())

        metas = [_with_redactions(m, c) for m, c in zip(table.column("meta").to_pylist(), per_row)]
        table = table.set_column(table.schema.get_field_index("messages"), "messages", new_messages)
        table = table.set_column(table.schema.get_field_index("rejected"), "rejected", new_rejected)
        return table.set_column(table.schema.get_field_index("meta"), "meta", pa.array(metas, pa.string()))


def _with_redactions(meta_json: str | None, changed: Counter) -> str | None:
    if not changed:
        return meta_json
    meta = orjson.loads(meta_json) if meta_json else {}
    record = meta.setdefault(META_KEY, {})
    for (pii_type, action), n in sorted(changed.items()):
        previous = record.get(pii_type, {}).get("count", 0)
        record[pii_type] = {"action": action, "count": previous + n}
    return orjson.dumps(meta).decode()


def recipe_entries_for_actions(actions: Mapping[str, PiiAction], salt: str | None = None, **detector_params) -> list[dict]:
    """The recipe steps that carry out per-type actions: pii metric, a drop filter per 'drop' type, redaction.

    Returns entries in run order; the redaction entry is left out when no type is rewritten.
    """
    detector_params = {k: v for k, v in detector_params.items() if v is not None}
    entries = [{"kind": "metric", "name": "pii", "params": detector_params}]
    for pii_type in PII_TYPES:
        if actions.get(pii_type) == "drop":
            entries.append({"kind": "filter", "name": "threshold",
                            "params": {"column": count_column(pii_type), "max": 0}})
    if any(a in TEXT_REWRITING_ACTIONS for a in actions.values()):
        params = {"actions": dict(actions), **detector_params}
        if salt is not None:
            params["salt"] = salt
        entries.append(RedactPii(**params).to_entry())
    return entries


def redacted_rows(table: pa.Table) -> np.ndarray:
    """Which rows a redact_pii step rewrote (from their meta)."""
    return np.array([bool(m) and f'"{META_KEY}"' in m for m in table.column("meta").to_pylist()], dtype=bool)
