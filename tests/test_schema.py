"""The canonical record survives Arrow round trips; text views pick the right turns."""

import pyarrow as pa

from core.schema import (CANONICAL_SCHEMA, Conversation, Dataset, message, records_to_table,
                         role_texts, table_to_records, turn_counts)

RECORDS = [
    {"id": "multi", "messages": [message("system", "Be brief."), message("user", "2+2?"),
                                 message("assistant", "4"), message("user", "and 3+3?"),
                                 message("assistant", "6")],
     "meta": {"source_format": "sharegpt", "extra": {"lang": "en"}}},
    {"id": "tool", "messages": [message("user", "Weather in Oslo?"),
                                message("assistant", "", tool_calls=[{"type": "function", "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}]),
                                message("tool", "{\"temp\": -3}", name="weather"),
                                message("assistant", "It is -3 °C in Oslo.")]},
    {"id": "pref", "messages": [message("user", "Say hi"), message("assistant", "Hi!")],
     "rejected": message("assistant", "No."), "meta": {}},
    {"id": "prompt-only", "messages": [message("user", "Hello?")]},
]


def test_round_trip_keeps_everything():
    table = records_to_table(RECORDS)
    assert table.schema == CANONICAL_SCHEMA
    back = table_to_records(table)
    assert back[0]["meta"] == {"source_format": "sharegpt", "extra": {"lang": "en"}}
    assert back[1]["messages"][1]["tool_calls"][0]["function"]["name"] == "weather"
    assert back[1]["messages"][2]["name"] == "weather"
    assert back[2]["rejected"]["content"] == "No."
    assert back[3]["rejected"] is None and back[3]["meta"] == {}
    assert [Conversation.from_record(r).to_record() for r in back] == back


def test_text_views():
    table = records_to_table(RECORDS)
    assert role_texts(table, "prompt") == ["2+2?\n\nand 3+3?", "Weather in Oslo?", "Say hi", "Hello?"]
    assert role_texts(table, "instruction") == ["2+2?", "Weather in Oslo?", "Say hi", "Hello?"]
    assert role_texts(table, "last_response") == ["6", "It is -3 °C in Oslo.", "Hi!", ""]
    assert role_texts(table, "system") == ["Be brief.", "", "", ""]
    # the tool-calling assistant turn has no text, so it adds no blank line
    assert role_texts(table, "response") == ["4\n\n6", "It is -3 °C in Oslo.", "Hi!", ""]
    assert role_texts(table, "conversation")[2] == "user: Say hi\n\nassistant: Hi!"
    assert turn_counts(table).tolist() == [5, 4, 2, 1]


def test_text_views_on_slices_and_chunked_tables():
    table = pa.concat_tables([records_to_table(RECORDS[:2]), records_to_table(RECORDS[2:])])
    assert role_texts(table.slice(1, 2), "last_response") == ["It is -3 °C in Oslo.", "Hi!"]


def test_fingerprint_depends_on_content_only():
    a = Dataset.from_records(RECORDS)
    b = Dataset.from_records(RECORDS).with_columns({"score": [1, 2, 3, 4]})
    assert a.fingerprint == b.fingerprint
    changed = [dict(RECORDS[0], messages=[message("user", "2+2?"), message("assistant", "5")])] + RECORDS[1:]
    assert Dataset.from_records(changed).fingerprint != a.fingerprint
