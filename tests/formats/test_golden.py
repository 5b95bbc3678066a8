"""Each format read into canonical records, checked against hand-written expectations."""

from tests.formats.conftest import msg


def test_alpaca_joins_input_and_reads_system_and_history(load):
    records = load("alpaca.json")
    assert [r["id"] for r in records] == ["0", "1", "2"]
    assert records[0]["messages"] == [
        msg("user", "Give three tips for staying healthy."),
        msg("assistant", "1. Eat a balanced diet.\n2. Exercise regularly.\n3. Sleep at least seven hours a night.")]
    assert records[1]["messages"][0] == msg("user", "Translate the sentence into French.\n\nThe library opens at nine.")
    assert records[1]["meta"]["extra"] == {"category": "translation"}
    assert records[2]["messages"] == [
        msg("system", "You are a careful translator."),
        msg("user", "Translate 'good morning' into French."), msg("assistant", "Bonjour."),
        msg("user", "Now into Spanish."), msg("assistant", "Buenos días."),
        msg("user", "And the same sentence in German?"), msg("assistant", "Die Bibliothek öffnet um neun Uhr.")]
    meta = records[2]["meta"]
    assert (meta["source_format"], meta["source_file"], meta["source_record"], meta["source_line"]) == \
        ("alpaca", "alpaca.json", 2, 4)


def test_sharegpt_function_calls_observations_and_unknown_roles(load):
    weather, bing = load("sharegpt.json")
    assert weather["id"] == "weather-1" and weather["meta"]["id_field"] == "id"
    assert weather["messages"] == [
        msg("user", "What's the weather in Lyon today?"),
        msg("assistant", "", tool_calls=[{"type": "function",
                                          "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'}}]),
        msg("tool", '{"temperature_c": 14, "sky": "cloudy"}'),
        msg("assistant", "It is 14 °C and cloudy in Lyon.")]
    assert weather["meta"]["extra"]["tools"].startswith('[{"name": "get_weather"')
    assert bing["messages"][0] == msg("system", "Answer briefly.")
    assert bing["messages"][2] == msg("assistant", "George Eliot (Mary Ann Evans).")
    assert bing["meta"]["warnings"] == ["role 'bing' mapped to assistant"]
    assert bing["meta"]["message_extra"] == {"2": {"source_role": "bing"}}
    assert bing["meta"]["extra"] == {"source": "scrape-2023"}


def test_sharegpt_pairs_put_chosen_last_and_rejected_aside(load):
    first, second = load("sharegpt_pairs.json")
    assert first["messages"] == [
        msg("system", "You are a helpful coding assistant."),
        msg("user", "How do I reverse a list in Python?"),
        msg("assistant", "Use slicing: `items[::-1]` returns a reversed copy, and `items.reverse()` reverses in place.")]
    assert first["rejected"] == msg("assistant", "You can't reverse lists in Python.")
    assert second["rejected"]["content"] == "Yes, 91 is prime."


def test_openai_keeps_tool_call_ids_weights_developer_role_and_tools(load):
    plain, tools = load("openai.jsonl")
    assert plain["id"] == "0" and "id_field" not in plain["meta"]
    assert plain["meta"]["message_extra"] == {"2": {"weight": 1}}
    assert [m["role"] for m in tools["messages"]] == ["system", "user", "assistant", "tool", "assistant"]
    assert tools["messages"][1]["name"] == "dana"
    assert tools["messages"][2]["content"] == ""
    assert tools["messages"][2]["tool_calls"][0]["id"] == "call_1"
    assert tools["meta"]["message_extra"] == {"0": {"source_role": "developer"}, "3": {"tool_call_id": "call_1"}}
    assert tools["meta"]["extra"]["label"] is True
    assert tools["meta"]["extra"]["tools"][0]["function"]["name"] == "convert_currency"


def test_openai_preference_shape(load):
    (record,) = load("openai_dpo.jsonl")
    assert record["messages"] == [msg("user", "Write a haiku about rain."),
                                  msg("assistant", "Soft rain on the roof\nthe garden drinks in silence\npuddles hold the sky")]
    assert record["rejected"] == msg("assistant", "Rain is wet. It falls.")


def test_dolly_context_follows_instruction_and_category_is_kept(load):
    first, second = load("dolly.jsonl")
    assert first["messages"][0]["content"] == (
        "When did Virgin Australia start operating?\n\nVirgin Australia commenced services on 31 August 2000 as "
        "Virgin Blue, with two aircraft on a single route.")
    assert first["meta"]["extra"] == {"category": "closed_qa"}
    assert second["messages"] == [msg("user", "Name three primary colours."), msg("assistant", "Red, yellow and blue.")]


def test_prompt_completion_and_prompt_chosen_rejected(load):
    plain, pair = load("prompt_completion.jsonl")
    assert plain["messages"] == [msg("user", "Summarize: The meeting moved to Thursday because the room was booked."),
                                 msg("assistant", "The meeting is now on Thursday (room conflict).")]
    assert plain["meta"]["extra"] == {"model": "draft-v1"}
    assert pair["messages"][-1] == msg("assistant", "Ottawa.") and pair["rejected"] == msg("assistant", "Toronto.")


def test_hh_splits_transcripts_on_markers(load):
    eggs, cats = load("hh.jsonl")
    assert eggs["messages"] == [
        msg("user", "How do I boil an egg?"),
        msg("assistant", "Put it in boiling water for 9 minutes, then cool it in cold water."),
        msg("user", "And soft-boiled?"), msg("assistant", "About 6 minutes.")]
    assert eggs["rejected"] == msg("assistant", "I don't know.")
    assert cats["rejected"] == msg("assistant", "No.")


def test_oasst_all_paths_skip_deleted_and_cut_unanswered_prompts(load):
    records = load("oasst.jsonl")
    assert [r["id"] for r in records] == ["m5", "m3"]
    assert [m["content"] for m in records[0]["messages"]] == [
        "How do I make cold brew coffee?", "Steep coarse grounds in cold water for 12–18 hours, then filter.",
        "What ratio?", "Start with 1:8 coffee to water by weight."]
    assert [m["role"] for m in records[1]["messages"]] == ["user", "assistant"]
    assert "path ended on an unanswered prompter message: cut back to the last reply" in records[1]["meta"]["warnings"]
    assert "1 deleted message(s) skipped in this tree" in records[0]["meta"]["warnings"]
    assert records[0]["meta"]["message_extra"]["1"] == {"message_id": "m2", "parent_id": "m1", "lang": "en", "rank": 1}
    assert records[0]["meta"]["extra"] == {"message_tree_id": "t1", "tree_state": "ready_for_export"}


def test_oasst_best_path_follows_lowest_rank(load):
    (record,) = load("oasst.jsonl", options={"oasst_paths": "best"})
    assert record["id"] == "t1"
    assert [m["content"] for m in record["messages"]] == [
        "How do I make cold brew coffee?", "Mix coffee and cold water, wait overnight, strain it."]


def test_oasst_counts_trees_as_input_records(formats_dir):
    from core.load import load_dataset
    result = load_dataset(formats_dir / "oasst.jsonl")
    assert (result.report.input_records, result.report.loaded, result.report.conversations) == (1, 1, 2)
    assert result.dataset.num_rows == 2


def test_csv_with_embedded_newlines_commas_and_quotes(load):
    first, second = load("alpaca.csv")
    assert first["messages"][1]["content"] == "The sea rolls in,\nthe sea rolls out."
    assert first["meta"]["source_line"] == 2 and second["meta"]["source_line"] == 4
    assert second["messages"] == [msg("user", "Quote, with a comma\n\nx"), msg("assistant", 'He said "yes", then left.')]


def test_object_wrapping_the_records_array(formats_dir):
    from core.load import load_dataset
    result = load_dataset(formats_dir / "wrapped.json")
    assert [r["messages"][1]["content"] for r in result.dataset.records()] == ["n-e-c-e-s-s-a-r-y", "144"]
    assert 'records are the array under key "data"' in result.detection.evidence



def test_oasst_flat_rows_give_the_same_conversations_as_the_tree(formats_dir):
    from core.load import load_dataset
    tree = load_dataset(formats_dir / "oasst.jsonl").dataset.records()
    rows = load_dataset(formats_dir / "oasst_rows.jsonl", on_error="skip")
    records = rows.dataset.records()
    assert [(r["id"], r["messages"]) for r in records[:2]] == [(r["id"], r["messages"]) for r in tree]
    assert records[2]["id"] == "q2" and records[2]["meta"]["source_line"] == 8
    # ten rows in: nine in trees that loaded, one orphan rejected with its own line
    report = rows.report
    assert (report.input_records, report.loaded, len(report.rejected), report.conversations) == (10, 9, 1, 3)
    (orphan,) = report.rejected
    assert (orphan.line, orphan.record, orphan.field) == (10, 9, "parent_id")
    assert orphan.reason == "parent message gone is not in tree t2"


def test_oasst_rows_of_a_tree_split_apart_are_rejected_each(tmp_path):
    import json

    from core.load import load_dataset
    rows = [{"message_id": "a", "parent_id": None, "text": "Q", "role": "prompter", "message_tree_id": "t1"},
            {"message_id": "b", "parent_id": "a", "text": "A", "role": "assistant", "message_tree_id": "t1"},
            {"message_id": "c", "parent_id": None, "text": "Q2", "role": "prompter", "message_tree_id": "t2"},
            {"message_id": "d", "parent_id": "c", "text": "A2", "role": "assistant", "message_tree_id": "t2"},
            {"message_id": "e", "parent_id": "a", "text": "late", "role": "assistant", "message_tree_id": "t1"}]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = load_dataset(path, on_error="skip")
    assert result.dataset.ids == ["b", "d"]
    assert [(r.line, r.field) for r in result.report.rejected] == [(5, "message_tree_id")]
    assert "must be grouped by message_tree_id" in result.report.rejected[0].reason


def test_openai_content_parts_keep_text_and_survive_every_json_target(tmp_path):
    import json

    from core.load import load_dataset
    from core.writers import write_dataset
    parts = [{"type": "text", "text": "What is in this picture?"},
             {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
             {"type": "text", "text": "Answer in one word."}]
    path = tmp_path / "vision.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": parts},
                                             {"role": "assistant", "content": "Cat."}]}) + "\n")
    (record,) = load_dataset(path).dataset.records()
    assert record["messages"][0]["content"] == "What is in this picture?\nAnswer in one word."
    assert record["meta"]["message_extra"] == {"0": {"content_parts": parts}}
    via_sharegpt = tmp_path / "s.json"
    write_dataset([record], via_sharegpt, to="sharegpt")
    write_dataset(load_dataset(via_sharegpt).dataset, tmp_path / "back.jsonl", to="openai")
    back = json.loads((tmp_path / "back.jsonl").read_text())
    assert back["messages"][0] == {"role": "user", "content": parts}


def test_prompt_completion_with_message_lists(tmp_path):
    import json

    from core.load import load_dataset
    path = tmp_path / "conv.jsonl"
    path.write_text(json.dumps({"prompt": [{"role": "system", "content": "Be terse."},
                                           {"role": "user", "content": "2+2?"}],
                                "completion": [{"role": "assistant", "content": "4"}]}) + "\n")
    (record,) = load_dataset(path).dataset.records()
    assert [(m["role"], m["content"]) for m in record["messages"]] == [
        ("system", "Be terse."), ("user", "2+2?"), ("assistant", "4")]


def test_sharegpt_null_value_is_a_typed_error(tmp_path):
    import json

    import pytest

    from core.errors import SieveInputError
    from core.load import load_dataset
    path = tmp_path / "n.jsonl"
    path.write_text(json.dumps({"conversations": [{"from": "human", "value": None},
                                                  {"from": "gpt", "value": "?"}]}) + "\n")
    with pytest.raises(SieveInputError, match=r"line 1, record 0, field 'conversations\[0\]\.value': expected a "
                                              r"string, got null"):
        load_dataset(path)


def test_preference_lists_ultrafeedback_and_implicit_prompt(load):
    ultra, implicit = load("preference.jsonl")
    assert ultra["messages"] == [msg("user", "Which is heavier, a kilo of feathers or a kilo of steel?"),
                                 msg("assistant", "Neither: both weigh one kilogram.")]
    assert ultra["rejected"] == msg("assistant", "Steel is heavier.")
    # `messages` repeats the chosen conversation, so it is not kept twice; the scores are
    assert ultra["meta"]["extra"] == {"prompt_id": "p1", "score_chosen": 9.0, "score_rejected": 2.0}
    assert [m["content"] for m in implicit["messages"]] == ["Name a prime above 10.", "11", "And one above 20?", "23"]
    assert implicit["rejected"] == msg("assistant", "21")


def test_preference_lists_that_differ_before_the_last_answer_are_rejected(tmp_path):
    import json

    from core.load import load_dataset
    path = tmp_path / "p.jsonl"
    good = {"chosen": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
            "rejected": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "c"}]}
    bad = {"chosen": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
           "rejected": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "c"}]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    result = load_dataset(path, on_error="skip")
    (rejection,) = result.report.rejected
    assert (rejection.line, rejection.field) == (2, "rejected")
    assert "rejected must be one assistant message; got 2 message(s)" in rejection.reason


def test_chat_text_guanaco_chatml_and_vicuna(load):
    guanaco, chatml, vicuna = load("chat_text.jsonl")
    assert guanaco["messages"] == [
        msg("user", "Can you explain what a hash map is?"),
        msg("assistant", "A hash map stores key-value pairs and finds a key's slot by hashing it, so lookups take "
                         "constant time on average."),
        msg("user", "Any downside?"),
        msg("assistant", "Memory overhead, and worst-case lookups degrade when many keys collide.")]
    assert chatml["messages"] == [msg("system", "You are a poet."), msg("user", "A line about autumn?"),
                                  msg("assistant", "Leaves let go of the light, one amber breath at a time.")]
    assert vicuna["messages"] == [msg("user", "What's the boiling point of water at sea level?"),
                                  msg("assistant", "100 °C (212 °F).")]
    assert [r["meta"]["text_style"] for r in (guanaco, chatml, vicuna)] == ["guanaco", "chatml", "vicuna"]
    assert vicuna["meta"]["extra"] == {"source": "vicuna-style"}


def test_chat_text_with_stray_text_is_rejected(tmp_path):
    import json

    from core.load import load_dataset
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>"}) + "\n"
                    + json.dumps({"text": "preamble <|im_start|>user\nhi<|im_end|><|im_start|>assistant\nyo<|im_end|>"})
                    + "\n")
    (rejection,) = load_dataset(path, on_error="skip").report.rejected
    assert (rejection.line, rejection.field) == (2, "text")
    assert rejection.reason == "text outside <|im_start|> … <|im_end|> blocks: 'preamble'"
