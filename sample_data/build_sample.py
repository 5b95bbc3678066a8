"""Build the bundled sample (alpaca.json, sharegpt.json, openai.jsonl, preferences.jsonl) and its README.

The committed data files are what Sieve loads; this script only documents how they were made and
lets us regenerate them deterministically: `python sample_data/build_sample.py`.
Content is hand-written in the sibling `_*.py` modules; math problems and unit conversions are
computed so their worked answers are right.
"""

from __future__ import annotations

import copy
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep sample_data/ free of __pycache__

from _coding import CODING  # noqa: E402
from _dialogues import DIALOGUES, OPENAI_TOOL_DIALOGUE, TOOL_DIALOGUES  # noqa: E402
from _generated import conversion_items, extraction_items, math_items  # noqa: E402
from _knowledge import FACTS, SUMMARIES, WRITING  # noqa: E402
from _languages import GRAMMAR, MULTILINGUAL, REVIEWS, TRANSLATIONS  # noqa: E402
import _planted as planted  # noqa: E402
from _preferences import PREFERENCES  # noqa: E402

SEED = 20240611
PREFIX = {"alpaca": "alp", "sharegpt": "sg", "openai": "oai"}
SYSTEM_BY_CATEGORY = {
    "math": "You are a maths tutor. Show your working step by step.",
    "qa": "You are a knowledgeable assistant. Explain clearly for a general audience.",
    "coding": "You are a senior software engineer. Give correct, idiomatic code with a short explanation.",
    "writing": "You are a helpful writing assistant.",
    "translation": "You are a professional translator. Reply with the translation only.",
}


def entry(fmt, category, prompt, answer, *, input_text="", system=None):
    return {"fmt": fmt, "category": category, "system": system, "input": input_text,
            "turns": [("user", prompt), ("assistant", answer)]}


def clean_entries(rng: random.Random) -> list[dict]:
    """Every unproblematic record, assigned to a format."""
    out = []
    for i, (instr, inp, ans) in enumerate(CODING):
        fmt = "alpaca" if i < 20 else ("sharegpt" if i < 25 else "openai")
        out.append(entry(fmt, "coding", instr if fmt == "alpaca" or not inp else f"{instr}\n\n{inp}", ans,
                         input_text=inp if fmt == "alpaca" else ""))
    for i, (q, a) in enumerate(FACTS):
        out.append(entry("sharegpt" if i % 2 else "openai", "qa", q, a))
    for i, (instr, inp, ans) in enumerate(WRITING):
        fmt = ("alpaca", "sharegpt", "alpaca", "openai")[i % 4]
        out.append(entry(fmt, "writing", instr if fmt == "alpaca" or not inp else f"{instr}\n\n{inp}", ans,
                         input_text=inp if fmt == "alpaca" else ""))
    for instr, passage, summary in SUMMARIES:
        out.append(entry("alpaca", "summarization", instr, summary, input_text=passage))
    for instr, text, answer in extraction_items():
        out.append(entry("alpaca", "extraction", instr, answer, input_text=text))
    for i, (q, a) in enumerate(math_items(rng, per_template=4)):
        out.append(entry("alpaca" if i % 2 else "openai", "math", q, a))
    for i, (q, a) in enumerate(conversion_items()):
        out.append(entry("alpaca" if i % 2 else "openai", "conversion", q, a))
    for _lang, q, a in MULTILINGUAL:
        out.append(entry("sharegpt", "multilingual", q, a))
    for review, label in REVIEWS:
        out.append(entry("alpaca", "classification",
                         "Classify the sentiment of this review as Positive, Negative or Neutral.", label,
                         input_text=review))
    for wrong, right in GRAMMAR:
        out.append(entry("alpaca", "grammar", "Correct the grammar and spelling in this sentence.", right,
                         input_text=wrong))
    for lang, sentence, translation in TRANSLATIONS:
        out.append(entry("openai", "translation", f"Translate into {lang}: {sentence}", translation))
    for turns in DIALOGUES:
        system = turns[0][1] if turns[0][0] == "system" else None
        out.append({"fmt": "sharegpt", "category": "dialogue", "system": system, "input": "",
                    "turns": [t for t in turns if t[0] != "system"]})
    for system, tools, turns in TOOL_DIALOGUES:
        out.append({"fmt": "sharegpt", "category": "tool_use", "system": system, "input": "",
                    "turns": turns, "tools": tools})
    out.append({"fmt": "openai", "category": "tool_use", "raw_messages": OPENAI_TOOL_DIALOGUE})
    for e in out:  # a system prompt on about half of the single-turn OpenAI records
        if e["fmt"] == "openai" and "raw_messages" not in e and e["system"] is None and rng.random() < 0.5:
            e["system"] = SYSTEM_BY_CATEGORY.get(e["category"], "You are a helpful assistant.")
    return out


def prompt_of(e: dict) -> str:
    return e["turns"][0][1] if "turns" in e else ""


def find(entries: list[dict], prompt_start: str) -> dict:
    hits = [e for e in entries if prompt_of(e).startswith(prompt_start)]
    assert len(hits) == 1, (prompt_start, len(hits))
    return hits[0]


def with_answer(e: dict, answer: str) -> dict:
    twin = copy.deepcopy(e)
    twin["turns"][-1] = ("assistant", answer)
    return twin


def plant(entries: list[dict]) -> list[tuple[str, list[dict], str]]:
    """Add the planted problem records to `entries`; returns (problem, [entries], note) rows."""
    rows: list[tuple[str, list[dict], str]] = []

    def add(problem, group, note):
        known = {id(e) for e in entries}  # identity: a verbatim copy compares equal to its original
        entries.extend(e for e in group if id(e) not in known)
        rows.append((problem, group, note))

    # exact duplicates: verbatim copies (same format, so the canonical records are identical)
    for fmt, start, copies, note in [
        ("alpaca", "Remove duplicates from a Python list", 1, "coding answer copied verbatim"),
        ("alpaca", "A bag holds", 2, "math problem present three times"),
        ("sharegpt", "¿Por qué el mar es salado?", 1, "Spanish QA copied verbatim"),
        ("openai", "What is the capital of Australia?", 1, "factual QA copied verbatim"),
        ("sharegpt", "Explain recursion to me.", 1, "multi-turn conversation copied verbatim"),
    ]:
        original = next(e for e in entries if e["fmt"] == fmt and prompt_of(e).startswith(start))
        add("exact_duplicate", [original] + [copy.deepcopy(original) for _ in range(copies)], note)
    writing = find(entries, "Write a haiku about autumn.")
    cross = copy.deepcopy(writing)
    cross["fmt"] = "openai"
    add("exact_duplicate", [writing, cross], "same conversation in alpaca.json and openai.jsonl")

    # near duplicates: the first id is the original
    e = find(entries, "Make this paragraph more concise.")
    add("near_duplicate", [e, with_answer(e, "  If you can't attend Tuesday's meeting,  please let us know as soon as possible\nso we can make other arrangements. ")],
        "whitespace only")
    e = find(entries, "What is the largest ocean on Earth?")
    add("near_duplicate", [e, with_answer(e, e["turns"][1][1].replace(",", "").replace(" — ", " - "))],
        "punctuation only")
    e = find(entries, "What causes ocean tides?")
    twin = copy.deepcopy(e)
    twin["turns"][0] = ("user", "What causes the ocean tides?")
    twin["turns"][1] = ("assistant", e["turns"][1][1].replace("caused mainly by", "caused mostly by"))
    add("near_duplicate", [e, twin], "one word added to the prompt, one word changed in the answer")
    e = find(entries, "How do vaccines work?")
    sentences = re.split(r"(?<=\.) ", e["turns"][1][1])
    add("near_duplicate", [e, with_answer(e, " ".join([sentences[1], sentences[0]] + sentences[2:]))],
        "first two sentences of the answer swapped")
    e = find(entries, "Write a short poem about the sea at night.")
    add("near_duplicate", [e, with_answer(e, "Sure! Here's a poem:\n\n" + e["turns"][1][1])], "answer gains a preamble")

    def single(problem, items, answer_of=lambda a: a):
        for item in items:
            fmt, prompt, *rest = item
            if len(rest) == 3:  # (input, answer, note)
                input_text, answer, note = rest
            else:
                (answer, note), input_text = rest, ""
            answer = answer_of(answer)
            fmt_prompt = prompt if fmt == "alpaca" or not input_text else f"{prompt}\n\n{input_text}"
            add(problem, [entry(fmt, "planted", fmt_prompt, answer,
                                input_text=input_text if fmt == "alpaca" else "")], note)

    single("refusal", planted.REFUSALS)
    single("broken_json", planted.BROKEN_JSON)
    single("unclosed_code_fence", planted.UNCLOSED_FENCES)
    single("language_mismatch", planted.LANGUAGE_MISMATCH)
    single("profanity", planted.PROFANITY)
    single("pii", planted.PII)
    single("very_short", planted.SHORT)
    single("low_entropy", planted.LOW_ENTROPY)
    single("very_long", planted.LONG, answer_of=lambda make: make())
    group = [entry(fmt, "planted", prompt, planted.BOILERPLATE_ANSWER) for fmt, prompt in planted.BOILERPLATE_PROMPTS]
    add("boilerplate", group, "the same canned answer to 8 different questions")
    return rows


def lookalikes(entries: list[dict]) -> list[tuple[str, list[dict], str]]:
    """Clean records a naive check would flag: documented so pages can count their false positives."""
    translations = [e for e in entries if e["category"] == "translation"]
    translations.append(find(entries, "请帮我把这句话翻译成英文"))
    labels = [e for e in entries if e["category"] == "classification"]
    emails = [find(entries, "Find all email addresses"), find(entries, "Write a Python function that validates an email")]
    return [("ok_translation", translations, "translation requests: the answer is in another language on purpose"),
            ("ok_short_label", labels, "sentiment labels: one-word answers that are complete"),
            ("ok_example_email", emails, "coding answers that use example addresses (reserved example domains), not PII")]


# ---------------------------------------------------------------- serialisation per format

def to_alpaca(e: dict, rid: str) -> dict:
    assert len(e["turns"]) == 2 and e["system"] is None, e
    return {"id": rid, "instruction": e["turns"][0][1], "input": e["input"], "output": e["turns"][1][1],
            "category": e["category"] if e["category"] != "planted" else "general"}


def to_sharegpt(e: dict, rid: str) -> dict:
    names = {"user": "human", "assistant": "gpt"}
    turns = [{"from": "system", "value": e["system"]}] if e["system"] else []
    turns += [{"from": names.get(role, role), "value": text} for role, text in e["turns"]]
    record = {"id": rid, "conversations": turns}
    if e.get("tools"):
        record["tools"] = json.dumps(e["tools"], ensure_ascii=False)
    return record


def to_openai(e: dict, rid: str) -> dict:
    if "raw_messages" in e:
        return {"id": rid, "messages": e["raw_messages"]}
    messages = [{"role": "system", "content": e["system"]}] if e["system"] else []
    messages += [{"role": role, "content": text} for role, text in e["turns"]]
    return {"id": rid, "messages": messages}


README_TEMPLATE = """\
# The bundled sample

A small instruction/chat dataset written for Sieve, so the dashboard has something real to show on
first start and tests have known answers. It holds {{TOTAL}} conversations in four formats
({{COUNTS}}); Sieve loads all three files together (`core.load.load_sample()`), and every record
carries an explicit `id` (`alp-…`, `sg-…`, `oai-…`, `hh-…`) so ids are unique across files.

The content is varied on purpose: Python, SQL, JavaScript, Rust and shell questions with fenced code;
math word problems with worked, step-by-step solutions; writing tasks (emails, poems, product copy);
factual QA; summarisation; JSON-extraction tasks; sentiment labels; grammar fixes; translations;
multi-turn dialogues with system prompts; tool calls (ShareGPT `function_call`/`observation` with
`tools`, and OpenAI `tool_calls`); and prompts answered in French, Spanish, German, Chinese,
Italian, Portuguese, Japanese and Dutch. Names, addresses, phone numbers, emails, card numbers,
IBANs and keys are fictitious (reserved example domains and number ranges, public test numbers).

## Planted problems

Each row is one planted instance. For duplicates, the first id is the original. Later pages
(duplicates, validity, language, safety, token lengths, entropy) should find these;
`tests/test_sample_data.py` checks each row against the data.

| problem | ids | what it looks like |
|---|---|---|
{{PLANTED}}

## Look-alikes that are fine

Clean records that a naive check flags. A page that flags them is showing a false positive.

| kind | ids | why it is fine |
|---|---|---|
{{LOOKALIKES}}

## Files

| file | format | notes |
|---|---|---|
| `alpaca.json` | Alpaca (`instruction`/`input`/`output`) | extra `category` field (kept in `meta.extra`) |
| `sharegpt.json` | ShareGPT (`conversations` with `from`/`value`) | system turns, multi-turn, `tools` on tool-use records |
| `openai.jsonl` | OpenAI messages | system prompts on about half the records, one `tool_calls` conversation |
| `preferences.jsonl` | Anthropic HH (`chosen`/`rejected` transcripts) | preference pairs: the rejected answer is worse (wrong, curt, rude) |
| `build_sample.py`, `_*.py` | generator | `python sample_data/build_sample.py` rewrites the data files and this README |

The generator is deterministic and tests elsewhere pin planted ids (`alp-0025`, …): keep edits
id-preserving (no added or removed records, no extra random draws), or update those tests too.

## Licence

Written for this project by its authors; released under the same licence as Sieve. No record was
copied from a public dataset.
"""

WRITERS = {"alpaca": to_alpaca, "sharegpt": to_sharegpt, "openai": to_openai}


def build() -> tuple[dict[str, list[dict]], list[tuple[str, list[str], str]]]:
    rng = random.Random(SEED)
    entries = clean_entries(rng)
    rows = plant(entries) + lookalikes(entries)
    records: dict[str, list[dict]] = {}
    ids: dict[int, str] = {}
    for fmt in PREFIX:
        mine = [e for e in entries if e["fmt"] == fmt]
        rng.shuffle(mine)  # planted records sit among the clean ones, not at the end
        records[fmt] = []
        for n, e in enumerate(mine, start=1):
            rid = f"{PREFIX[fmt]}-{n:04d}"
            ids[id(e)] = rid
            records[fmt].append(WRITERS[fmt](e, rid))
    table = [(problem, [ids[id(e)] for e in group], note) for problem, group, note in rows]
    records["hh"] = hh_records()
    return records, table


def hh_records() -> list[dict]:
    """Preference pairs as Anthropic HH transcripts (chosen/rejected share every turn but the answer)."""
    out = []
    for n, (turns, chosen, rejected) in enumerate(PREFERENCES, start=1):
        shared = "".join(f"\n\n{speaker}: {text}" for speaker, text in turns)
        out.append({"id": f"hh-{n:04d}", "chosen": f"{shared}\n\nAssistant: {chosen}",
                    "rejected": f"{shared}\n\nAssistant: {rejected}"})
    return out


def write(records: dict[str, list[dict]], table: list[tuple[str, list[str], str]]) -> None:
    dump = lambda obj, **kw: json.dumps(obj, ensure_ascii=False, **kw)  # noqa: E731
    (HERE / "alpaca.json").write_text(dump(records["alpaca"], indent=2) + "\n", encoding="utf-8")
    (HERE / "sharegpt.json").write_text(dump(records["sharegpt"], indent=2) + "\n", encoding="utf-8")
    (HERE / "openai.jsonl").write_text("".join(dump(r) + "\n" for r in records["openai"]), encoding="utf-8")
    (HERE / "preferences.jsonl").write_text("".join(dump(r) + "\n" for r in records["hh"]), encoding="utf-8")
    counts = {fmt: len(rs) for fmt, rs in records.items()}
    def rows(wanted_ok: bool) -> str:
        return "\n".join(f"| `{problem}` | {', '.join(f'`{i}`' for i in group)} | {note} |"
                         for problem, group, note in table if problem.startswith("ok_") == wanted_ok)

    readme = README_TEMPLATE
    readme = readme.replace("{{COUNTS}}", ", ".join(f"{n} in `{f}`" for f, n in [
        ("alpaca.json", counts["alpaca"]), ("sharegpt.json", counts["sharegpt"]), ("openai.jsonl", counts["openai"]),
        ("preferences.jsonl", counts["hh"])]))
    readme = readme.replace("{{TOTAL}}", str(sum(counts.values()))).replace("{{PLANTED}}", rows(False))
    readme = readme.replace("{{LOOKALIKES}}", rows(True))
    (HERE / "README.md").write_text(readme, encoding="utf-8")


if __name__ == "__main__":
    built_records, planted_table = build()
    write(built_records, planted_table)
    print({fmt: len(rs) for fmt, rs in built_records.items()}, "planted rows:", len(planted_table))
