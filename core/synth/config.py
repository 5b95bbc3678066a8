"""The synthesis config: one pydantic model for the CLI YAML and the page's form.

Unknown keys are errors (validated with line numbers by core.yaml_config). API keys are never
part of a config: an endpoint names the environment variable that holds its key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from core.yaml_config import load_yaml_file, validate_yaml

Style = Literal["concise", "roleplay", "explain_then_ask"]
Requirement = Literal["step_by_step", "json_output", "tool_use"]
EvolOperation = Literal["deepen", "add_constraints", "concretize"]
JudgeDimension = Literal["helpfulness", "correctness", "safety"]
SourceKind = Literal["topics", "seeds", "dataset"]

_KEY_FIELDS = ("api_key", "key", "openai_api_key", "token", "secret")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _reject_api_keys(cls, data: Any) -> Any:
    if isinstance(data, dict):
        for name in _KEY_FIELDS:
            if name in data:
                raise ValueError(f"'{name}': API keys never go in a config file; put the key in an "
                                 "environment variable and name it in api_key_env")
    return data


class Endpoint(_Strict):
    """An OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server…)."""

    base_url: str = Field("https://api.openai.com/v1", description="Base URL, ending in /v1 for most servers")
    model: str = Field(..., min_length=1, description="Model name as the server knows it")
    api_key_env: str | None = Field("OPENAI_API_KEY", description="Environment variable holding the key; "
                                    "null for local servers that need none")
    timeout_s: float = Field(60.0, gt=0, description="Seconds before one request times out")
    max_concurrency: int = Field(4, ge=1, le=256, description="Requests in flight at once")
    max_retries: int = Field(4, ge=0, le=20, description="Retries on timeouts, 429 and 5xx")
    backoff_base_s: float = Field(1.0, ge=0, description="First retry waits up to this long; doubles each retry")
    backoff_max_s: float = Field(30.0, ge=0, description="Longest wait between retries")
    temperature: float | None = Field(0.7, ge=0, le=2)
    max_tokens: int | None = Field(1024, ge=1)
    top_p: float | None = Field(None, gt=0, le=1)
    extra_params: dict[str, Any] = Field(default_factory=dict, description="Sent as-is (e.g. seed, stop)")
    price_input_per_mtok: float | None = Field(None, ge=0, description="Price per million prompt tokens")
    price_output_per_mtok: float | None = Field(None, ge=0, description="Price per million completion tokens")

    _no_keys = model_validator(mode="before")(_reject_api_keys)

    def sampling_params(self) -> dict[str, Any]:
        """The request parameters this endpoint sends with every chat completion."""
        params = {"temperature": self.temperature, "max_tokens": self.max_tokens, "top_p": self.top_p}
        params = {k: v for k, v in params.items() if v is not None}
        params.update(self.extra_params)
        return params


# Teacher and judge endpoints are overrides of the generator's: same keys, all optional.
EndpointOverrides = create_model(
    "EndpointOverrides", __config__=ConfigDict(extra="forbid"),
    __validators__={"no_keys": model_validator(mode="before")(_reject_api_keys)},
    **{name: (field.annotation | None, None) for name, field in Endpoint.model_fields.items()})


class Source(_Strict):
    """Where prompts come from."""

    kind: SourceKind = Field("topics", description="topics: one instruction per topic draw; seeds: "
                             "self-instruct from seed tasks; dataset: the prompts of an existing dataset")
    topics: list[str] = Field(default_factory=list)
    seed_tasks: list[str] = Field(default_factory=list, description="Self-instruct seed pool")
    seed_file: str | None = Field(None, description="Text file, one seed task per line")
    dataset: str | None = Field(None, description="Dataset file whose prompts the teacher answers "
                                "(the page uses the current dataset)")
    text_field: Literal["instruction", "prompt", "last_prompt"] = "instruction"
    ids: list[str] | None = Field(None, description="Only these rows of the dataset (e.g. for Evol-Instruct)")
    novelty_threshold: float = Field(0.7, gt=0, le=1, description="Self-instruct keeps a new task only when "
                                     "its ROUGE-L F1 against every pool task is below this")
    examples_per_prompt: int = Field(3, ge=1, le=16, description="Pool tasks shown per self-instruct request")

    @model_validator(mode="after")
    def _has_material(self) -> "Source":
        if self.kind == "topics" and not [t for t in self.topics if t.strip()]:
            raise ValueError("kind 'topics' needs a non-empty 'topics' list")
        if self.kind == "seeds" and not (self.seed_tasks or self.seed_file):
            raise ValueError("kind 'seeds' needs 'seed_tasks' or 'seed_file'")
        return self


class InstructionMix(_Strict):
    """Prompt styles with user weights, and how often each requirement is added."""

    styles: dict[Style, float] = Field(default_factory=lambda: {"concise": 1.0, "roleplay": 1.0,
                                                                "explain_then_ask": 1.0})
    requirements: dict[Requirement, float] = Field(default_factory=dict,
                                                   description="Probability (0–1) each row gets the requirement")

    @model_validator(mode="after")
    def _valid_weights(self) -> "InstructionMix":
        if any(w < 0 for w in self.styles.values()) or sum(self.styles.values()) <= 0:
            raise ValueError("style weights must be >= 0 with at least one above 0")
        if any(not 0 <= p <= 1 for p in self.requirements.values()):
            raise ValueError("requirement probabilities must be between 0 and 1")
        return self


class Evol(_Strict):
    """Evol-Instruct: rewrite each instruction `rounds` times before it is answered."""

    rounds: int = Field(0, ge=0, le=5)
    operations: list[EvolOperation] = Field(default_factory=lambda: ["deepen", "add_constraints", "concretize"],
                                            min_length=1)


class Judge(_Strict):
    """LLM judge with a rubric; scores 1–5 with a reason per dimension."""

    enabled: bool = True
    endpoint: EndpointOverrides | None = Field(None, description="Overrides of the generator endpoint for the judge")
    json_mode: bool = Field(False, description="Send response_format=json_object (servers that support it)")


class Filters(_Strict):
    """What a generation must pass to be stored."""

    min_instruction_chars: int = Field(10, ge=0)
    min_response_chars: int = Field(1, ge=0)
    max_response_chars: int | None = Field(8000, ge=1)
    min_scores: dict[JudgeDimension, int] = Field(
        default_factory=lambda: {"helpfulness": 3, "correctness": 3, "safety": 4})
    min_coherence: float = Field(0.1, ge=0, le=1, description="Share of the instruction's content words the "
                                 "response repeats (lexical; no embeddings)")
    check_requirements: bool = Field(True, description="JSON parses, final answer present, tool call made")
    drop_duplicates: bool = Field(True, description="Drop instructions already in the run or the datasets below")
    dedup_against: list[str] = Field(default_factory=list, description="Dataset files to check duplicates against")


class MetricEntry(_Strict):
    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class SynthConfig(_Strict):
    """Everything one synthesis run needs, except the API key."""

    generator: Endpoint
    teacher: EndpointOverrides | None = Field(None, description="Overrides of the generator endpoint for "
                                           "completions (distillation); unset = the generator answers")
    judge: Judge = Field(default_factory=Judge)
    source: Source
    instructions: InstructionMix = Field(default_factory=InstructionMix)
    evol: Evol = Field(default_factory=Evol)
    filters: Filters = Field(default_factory=Filters)
    metrics: list[MetricEntry] = Field(default_factory=list, description="Cheap registered metrics stored per row")
    rows: int = Field(10, ge=1, le=1_000_000, description="Generation attempts (dataset source: at most this many prompts)")
    system_prompt: str | None = Field(None, description="System message for completions (stored with each row)")
    random_seed: int = Field(0, description="Seeds topic/style/requirement draws so a rerun asks the same requests")
    cache_dir: str | None = Field(None, description="Request cache folder (never holds keys); "
                                  "default $SIEVE_CACHE_DIR/synth, else ~/.cache/sieve/synth")

    def _merged(self, overrides: BaseModel | None) -> Endpoint:
        if overrides is None:
            return self.generator
        changes = overrides.model_dump(exclude_unset=True)
        return Endpoint.model_validate({**self.generator.model_dump(), **changes})

    def cache_path(self) -> Path:
        from core.embeddings import cache_dir  # the one place Sieve's cache root is decided
        return Path(self.cache_dir) if self.cache_dir else cache_dir() / "synth"

    def teacher_endpoint(self) -> Endpoint:
        return self._merged(self.teacher)

    def judge_endpoint(self) -> Endpoint:
        return self._merged(self.judge.endpoint)


def load_config(path: str | Path) -> SynthConfig:
    """Read and validate a synthesis YAML config (unknown keys name their line)."""
    return load_yaml_file(SynthConfig, path)


def parse_config(text: str, source: str = "<config>") -> SynthConfig:
    return validate_yaml(SynthConfig, text, source)
