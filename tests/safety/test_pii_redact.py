"""The pii metric's counts, the redact_pii transform, and consistent fake values."""

import orjson
import pytest

from core.pii import PiiDetector
from core.pii.fake import FakeValues
from core.pii.patterns import iban_valid, luhn_valid
from core.recipe import Recipe
from core.schema import Dataset, message
from core.scoring import score_table
from core.steps import build_step
from core.transforms.pii_redact import META_KEY, recipe_entries_for_actions, redacted_rows


def conversation(cid, user, assistant, rejected=None):
    return {"id": cid, "messages": [message("system", "You are helpful."), message("user", user),
                                    message("assistant", assistant)],
            "rejected": message("assistant", rejected) if rejected else None,
            "meta": {"source_format": "openai", "source_record": int(cid)}}


@pytest.fixture
def dataset():
    return Dataset.from_records([
        conversation("0", "My email is ana@example.com, call +44 20 7946 0958.",
                     "Noted ana@example.com. Card 4111 1111 1111 1111 is on file."),
        conversation("1", "What is 2 + 2?", "4."),
        conversation("2", "Key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv leaked", "Rotate it.",
                     rejected="Send it to ANA@example.com"),
    ])


def test_pii_metric_counts_each_type_per_row_across_all_messages(dataset):
    cols = score_table(dataset.table, [build_step("metric", "pii", {"spacy_model": None})])
    assert cols["pii_email_count"].to_pylist() == [2, 0, 1]      # row 2: the rejected answer counts
    assert cols["pii_phone_count"].to_pylist() == [1, 0, 0]
    assert cols["pii_credit_card_count"].to_pylist() == [1, 0, 0]
    assert cols["pii_api_key_count"].to_pylist() == [0, 0, 1]
    assert cols["pii_count"].to_pylist() == [4, 0, 2]
    assert cols["pii_types"].to_pylist() == [["email", "credit_card", "phone"], [], ["api_key", "email"]]
    assert cols["pii_person_count"].to_pylist() == [None, None, None]   # no NER pipeline: unknown, not 0


def test_redact_writes_typed_placeholders_and_records_counts_not_values(dataset):
    step = build_step("transform", "redact_pii", {"spacy_model": None})
    out = Dataset(step.apply(dataset.table)).records()
    assert out[0]["messages"][1]["content"] == "My email is <EMAIL>, call <PHONE>."
    assert out[0]["messages"][2]["content"] == "Noted <EMAIL>. Card <CREDIT_CARD> is on file."
    assert out[0]["messages"][0]["content"] == "You are helpful."
    assert out[2]["rejected"]["content"] == "Send it to <EMAIL>"
    assert out[0]["meta"][META_KEY] == {"credit_card": {"action": "redact", "count": 1},
                                        "email": {"action": "redact", "count": 2},
                                        "phone": {"action": "redact", "count": 1}}
    assert out[0]["meta"]["source_record"] == 0          # the loader's meta is kept
    assert META_KEY not in out[1]["meta"]                 # untouched rows stay untouched
    assert "ana@example.com" not in orjson.dumps(out[0]["meta"]).decode()
    assert redacted_rows(step.apply(dataset.table)).tolist() == [True, False, True]


def test_report_and_drop_leave_text_alone(dataset):
    step = build_step("transform", "redact_pii", {"actions": {"email": "report", "phone": "drop"}})
    table = step.apply(dataset.table)
    assert Dataset(table).records()[0]["messages"][1]["content"] == "My email is ana@example.com, call +44 20 7946 0958."
    assert redacted_rows(table).tolist() == [False, False, False]


def test_fake_values_are_consistent_within_a_salt_and_differ_across_salts():
    fakes = FakeValues("recipe-salt")
    assert fakes.fake("email", "Ana@Example.com") == fakes.fake("email", "ana@example.com")
    assert fakes.fake("credit_card", "4111 1111 1111 1111").replace(" ", "") == \
        fakes.fake("credit_card", "4111-1111-1111-1111").replace("-", "")
    assert fakes.fake("email", "ana@example.com") != fakes.fake("email", "bob@example.com")
    assert FakeValues("other-salt").fake("phone", "+44 20 7946 0958") != fakes.fake("phone", "+44 20 7946 0958")


def test_fake_values_keep_the_shape_but_are_never_real():
    fakes = FakeValues("s")
    card = fakes.fake("credit_card", "4111 1111 1111 1111")
    assert len(card) == 19 and card[4] == " " and card[0] == "4" and not luhn_valid(card.replace(" ", ""))
    iban = fakes.fake("iban", "DE89 3704 0044 0532 0130 00")
    assert iban.startswith("DE00 ") and len(iban.replace(" ", "")) == 22 and not iban_valid(iban.replace(" ", ""))
    assert fakes.fake("phone", "+44 20 7946 0958").startswith("+44 ")
    assert fakes.fake("email", "ana@example.com").split("@")[1] in ("example.com", "example.org", "example.net")
    assert fakes.fake("ip_address", "10.1.2.3").rsplit(".", 1)[0] in ("192.0.2", "198.51.100", "203.0.113")
    assert fakes.fake("ip_address", "2001:db8:85a3::8a2e:370:7334").startswith("2001:db8:")
    key = fakes.fake("api_key", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv")
    assert key.startswith("sk-proj-") and len(key) == len("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv")


def test_fake_action_maps_the_same_value_to_the_same_fake_across_rows(dataset):
    step = build_step("transform", "redact_pii", {"actions": {"email": "fake"}, "salt": "fixed"})
    out = Dataset(step.apply(dataset.table)).records()
    fake_in_prompt = out[0]["messages"][1]["content"].split()[3].rstrip(",")
    assert fake_in_prompt != "ana@example.com" and fake_in_prompt.endswith(("example.com", "example.org", "example.net"))
    assert out[0]["messages"][2]["content"] == f"Noted {fake_in_prompt}. Card 4111 1111 1111 1111 is on file."
    assert out[2]["rejected"]["content"] == f"Send it to {fake_in_prompt}"   # ANA@… and ana@… are one address
    again = build_step("transform", "redact_pii", {"actions": {"email": "fake"}, "salt": "fixed"})
    assert Dataset(again.apply(dataset.table)).records() == out


def test_redaction_works_on_a_sliced_batch(dataset):
    step = build_step("transform", "redact_pii", {"spacy_model": None})
    out = Dataset(step.apply(dataset.table.slice(2, 1))).records()
    assert out[0]["id"] == "2"
    assert out[0]["messages"][1]["content"] == "Key <API_KEY> leaked"


def test_actions_become_a_valid_recipe_with_a_drop_filter_per_dropped_type():
    entries = recipe_entries_for_actions({"email": "drop", "phone": "redact", "iban": "fake", "person": "report"},
                                         salt="abc", spacy_model=None)
    assert [(e["kind"], e["name"]) for e in entries] == [("metric", "pii"), ("filter", "threshold"),
                                                         ("transform", "redact_pii")]
    assert entries[1]["params"] == {"column": "pii_email_count", "max": 0}
    assert entries[2]["params"]["salt"] == "abc"
    steps = Recipe(steps=entries).check()
    assert [s.name for s in steps] == ["pii", "threshold", "redact_pii"]


def test_unknown_pii_type_is_a_config_error_naming_it():
    from core.errors import SieveConfigError
    with pytest.raises(SieveConfigError, match="passport"):
        build_step("transform", "redact_pii", {"actions": {"passport": "redact"}})
    with pytest.raises(SieveConfigError, match=r"unknown PII types \['passport'\]; choose from private_key"):
        build_step("metric", "pii", {"types": ["email", "passport"]})
    with pytest.raises(SieveConfigError, match=r"unknown PII types \['passport'\]"):
        PiiDetector(["passport"], spacy_model=None)


def test_person_names_are_redacted_when_a_spacy_ner_pipeline_is_given(tmp_path):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "jana"}, {"LOWER": "novak"}]}])
    nlp.to_disk(tmp_path / "ner")
    ds = Dataset.from_records([conversation("0", "Write to Jana Novak at jana@example.com", "Dear Jana Novak, …")])
    step = build_step("transform", "redact_pii", {"actions": {"person": "redact", "email": "redact"},
                                                  "spacy_model": str(tmp_path / "ner")})
    out = Dataset(step.apply(ds.table)).records()[0]
    assert out["messages"][1]["content"] == "Write to <PERSON> at <EMAIL>"
    assert out["messages"][2]["content"] == "Dear <PERSON>, …"
    cols = score_table(ds.table, [build_step("metric", "pii", {"spacy_model": str(tmp_path / "ner")})])
    assert cols["pii_person_count"].to_pylist() == [2]
