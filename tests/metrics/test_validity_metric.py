from core.metrics.validity import Validity, code_is_valid, fenced_blocks, has_unbalanced_table
from tests.metrics.inspect_records import conversation, table_of


def run(*records):
    return Validity().compute(table_of(*records))


def test_fenced_json_with_trailing_comma_is_broken():
    out = run(conversation("List two fruits.", 'Here:\n```json\n{"fruits": ["apple", "pear",]}\n```'))
    assert out["json_state"] == ["broken"]
    assert out["code_state"] == ["invalid"]
    assert out["code_invalid_count"].tolist() == [1]


def test_fenced_json_that_parses_is_valid_and_prose_is_none():
    out = run(conversation("List two fruits.", '```json\n{"fruits": ["apple", "pear"]}\n```'),
              conversation("Tell me a joke.", "Why did the chicken cross the road? {not json here}"))
    assert out["json_state"] == ["valid", "none"]


def test_bare_json_counts_only_when_the_prompt_asks_for_json():
    answer = 'Sure! {"name": "Ada", "born": 1815}'
    out = run(conversation("Return a JSON object for Ada Lovelace.", answer),
              conversation("Describe Ada Lovelace.", answer),
              conversation("Give me JSON with her name.", '{"name": "Ada", "born": 1815'),
              conversation("Output json only.", '[1, 2, 3]'))
    assert out["json_state"] == ["valid", "none", "broken", "valid"]


def test_python_code_checked_with_ast_others_unchecked():
    good = "```python\ndef add(a, b):\n    return a + b\n```"
    bad = "```py\ndef add(a, b)\n    return a + b\n```"
    other = "```rust\nfn main() {}\n```"
    out = run(conversation("q", good), conversation("q", bad), conversation("q", other), conversation("q", "no code"))
    assert out["code_state"] == ["valid", "invalid", "unchecked", "none"]
    assert out["code_block_count"].tolist() == [1, 1, 1, 0]
    assert out["code_languages"] == ["python", "python", "rust", ""]


def test_yaml_blocks_are_parsed_safely():
    assert code_is_valid("yaml", "a: 1\nb: [2, 3]") is True
    assert code_is_valid("yaml", "a: [1, 2\nb: 3") is False
    assert code_is_valid("yaml", "!!python/object/apply:os.system ['echo hi']") is False  # safe_load refuses
    assert code_is_valid("bash", "echo hi") is None


def test_one_invalid_block_among_valid_ones_makes_the_row_invalid():
    text = "```python\nx = 1\n```\n\n```json\n{\"a\": 1}\n```\n\n```python\nif x\n```"
    out = run(conversation("q", text))
    assert out["code_state"] == ["invalid"]
    assert out["code_block_count"].tolist() == [3]
    assert out["code_invalid_count"].tolist() == [1]
    assert out["code_languages"] == ["json,python"]


def test_unclosed_fence_is_flagged_and_its_block_still_counted():
    blocks, _ = fenced_blocks("Code:\n```python\nprint('hi')\n")
    assert [(b.language, b.closed) for b in blocks] == [("python", False)]
    out = run(conversation("q", "Code:\n```python\nprint('hi')\n"), conversation("q", "```\nx\n```"))
    assert out["has_unclosed_code_fence"].tolist() == [True, False]


def test_markdown_tables():
    balanced = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |"
    short_row = "| a | b |\n|---|---|\n| 1 |\n"
    bad_delimiter = "| x1 | x2 | x3\n---| ---| ---| ---\nx1 | 1 | 2 | 3"
    escaped = "| a | b |\n|---|---|\n| x \\| y | 2 |"
    assert not has_unbalanced_table(balanced.split("\n"))
    assert has_unbalanced_table(short_row.split("\n"))
    assert has_unbalanced_table(bad_delimiter.split("\n"))
    assert not has_unbalanced_table(escaped.split("\n"))
    # A table inside a code fence is code, not markdown.
    out = run(conversation("q", "```\n" + short_row + "```"), conversation("q", short_row))
    assert out["has_unbalanced_table"].tolist() == [False, True]



def test_python_console_transcripts_and_notebook_magics_are_code_not_errors():
    transcript = ">>> x = [1, 2, 3]\n>>> for i in x:\n...     print(i)\n1\n2\n3"
    notebook = "!pip install pandas\n%matplotlib inline\nimport pandas as pd"
    assert code_is_valid("python", transcript) is True
    assert code_is_valid("python", notebook) is True
    assert code_is_valid("python", ">>> print('unclosed)") is False


def test_each_turn_is_judged_against_its_own_request():
    # Turn 1 asks for JSON and gets it; turn 2 asks for prose, whose brackets are not JSON.
    record = conversation(["Give me JSON with a name.", "Now explain what d[0] means in d3."],
                          ['{"name": "Ada"}', "In d3, `d[0]` is the lower value and\n[d[0], d[1]] the band."])
    assert run(record)["json_state"] == ["valid"]
    # A JSON request in an earlier turn does not make a later prose answer "broken JSON".
    later = conversation(["Return JSON please.", "And how are you?"], ['{"ok": true}', "Fine, thanks {smile"])
    assert run(later)["json_state"] == ["valid"]


def test_a_dict_inside_a_line_of_code_is_not_a_json_answer():
    answer = ("Use json.loads:\n\njson_string = '{\"name\": \"John\"}'\ndata = json.loads(json_string)\n"
              "print(data)\n# Output: {'name': 'John'}")
    assert run(conversation("How do I parse JSON in Python?", answer))["json_state"] == ["none"]


def test_an_unclosed_fence_in_one_turn_does_not_leak_into_the_next():
    record = conversation(["Show code", "Again"], ["```python\nx = 1\n", "```python\ny = 2\n```"])
    out = run(record)
    assert out["has_unclosed_code_fence"].tolist() == [True]
    assert out["code_block_count"].tolist() == [2] and out["code_state"] == ["valid"]
