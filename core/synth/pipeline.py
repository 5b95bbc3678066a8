"""Prompt → Instruction → Completion → Score → Filter → Store, batch by batch.

Each row ("slot") draws its topic, style and requirements from its own seeded RNG, and requests
are issued in slot order with a per-request draw number, so a rerun of the same config asks the
same requests and the cache answers all of them. Cheap filters run before the judge so no one
pays to judge a response that is too short, off-topic or a duplicate. Every slot ends as an
accepted canonical record or a rejected entry with its stage and reason.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

import orjson

from core.dedup.normalize import normalize_text
from core.errors import SieveConfigError, SieveInputError
from core.progress import ProgressCallback
from core.schema import Dataset, message
from core.synth import templates
from core.synth.cache import RequestCache, Usage, redact_url, request_key
from core.synth.checks import RougePool, lexical_coherence, parse_verdict, requirement_failure
from core.synth.client import ChatClient, ChatResult, resolve_api_key
from core.synth.config import SynthConfig
from core.synth.sources import load_dataset_file, read_seed_file

TOOL_NAMES = {t["function"]["name"] for t in templates.DEFAULT_TOOLS}


@dataclass
class Slot:
    """One generation attempt, filled in stage by stage."""

    index: int
    id: str
    rng: random.Random
    origin: dict
    style: str | None = None
    template: str | None = None
    requirements: list[str] = field(default_factory=list)
    instruction: str = ""
    evol: list[str] = field(default_factory=list)
    response: str = ""
    tool_calls: list | None = None
    verdict: dict | None = None
    coherence: float | None = None
    metrics: dict = field(default_factory=dict)
    stage: str | None = None
    reason: str | None = None
    transient: bool = False

    @property
    def alive(self) -> bool:
        return self.reason is None

    def reject(self, stage: str, reason: str, transient: bool = False) -> None:
        self.stage, self.reason, self.transient = stage, reason, transient


@dataclass
class Outcome:
    """What became of one slot: a record, or the stage and reason it was rejected at."""

    id: str
    index: int
    accepted: bool
    instruction: str
    response: str
    stage: str | None = None
    reason: str | None = None
    transient: bool = False
    judge: dict | None = None
    record: dict | None = None

    def rejected_entry(self) -> dict:
        return {"id": self.id, "index": self.index, "stage": self.stage, "reason": self.reason,
                "transient": self.transient, "instruction": self.instruction, "response": self.response,
                "judge": self.judge}


@dataclass
class RunResult:
    accepted: list[dict]
    rejected: list[dict]
    usage: dict

    @property
    def reasons(self) -> Counter:
        return Counter(f"{r['stage']}: {r['reason'].split(' (')[0]}" for r in self.rejected)


class SynthesisRun:
    """One configured run; `run()` may be called once."""

    def __init__(self, config: SynthConfig, *, api_key: str | None = None, source: Dataset | None = None,
                 existing_texts: Iterable[str] = (), cache: RequestCache | None = None, sleep=None):
        self.config = config
        self.usage = Usage()  # each client marks it unpriced if its endpoint has no prices
        self.cache = cache if cache is not None else RequestCache(config.cache_path())
        kw = {"cache": self.cache, "usage": self.usage, **({"sleep": sleep} if sleep else {})}
        gen, teach, judge = config.generator, config.teacher_endpoint(), config.judge_endpoint()

        clients: dict[str, ChatClient] = {}

        def client_for(endpoint) -> ChatClient:
            # one client per distinct endpoint, so roles on one endpoint share its concurrency limit
            settings = endpoint.model_dump_json()
            if settings not in clients:
                clients[settings] = ChatClient(endpoint, api_key=resolve_api_key(endpoint, api_key), **kw)
            return clients[settings]

        self.generator = client_for(gen)
        self.teacher = client_for(teach)
        self.judge = client_for(judge) if config.judge.enabled else None
        self.source = source
        if config.source.kind == "dataset" and source is None:
            if not config.source.dataset:
                raise SieveConfigError("source kind 'dataset' needs a dataset file (source.dataset)")
            self.source = load_dataset_file(config.source.dataset)
        if config.source.kind == "dataset" and config.source.ids is not None:
            missing = sorted(set(config.source.ids) - set(self.source.ids))
            if missing:
                raise SieveInputError(f"row ids not in the dataset: {', '.join(missing[:10])}"
                                      + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""),
                                      file=config.source.dataset, field="source.ids")
        self.seen = {normalize_text(t) for t in existing_texts if t}
        for path in config.filters.dedup_against:
            self.seen.update(normalize_text(t) for t in load_dataset_file(path).texts("instruction") if t)
        seeds = list(config.source.seed_tasks)
        if config.source.seed_file:
            seeds += read_seed_file(config.source.seed_file)
        self.pool = RougePool(seeds)
        self.tag = run_tag(config, self.source)
        self._draws: Counter = Counter()
        self._workers = max(gen.max_concurrency, teach.max_concurrency, judge.max_concurrency)

    # ------------------------------------------------------------ driver

    def plan(self) -> list[Slot]:
        """Every slot of the run, with its deterministic draws."""
        cfg = self.config
        if cfg.source.kind == "dataset":
            prompts = list(zip(self.source.ids, self.source.texts(cfg.source.text_field)))
            if cfg.source.ids is not None:
                wanted = set(cfg.source.ids)
                prompts = [(i, t) for i, t in prompts if i in wanted]
            count = min(cfg.rows, len(prompts))
        else:
            count = cfg.rows
        styles = sorted(cfg.instructions.styles)
        weights = [cfg.instructions.styles[s] for s in styles]
        slots = []
        for index in range(count):
            rng = random.Random(f"{cfg.random_seed}:{index}")
            slot = Slot(index, f"synth-{self.tag}-{index:06d}", rng, {})
            if cfg.source.kind == "topics":
                topics = [t.strip() for t in cfg.source.topics if t.strip()]
                slot.origin = {"topic": topics[index % len(topics)]}
                slot.style = rng.choices(styles, weights)[0]
                slot.template = templates.INSTRUCTION_TEMPLATES[slot.style].label
            elif cfg.source.kind == "seeds":
                slot.template = templates.SELF_INSTRUCT.label
            else:
                source_id, text = prompts[index]
                slot.origin = {"source_id": source_id}
                slot.instruction = text
            slot.requirements = [r for r, p in sorted(cfg.instructions.requirements.items()) if rng.random() < p]
            slots.append(slot)
        return slots

    def run(self, *, on_outcome: Callable[[Outcome], None] | None = None,
            on_progress: ProgressCallback | None = None,
            should_stop: Callable[[], bool] | None = None) -> RunResult:
        slots = self.plan()
        accepted, rejected = [], []
        batch_size = max(2 * self._workers, 4)
        with ThreadPoolExecutor(max_workers=self._workers) as executor:
            self._executor = executor
            for start in range(0, len(slots), batch_size):
                if should_stop and should_stop():
                    break
                batch = slots[start:start + batch_size]
                if unreachable := _unreachable(rejected, accepted):
                    # A wrong base URL or a server that is down: every retry of every row would fail the
                    # same way (minutes of back-off for nothing); the rows left are recorded, not sent.
                    for slot in batch:
                        slot.reject(unreachable["stage"], f"not sent: no request reached the endpoint "
                                                          f"({unreachable['reason']})", transient=True)
                else:
                    batch = self._run_batch(batch)
                for slot in batch:
                    outcome = self._outcome(slot)
                    (accepted if outcome.accepted else rejected).append(
                        outcome.record if outcome.accepted else outcome.rejected_entry())
                    if on_outcome:
                        on_outcome(outcome)
                if on_progress:
                    on_progress(min(start + batch_size, len(slots)), len(slots), "generating")
        return RunResult(accepted, rejected, self.usage.summary())

    def _run_batch(self, slots: list[Slot]) -> list[Slot]:
        kind = self.config.source.kind
        if kind == "topics":
            self._ask(slots, self.generator, "instruction", self._instruction_messages, self._take_task)
        elif kind == "seeds":
            self._self_instruct(slots)
        for _ in range(self.config.evol.rounds):
            self._evolve(slots)
        self._prepare(slots)
        self._ask(slots, self.teacher, "completion", self._completion_messages, self._take_completion,
                  extra=self._completion_extra)
        self._cheap_filters(slots)
        if self.judge is not None:
            self._ask(slots, self.judge, "judge", self._judge_messages, self._take_verdict, extra=self._judge_extra)
        self._score(slots)
        return slots

    # ------------------------------------------------------------ stages

    def _ask(self, slots, client: ChatClient, stage: str, build, take, extra=None) -> None:
        """Send one request per live slot (draws numbered in slot order), then apply answers in order."""
        live = [s for s in slots if s.alive]
        calls = []
        for slot in live:
            messages, params = build(slot), extra(slot) if extra else None
            identity = request_key(client.endpoint.base_url, client.model, messages,
                                   {**client.endpoint.sampling_params(), **(params or {})})
            calls.append((messages, params, self._draws[identity]))
            self._draws[identity] += 1
        results = list(self._executor.map(lambda c: client.chat(c[0], extra=c[1], draw=c[2]), calls))
        for slot, result in zip(live, results):
            if not result.ok:
                slot.reject(stage, result.reason, result.transient)
            else:
                take(slot, result)

    @staticmethod
    def _instruction_messages(slot: Slot) -> list[dict]:
        return templates.INSTRUCTION_TEMPLATES[slot.style].messages(topic=slot.origin["topic"])

    @staticmethod
    def _take_task(slot: Slot, result: ChatResult) -> None:
        slot.instruction = templates.clean_generated_task(result.content)

    def _self_instruct(self, slots: list[Slot]) -> None:
        k = self.config.source.examples_per_prompt

        def build(slot: Slot) -> list[dict]:
            examples = slot.rng.sample(self.pool.texts, min(k, len(self.pool)))
            slot.origin = {"examples": examples}
            return templates.SELF_INSTRUCT.messages(examples="\n".join(f"- {e}" for e in examples))

        self._ask(slots, self.generator, "instruction", build, self._take_task)
        threshold = self.config.source.novelty_threshold
        for slot in slots:  # in slot order, so the pool grows the same way on every rerun
            if not slot.alive:
                continue
            score, nearest = self.pool.most_similar(slot.instruction)
            if score >= threshold:
                slot.reject("novelty", f"ROUGE-L {score:.2f} >= {threshold:.2f} against pool task {nearest[:60]!r}")
            else:
                self.pool.add(slot.instruction)

    def _evolve(self, slots: list[Slot]) -> None:
        def build(slot: Slot) -> list[dict]:
            operation = slot.rng.choice(self.config.evol.operations)
            slot.evol.append(operation)
            return templates.EVOL_TEMPLATES[operation].messages(instruction=slot.instruction)

        self._ask(slots, self.generator, "evol", build, self._take_task)

    def _prepare(self, slots: list[Slot]) -> None:
        """Requirement suffixes, instruction length, duplicates — all before anyone pays for an answer."""
        filters = self.config.filters
        for slot in (s for s in slots if s.alive):
            suffixes = [templates.REQUIREMENT_SUFFIXES[r] for r in slot.requirements]
            if suffixes:
                slot.instruction = f"{slot.instruction.rstrip()}\n\n{' '.join(suffixes)}"
            if len(slot.instruction.strip()) < filters.min_instruction_chars:
                slot.reject("filter", f"instruction shorter than {filters.min_instruction_chars} chars")
                continue
            if filters.drop_duplicates:
                key = normalize_text(slot.instruction)
                if key in self.seen:
                    slot.reject("filter", "duplicate instruction (exact after normalization)")
                    continue
                self.seen.add(key)

    def _completion_messages(self, slot: Slot) -> list[dict]:
        system = [{"role": "system", "content": self.config.system_prompt}] if self.config.system_prompt else []
        return system + [{"role": "user", "content": slot.instruction}]

    @staticmethod
    def _completion_extra(slot: Slot) -> dict | None:
        return {"tools": templates.DEFAULT_TOOLS} if "tool_use" in slot.requirements else None

    @staticmethod
    def _take_completion(slot: Slot, result: ChatResult) -> None:
        slot.response, slot.tool_calls = result.content, result.tool_calls

    @staticmethod
    def _response_text(slot: Slot) -> str:
        if slot.tool_calls:
            return f"{slot.response}\n[tool calls] {orjson.dumps(slot.tool_calls).decode()}".strip()
        return slot.response

    def _cheap_filters(self, slots: list[Slot]) -> None:
        filters = self.config.filters
        for slot in (s for s in slots if s.alive):
            length = len(slot.response.strip())
            if not slot.tool_calls and length < filters.min_response_chars:
                slot.reject("filter", f"response shorter than {filters.min_response_chars} chars ({length})")
                continue
            if filters.max_response_chars and length > filters.max_response_chars:
                slot.reject("filter", f"response longer than {filters.max_response_chars} chars ({length})")
                continue
            if filters.check_requirements:
                failure = next((f for r in slot.requirements
                                if (f := requirement_failure(r, slot.response, slot.tool_calls, TOOL_NAMES))), None)
                if failure:
                    slot.reject("requirement", failure)
                    continue
            slot.coherence = round(lexical_coherence(slot.instruction, self._response_text(slot)), 4)
            if slot.coherence < filters.min_coherence:
                slot.reject("filter", f"coherence {slot.coherence:.2f} < {filters.min_coherence:.2f}")

    def _judge_messages(self, slot: Slot) -> list[dict]:
        return templates.JUDGE.messages(instruction=slot.instruction, response=self._response_text(slot))

    def _judge_extra(self, slot: Slot) -> dict | None:
        return {"response_format": {"type": "json_object"}} if self.config.judge.json_mode else None

    def _take_verdict(self, slot: Slot, result: ChatResult) -> None:
        verdict, problem = parse_verdict(result.content)
        if verdict is None:
            slot.reject("judge", problem)
            return
        slot.verdict = verdict.model_dump()
        for dimension, minimum in sorted(self.config.filters.min_scores.items()):
            score = slot.verdict[dimension]["score"]
            if score < minimum:
                slot.reject("judge", f"{dimension} {score} < {minimum}: {slot.verdict[dimension]['reason']}")
                return

    def _score(self, slots: list[Slot]) -> None:
        """The cheap registered metrics, stored per row (they inform; the filters above decide)."""
        live = [s for s in slots if s.alive]
        if not self.config.metrics or not live:
            return
        from core.scoring import score_table
        from core.steps import build_step

        steps = [build_step("metric", m.name, m.params) for m in self.config.metrics]
        table = Dataset.from_records(self._record(s) for s in live).table
        for name, values in score_table(table, steps).items():
            for slot, value in zip(live, values.to_pylist()):
                slot.metrics[name] = value

    # ------------------------------------------------------------ store

    def _record(self, slot: Slot) -> dict:
        cfg = self.config
        messages = [message("system", cfg.system_prompt)] if cfg.system_prompt else []
        messages += [message("user", slot.instruction),
                     message("assistant", slot.response, tool_calls=slot.tool_calls)]
        generated = cfg.source.kind != "dataset" or bool(slot.evol)
        provenance = {
            "run": self.tag, "source": cfg.source.kind, **slot.origin,
            "generator": self.generator.model if generated else None,
            "teacher": self.teacher.model, "judge": self.judge.model if self.judge else None,
            "base_url": redact_url(self.teacher.endpoint.base_url),
            "template": slot.template, "style": slot.style, "requirements": slot.requirements,
            "evol": slot.evol,
            "params": {"generator": cfg.generator.sampling_params() if generated else None,
                       "teacher": self.teacher.endpoint.sampling_params()},
            "judge_scores": slot.verdict, "coherence": slot.coherence, "metrics": slot.metrics,
        }
        return {"id": slot.id, "messages": messages, "rejected": None,
                "meta": {"source_format": "synth", "source_file": cfg.source.dataset,
                         "source_record": slot.index, "extra": {}, "synth": provenance}}

    def _outcome(self, slot: Slot) -> Outcome:
        common = {"id": slot.id, "index": slot.index, "instruction": slot.instruction,
                  "response": self._response_text(slot), "judge": slot.verdict}
        if slot.alive:
            return Outcome(accepted=True, record=self._record(slot), **common)
        return Outcome(accepted=False, stage=slot.stage, reason=slot.reason, transient=slot.transient, **common)


def _unreachable(rejected: list[dict], accepted: list[dict]) -> dict | None:
    """The first rejection, when every row so far failed to connect (nothing accepted); else None."""
    if accepted or not rejected:
        return None
    failed_to_connect = all(r["transient"] and (r["reason"] or "").startswith(("connection error", "not sent: "))
                            for r in rejected)
    return rejected[0] if failed_to_connect else None


def run_tag(config: SynthConfig, source: Dataset | None) -> str:
    """Short hash naming a run: same config (row count and cache aside) and source, same ids."""
    basis = config.model_dump(mode="json", exclude={"rows", "cache_dir"})
    basis["source_fingerprint"] = source.fingerprint if source is not None else None
    return hashlib.sha256(orjson.dumps(basis, option=orjson.OPT_SORT_KEYS)).hexdigest()[:8]
