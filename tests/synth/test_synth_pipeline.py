"""The pipeline stores what passed and records, per row, the stage and reason of what did not."""

import json
import re

import pytest

from core.schema import Dataset, message
from core.synth import templates
from core.synth.config import SynthConfig
from core.synth.pipeline import SynthesisRun

GOOD = {"score": 5, "reason": "Complete and accurate."}


def verdict(correctness=GOOD):
    return json.dumps({"helpfulness": GOOD, "correctness": correctness, "safety": GOOD})


# What the scripted endpoint says about each topic, stage by stage.
WORLD = {
    "tides": {"answer": "Tides rise and fall because the moon's gravity pulls the oceans."},
    "volcanoes": {"answer": "Ok."},
    "chess openings": {"answer": "Chess openings like the Italian game develop pieces quickly.",
                       "judge": verdict({"score": 2, "reason": "The Italian game is misdescribed."})},
    "tax law": {"answer": "Tax law sets who pays which taxes, and how much.",
                "judge": '{"helpfulness": {"score": 4, "reason": "ok"}}'},
    "gardening": {"answer": "My favourite film is about trains."},
}


def scripted(body):
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    topic = next((t for t in WORLD if t in user.lower()), None)
    if system == templates.INSTRUCTION_SYSTEM:
        return f"Explain {topic} to a curious teenager."
    if system == templates.JUDGE_SYSTEM:
        return WORLD[topic].get("judge", verdict())
    return WORLD[topic]["answer"]


def config(url, tmp_path, **overrides):
    settings = {
        "generator": {"base_url": url, "model": "gen-m", "api_key_env": None, "timeout_s": 0.5,
                      "max_retries": 1, "backoff_base_s": 0.001, "max_concurrency": 2},
        "source": {"kind": "topics", "topics": ["tides", "volcanoes", "chess openings", "tax law", "gardening", "tides"]},
        "instructions": {"styles": {"concise": 1}},
        "filters": {"min_response_chars": 10},
        "rows": 6, "cache_dir": str(tmp_path / "cache"),
    }
    for key, value in overrides.items():
        settings[key] = {**settings[key], **value} if isinstance(value, dict) and key in settings else value
    return SynthConfig.model_validate(settings)


def test_stores_what_passed_and_says_why_the_rest_failed(fake_server, tmp_path):
    fake_server.responder = scripted
    result = SynthesisRun(config(fake_server.url, tmp_path)).run()
    assert [r["messages"][0]["content"] for r in result.accepted] == ["Explain tides to a curious teenager."]
    record = result.accepted[0]
    assert record["messages"][1] == message("assistant", WORLD["tides"]["answer"])
    synth = record["meta"]["synth"]
    assert (synth["generator"], synth["teacher"], synth["judge"]) == ("gen-m", "gen-m", "gen-m")
    assert synth["template"] == "instruction/concise@v1" and synth["topic"] == "tides"
    assert synth["judge_scores"]["correctness"] == GOOD and synth["params"]["teacher"]["temperature"] == 0.7
    assert "127.0.0.1" in synth["base_url"]
    why = {r["instruction"].split()[1] + (f"#{r['index']}" if r["index"] == 5 else ""): (r["stage"], r["reason"])
           for r in result.rejected}
    assert why == {
        "volcanoes": ("filter", "response shorter than 10 chars (3)"),
        "chess": ("judge", "correctness 2 < 3: The Italian game is misdescribed."),
        "tax": ("judge", "judge answer invalid: correctness: Field required"),
        "gardening": ("filter", "coherence 0.00 < 0.10"),
        "tides#5": ("filter", "duplicate instruction (exact after normalization)"),
    }
    # 6 instructions, 5 completions (the duplicate is never answered), 3 judged (cheap filters first)
    assert len(fake_server.chat_requests) == 6 + 5 + 3
    assert result.usage["requests_sent"] == 14 and result.usage["cache_hits"] == 0


def test_wire_failures_are_recorded_not_raised(fake_server, tmp_path):
    fake_server.responder = scripted
    fake_server.fail_next("malformed", "500", "500")  # first instruction malformed; the second fails twice
    cfg = config(fake_server.url, tmp_path, rows=2, generator={"max_concurrency": 1})  # faults hit in slot order
    result = SynthesisRun(cfg).run()
    reasons = {r["index"]: (r["stage"], r["reason"], r["transient"]) for r in result.rejected}
    assert reasons[0][:2] == ("instruction", "malformed response: not JSON ('{\"choices\": [{\"message\":')")
    assert reasons[1] == ("instruction", "HTTP 500: gave up after 2 attempts (HTTP 500: internal error)", True)
    assert result.accepted == [] and result.usage["retries"] == 1


def test_rerun_of_the_same_config_is_served_by_the_cache(fake_server, tmp_path):
    fake_server.responder = scripted
    first = SynthesisRun(config(fake_server.url, tmp_path)).run()
    sent = len(fake_server.chat_requests)
    second = SynthesisRun(config(fake_server.url, tmp_path)).run()
    assert len(fake_server.chat_requests) == sent
    assert second.accepted == first.accepted and second.usage["cache_hits"] == 14


def test_distillation_labels_a_datasets_prompts_with_the_teacher(fake_server, tmp_path):
    source = Dataset.from_records([
        {"id": f"row-{i}", "messages": [message("user", text), message("assistant", "old answer")], "meta": {}}
        for i, text in enumerate(["Why is the sky blue?", "Name the largest planet.", "What is a prime number?"])])
    fake_server.responder = lambda body: (verdict() if body["messages"][0]["content"] == templates.JUDGE_SYSTEM
                                          else f"Teacher says: {body['messages'][-1]['content']}")
    cfg = config(fake_server.url, tmp_path, teacher={"model": "teacher-xl"}, judge={"endpoint": {"model": "judge-m"}},
                 source={"kind": "dataset", "ids": ["row-0", "row-2"]})
    result = SynthesisRun(cfg, source=source).run()
    assert [r["messages"][0]["content"] for r in result.accepted] == ["Why is the sky blue?", "What is a prime number?"]
    assert result.accepted[0]["messages"][1]["content"] == "Teacher says: Why is the sky blue?"
    meta = result.accepted[1]["meta"]["synth"]
    assert (meta["teacher"], meta["judge"], meta["generator"], meta["source_id"]) == ("teacher-xl", "judge-m", None, "row-2")
    assert [b["model"] for b in fake_server.chat_requests] == ["teacher-xl"] * 2 + ["judge-m"] * 2


def test_unknown_row_ids_are_an_error_not_a_silent_drop(fake_server, tmp_path):
    from core.errors import SieveInputError

    source = Dataset.from_records([{"id": "a", "messages": [message("user", "Why is the sky blue?")], "meta": {}}])
    cfg = config(fake_server.url, tmp_path, source={"kind": "dataset", "ids": ["a", "zz"]})
    with pytest.raises(SieveInputError, match="field 'source.ids': row ids not in the dataset: zz"):
        SynthesisRun(cfg, source=source)


def test_evol_instruct_rounds_rewrite_before_answering(fake_server, tmp_path):
    fake_server.responder = lambda body: (
        verdict() if body["messages"][0]["content"] == templates.JUDGE_SYSTEM
        else "Explain tides to a curious teenager." if body["messages"][0]["content"] == templates.INSTRUCTION_SYSTEM
        else body["messages"][-1]["content"].split("\n\n")[-1] + " Use an example from tides."
        if body["messages"][0]["content"] == templates.EVOL_SYSTEM else "Tides come from the moon's pull.")
    cfg = config(fake_server.url, tmp_path, rows=1, evol={"rounds": 2, "operations": ["deepen", "concretize"]})
    result = SynthesisRun(cfg).run()
    record = result.accepted[0]
    assert record["messages"][0]["content"] == ("Explain tides to a curious teenager. Use an example from tides."
                                                " Use an example from tides.")
    ops = record["meta"]["synth"]["evol"]
    assert len(ops) == 2 and set(ops) <= {"deepen", "concretize"}
    evol_prompts = [b["messages"][-1]["content"] for b in fake_server.chat_requests
                    if b["messages"][0]["content"] == templates.EVOL_SYSTEM]
    assert evol_prompts[0].startswith(templates.EVOL_TEMPLATES[ops[0]].user.split("{")[0])


def test_self_instruct_keeps_only_novel_tasks(fake_server, tmp_path):
    answers = iter(["Write a poem about the sea at night.",        # ROUGE-L vs a seed is high: dropped
                    "Convert 30 degrees Celsius to Fahrenheit."])  # novel: kept, joins the pool
    fake_server.responder = lambda body: (
        next(answers) if body["messages"][0]["content"] == templates.SELF_INSTRUCT_SYSTEM
        else verdict() if body["messages"][0]["content"] == templates.JUDGE_SYSTEM
        else "30 degrees Celsius is 86 degrees Fahrenheit.")
    cfg = config(fake_server.url, tmp_path, rows=2, source={
        "kind": "seeds", "seed_tasks": ["Write a poem about the sea.", "List three prime numbers."],
        "novelty_threshold": 0.7}, generator={"max_concurrency": 1})
    run = SynthesisRun(cfg)
    result = run.run()
    assert [r["messages"][0]["content"] for r in result.accepted] == ["Convert 30 degrees Celsius to Fahrenheit."]
    [rejected] = result.rejected
    assert rejected["stage"] == "novelty"
    # LCS with 'Write a poem about the sea.' is all 6 words; P = 6/8, R = 1 -> F1 = 0.857
    assert rejected["reason"] == "ROUGE-L 0.86 >= 0.70 against pool task 'Write a poem about the sea.'"
    assert len(run.pool) == 3


def test_requirements_are_asked_for_and_checked(fake_server, tmp_path):
    def respond(body):
        system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system == templates.INSTRUCTION_SYSTEM:
            return "List the planets of the solar system in order from the sun."
        if system == templates.JUDGE_SYSTEM:
            return verdict()
        assert body["tools"] == templates.DEFAULT_TOOLS and user.endswith(templates.REQUIREMENT_SUFFIXES["tool_use"])
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "web_search", "arguments": '{"query": "planets solar system order"}'}}]}

    fake_server.responder = respond
    cfg = config(fake_server.url, tmp_path, rows=1, instructions={"requirements": {"tool_use": 1.0}},
                 filters={"min_coherence": 0.3})
    [record] = SynthesisRun(cfg).run().accepted
    assert record["messages"][1]["tool_calls"][0]["function"]["name"] == "web_search"
    assert record["meta"]["synth"]["requirements"] == ["tool_use"]


def test_json_requirement_failure_is_recorded(fake_server, tmp_path):
    fake_server.responder = lambda body: (
        "Give the capital of France." if body["messages"][0]["content"] == templates.INSTRUCTION_SYSTEM
        else "The capital of France is Paris.")
    cfg = config(fake_server.url, tmp_path, rows=1, instructions={"requirements": {"json_output": 1.0}})
    result = SynthesisRun(cfg).run()
    assert result.rejected[0]["stage"] == "requirement"
    assert result.rejected[0]["reason"] == "json_output: response is not valid JSON"
    assert re.search(r"single JSON object", result.rejected[0]["instruction"])


def test_duplicates_against_existing_rows(fake_server, tmp_path):
    fake_server.responder = scripted
    run = SynthesisRun(config(fake_server.url, tmp_path, rows=1), existing_texts=["explain TIDES to a curious teenager!"])
    result = run.run()
    assert result.rejected[0]["reason"] == "duplicate instruction (exact after normalization)"


def test_cheap_metrics_are_stored_per_row(fake_server, tmp_path):
    fake_server.responder = scripted
    cfg = config(fake_server.url, tmp_path, rows=1, metrics=[{"name": "text_length"}])
    [record] = SynthesisRun(cfg).run().accepted
    assert record["meta"]["synth"]["metrics"]["response_chars"] == len(WORLD["tides"]["answer"])


def test_same_request_twice_is_two_draws(fake_server, tmp_path):
    fake_server.responder = scripted
    cfg = config(fake_server.url, tmp_path, rows=2, source={"topics": ["tides"]}, filters={"drop_duplicates": False})
    SynthesisRun(cfg).run()
    instruction_requests = [b for b in fake_server.chat_requests if b["messages"][0]["content"] == templates.INSTRUCTION_SYSTEM]
    assert len(instruction_requests) == 2 and instruction_requests[0] == instruction_requests[1]


def test_should_stop_ends_the_run_between_batches(fake_server, tmp_path):
    fake_server.responder = scripted
    cfg = config(fake_server.url, tmp_path, rows=6, generator={"max_concurrency": 1})  # batches of 4
    outcomes = []
    result = SynthesisRun(cfg).run(on_outcome=outcomes.append, should_stop=lambda: len(outcomes) >= 4)
    assert len(outcomes) == 4 == len(result.accepted) + len(result.rejected)
    assert [o.index for o in outcomes] == [0, 1, 2, 3]


def test_an_endpoint_nobody_answers_ends_the_run_after_one_batch(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on: every connection is refused
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    cfg = config(url, tmp_path, rows=10, generator={"max_concurrency": 1})  # batches of 4
    outcomes = []
    result = SynthesisRun(cfg).run(on_outcome=outcomes.append)
    assert len(result.rejected) == 10 == len(outcomes) and result.accepted == []
    sent, skipped = result.rejected[:4], result.rejected[4:]
    assert all(r["reason"].startswith("connection error: gave up after 2 attempts") for r in sent)
    assert all(r["stage"] == "instruction" and r["transient"] for r in skipped)
    assert all(r["reason"].startswith("not sent: no request reached the endpoint (connection error") for r in skipped)
    assert result.usage["requests_sent"] == 4 * 2  # the first batch only, each tried twice
