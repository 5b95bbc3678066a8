"""Toxicity metric: per-class scores for prompts and responses from the chosen scorer.

Column names carry the role and class (`response_toxicity`, `prompt_insult`…); every description
and the `toxicity_scorer` column name the scorer, so profanity-check numbers are never taken for
Detoxify's.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, PrivateAttr

from core.schema import role_texts
from core.steps import ColumnSpec, Metric, register
from core.toxicity import SCORER_CLASSES, ScorerName, scorer_label

Role = Literal["prompt", "response"]
_CLASS_LABELS = {"toxicity": "toxicity", "severe_toxicity": "severe toxicity", "obscene": "obscenity",
                 "threat": "threat", "insult": "insult", "identity_attack": "identity attack",
                 "sexual_explicit": "sexually explicit content"}


@register
class ToxicityMetric(Metric):
    """Probability per toxicity class for the prompt (user turns) and response (assistant turns)."""

    name: ClassVar[str] = "toxicity"
    title: ClassVar[str] = "Toxicity"
    description: ClassVar[str] = ("Toxicity per class and role. Default scorer: alt-profanity-check (offline); "
                                  "Detoxify original/unbiased/multilingual from a local checkpoint.")
    uses_model: ClassVar[bool] = True

    scorer: ScorerName = Field("profanity_check", description="Which model scores the text")
    checkpoint: str | None = Field(None, description="Detoxify .ckpt path (default: the torch hub cache)")
    huggingface_config_path: str | None = Field(None, description="Local folder with the HF config and tokenizer "
                                                "for a Detoxify checkpoint (offline loading)")
    roles: list[Role] = Field(default_factory=lambda: ["prompt", "response"], min_length=1,
                              description="Which texts to score")
    batch_size: int = Field(32, ge=1, le=1024, description="Detoxify batch size")

    _model: Any = PrivateAttr(None)

    def setup(self) -> None:
        if self._model is not None:
            return
        if self.scorer == "profanity_check":
            from core.toxicity import ProfanityCheckScorer

            self._model = ProfanityCheckScorer()
        else:
            from core.toxicity import DetoxifyScorer

            self._model = DetoxifyScorer(self.scorer, self.checkpoint, self.huggingface_config_path, self.batch_size)

    @property
    def scorer_label(self) -> str:
        return scorer_label(self.scorer)

    def class_names(self) -> tuple[str, ...]:
        return SCORER_CLASSES[self.scorer]

    def columns(self) -> list[ColumnSpec]:
        specs = []
        for role in self.roles:
            for cls in self.class_names():
                # profanity-check's one class is "offensive language", not Detoxify's toxicity.
                what = "offensive-language" if self.scorer == "profanity_check" else _CLASS_LABELS[cls]
                specs.append(ColumnSpec(
                    name=f"{role}_{cls}", label=f"{role.capitalize()} {_CLASS_LABELS[cls]} ({self.scorer.replace('_', '-')})", dtype="float", unit="probability", better="lower", bins=50,
                    range=(0.0, 1.0), group="safety",
                    description=f"{what.capitalize()} probability of the {role} (scored by {self.scorer_label})"))
        specs.append(ColumnSpec(name="toxicity_scorer", label="Toxicity scorer", dtype="category", group="safety", filterable=False,
                                description="Which scorer produced the toxicity columns"))
        return specs

    def compute(self, table: pa.Table) -> dict[str, Any]:
        self.setup()
        n = table.num_rows
        out: dict[str, Any] = {}
        for role in self.roles:
            texts = role_texts(table, role)
            present = np.array([bool(t.strip()) for t in texts], dtype=bool)
            idx = np.flatnonzero(present)
            scores = self._model.predict([texts[i] for i in idx]) if len(idx) else {}
            for cls in self.class_names():
                values = np.full(n, np.nan)
                if cls in scores:
                    values[idx] = scores[cls]
                # A row with no prompt (or no answer) has no score: null, which filters keep.
                out[f"{role}_{cls}"] = pa.array(values, pa.float64(), mask=np.isnan(values))
        out["toxicity_scorer"] = pa.array([self.scorer.replace("_", "-")] * n, pa.string())
        return out
