"""The synthesis config: unknown keys and keys-in-config are errors naming their line."""

import pytest

from core.errors import SieveConfigError
from core.synth.config import parse_config

BASE = """\
generator:
  base_url: http://127.0.0.1:8000/v1
  model: small
  api_key_env: null
source:
  kind: topics
  topics: [tides, volcanoes]
"""


def test_a_minimal_config_gets_documented_defaults():
    config = parse_config(BASE)
    assert config.rows == 10 and config.judge.enabled
    assert config.filters.min_scores == {"helpfulness": 3, "correctness": 3, "safety": 4}
    assert config.teacher_endpoint() == config.generator


def test_unknown_keys_name_key_and_line():
    text = BASE + "filters:\n  min_response_chars: 5\n  min_cohrence: 0.2\n"
    with pytest.raises(SieveConfigError) as info:
        parse_config(text, "synth.yaml")
    assert str(info.value) == "synth.yaml, line 10: filters.min_cohrence: unknown key 'min_cohrence'"


def test_an_api_key_in_the_config_is_refused_without_echoing_it():
    text = BASE + "teacher:\n  model: big\n  api_key: sk-live-123456\n"
    with pytest.raises(SieveConfigError) as info:
        parse_config(text, "synth.yaml")
    assert "synth.yaml, line 8: teacher:" in str(info.value) and "api_key_env" in str(info.value)
    assert "sk-live-123456" not in str(info.value)


def test_teacher_and_judge_override_the_generator():
    config = parse_config(BASE + "teacher:\n  model: big\n  temperature: 0.2\njudge:\n  endpoint: {model: judge-m}\n")
    teacher = config.teacher_endpoint()
    assert (teacher.model, teacher.temperature, teacher.base_url) == ("big", 0.2, "http://127.0.0.1:8000/v1")
    assert config.judge_endpoint().model == "judge-m" and config.judge_endpoint().temperature == 0.7


def test_source_needs_its_material():
    with pytest.raises(SieveConfigError, match="line 5: source: Value error, kind 'seeds' needs"):
        parse_config(BASE.replace("kind: topics", "kind: seeds"))
    with pytest.raises(SieveConfigError, match="style weights"):
        parse_config(BASE + "instructions:\n  styles: {concise: 0}\n")


def test_the_documented_example_validates():
    from pathlib import Path

    from core.synth.config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "examples" / "synth.yaml")
    assert config.teacher_endpoint().model == "Qwen/Qwen2.5-72B-Instruct"
    assert config.teacher_endpoint().base_url == config.generator.base_url
    assert config.judge_endpoint().temperature == 0.0 and config.rows == 20


def test_a_missing_key_is_named():
    with pytest.raises(SieveConfigError) as info:
        parse_config("generator:\n  base_url: http://h/v1\nsource:\n  topics: [a]\n", "s.yaml")
    assert str(info.value) == "s.yaml, line 1: generator.model: required key is missing"
