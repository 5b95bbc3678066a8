"""`python -m core synth`: files written, resume after a kill pays for nothing twice, keys stay off disk."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-cli-9d2e7b41-must-not-leak"
TOPICS = ["tides", "volcanoes", "glaciers", "deserts", "rainforests", "coral reefs",
          "earthquakes", "hurricanes", "auroras", "geysers", "monsoons", "tsunamis"]


def write_config(tmp_path: Path, url: str, rows: int = 12, **extra) -> Path:
    lines = [
        "generator:",
        f"  base_url: {url}",
        "  model: fake-small",
        "  api_key_env: SIEVE_SYNTH_TEST_KEY",
        "  timeout_s: 5",
        "  max_concurrency: 2",
        "  backoff_base_s: 0.001",
        "  price_input_per_mtok: 1.0",
        "  price_output_per_mtok: 2.0",
        "source:",
        "  kind: topics",
        f"  topics: [{', '.join(TOPICS)}]",
        "instructions:",
        "  styles: {concise: 1, roleplay: 1, explain_then_ask: 1}",
        f"rows: {rows}",
        f"cache_dir: {tmp_path / 'cache'}",
    ] + [f"{k}: {v}" for k, v in extra.items()]
    path = tmp_path / "synth.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_cli_writes_accepted_rejected_and_a_summary(fake_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIEVE_SYNTH_TEST_KEY", KEY)
    fake_server.fail_next("malformed")
    config = write_config(tmp_path, fake_server.url, rows=4, random_seed=1)
    out = tmp_path / "out.jsonl"
    code = main(["synth", str(config), "--output", str(out), "--json"])
    summary = json.loads(capsys.readouterr().out)
    accepted, rejected = lines_of(out), lines_of(tmp_path / "out.rejected.jsonl")
    assert code == 0
    assert (summary["accepted"], summary["rejected"], summary["rows"]) == (3, 1, 4)
    assert len(accepted) == 3 and len(rejected) == 1
    assert rejected[0]["stage"] == "instruction" and rejected[0]["reason"].startswith("malformed response")
    assert summary["rejected_reasons"] == {"instruction: malformed response: not JSON": 1}
    assert summary["requests_sent"] == 1 + 3 * 3 and summary["cost"] > 0
    assert all(r["meta"]["synth"]["judge_scores"]["safety"]["score"] == 5 for r in accepted)
    assert fake_server.auth_headers and set(fake_server.auth_headers) == {f"Bearer {KEY}"}
    assert files_containing(tmp_path, KEY) == []

    # the output exists: without --resume it is an error naming the file, not an overwrite
    assert main(["synth", str(config), "--output", str(out)]) == 2
    assert "pass --resume" in capsys.readouterr().err


def test_bad_config_names_key_and_line(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("generator:\n  model: m\n  modle: x\nsource:\n  topics: [a]\n")
    assert main(["synth", str(config), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert f"{config}, line 3: generator.modle: unknown key 'modle'" in capsys.readouterr().err


def test_missing_key_variable_is_a_clear_error(fake_server, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SIEVE_SYNTH_TEST_KEY", raising=False)
    config = write_config(tmp_path, fake_server.url, rows=1)
    assert main(["synth", str(config), "--output", str(tmp_path / "o.jsonl")]) == 2
    assert "SIEVE_SYNTH_TEST_KEY" in capsys.readouterr().err
    assert fake_server.chat_requests == []


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_killed_run_resumes_without_repeating_a_request(fake_server, tmp_path):
    config = write_config(tmp_path, fake_server.url)
    out = tmp_path / "out.jsonl"
    cache_file = tmp_path / "cache" / "requests.jsonl"
    env = {**os.environ, "SIEVE_SYNTH_TEST_KEY": KEY}
    command = [sys.executable, "-m", "core", "synth", str(config), "--output", str(out)]

    # first batch: 4 rows x (instruction, completion, judge) = 12 answers; then 2 more and the server stalls
    fake_server.stall_after = 14
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: fake_server.answered_total == 14 and cache_file.exists()
                 and len(cache_file.read_text().splitlines()) == 14 and len(lines_of(out)) == 4)
    finally:
        proc.kill()
        proc.communicate()
    assert len(lines_of(out)) == 4

    fake_server.stall_after = None
    resumed = subprocess.run(command + ["--resume", "--json"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    # every request the server answered, it answered once: 12 rows x 3 stages
    assert len(fake_server.answered) == 36 and max(fake_server.answered.values()) == 1
    assert summary["cache_hits"] == 14 and summary["accepted_this_run"] == 8
    ids = [r["id"] for r in lines_of(out)]
    assert len(ids) == 12 == len(set(ids))
    assert lines_of(tmp_path / "out.rejected.jsonl") == []
    assert files_containing(tmp_path, KEY) == []


def test_resume_retries_rows_that_failed_on_the_wire(fake_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SIEVE_SYNTH_TEST_KEY", KEY)
    config = write_config(tmp_path, fake_server.url, rows=1)
    out = tmp_path / "out.jsonl"
    fake_server.fail_next(*["500"] * 5)  # 1 try + 4 retries: the row fails as transient
    assert main(["synth", str(config), "--output", str(out)]) == 0
    [entry] = lines_of(tmp_path / "out.rejected.jsonl")
    assert entry["transient"] and entry["reason"].startswith("HTTP 500: gave up after 5 attempts")
    capsys.readouterr()
    assert main(["synth", str(config), "--output", str(out), "--resume"]) == 0
    assert len(lines_of(out)) == 1 and lines_of(tmp_path / "out.rejected.jsonl") == []
