"""Each PII type: what must be found, and look-alikes that must not be."""

import pytest

from core.pii import PiiDetector
from core.pii.patterns import iban_valid, luhn_valid


@pytest.fixture(scope="module")
def detector():
    return PiiDetector(spacy_model=None)


def found(detector, text):
    return [(m.type, m.text) for m in detector.find(text)]


def test_email_found_with_its_exact_span(detector):
    text = "Write to maria.lopez+news@mail.example.org today."
    assert found(detector, text) == [("email", "maria.lopez+news@mail.example.org")]
    assert found(detector, "Mail: ANA@EXAMPLE.CO.UK.") == [("email", "ANA@EXAMPLE.CO.UK")]


@pytest.mark.parametrize("text", [
    "Use the icon@2x.png asset for retina screens.",
    "Clone git@github.com:org/repo.git and run make.",
    "Decorators look like @property or @staticmethod.",
    "Meet me @ 5pm at the station.",
])
def test_email_false_positives(detector, text):
    assert found(detector, text) == []


@pytest.mark.parametrize("text, number", [
    ("Call me on +44 20 7946 0958 after six.", "+44 20 7946 0958"),
    ("Unser Büro: +49 30 901820.", "+49 30 901820"),
    ("Bureau : +33 1 42 68 53 00", "+33 1 42 68 53 00"),
    ("Office line (415) 555-2671, ask for Sam.", "(415) 555-2671"),
    ("Tokyo desk +81 3-1234-5678", "+81 3-1234-5678"),
])
def test_phone_true_positives(detector, text, number):
    assert found(detector, text) == [("phone", number)]


@pytest.mark.parametrize("text", [
    "The invoice is dated 2023-10-15 and totals 1,234,567.",
    "Upgrade from version 3.14.159 to 3.15.0.",
    "Population in 2020: 8336817.",
    "Order number 1234 5678 9012 3456 has shipped.",
])
def test_phone_false_positives(detector, text):
    assert [t for t, _ in found(detector, text) if t == "phone"] == []


@pytest.mark.parametrize("card", [
    "4111 1111 1111 1111",        # Visa test number
    "5500-0000-0000-0004",        # Mastercard test number
    "378282246310005",            # Amex test number
    "6011 1111 1111 1117",        # Discover test number
])
def test_luhn_valid_cards_are_found(detector, card):
    assert found(detector, f"Paid with {card} yesterday.") == [("credit_card", card)]


def test_a_16_digit_order_number_failing_luhn_is_not_a_card(detector):
    order = "4111 1111 1111 1112"      # a Visa prefix, but the check digit is wrong
    assert not luhn_valid(order.replace(" ", ""))
    assert found(detector, f"Your order {order} has shipped.") == []
    assert found(detector, "Tracking 1234567890123456") == []  # no issuer starts with 1


def test_a_luhn_valid_number_without_an_issuer_prefix_is_not_a_card(detector):
    assert luhn_valid("0000000000000000")
    assert found(detector, "Reference 0000 0000 0000 0000") == []


@pytest.mark.parametrize("text, address", [
    ("The server is at 203.0.113.42, port 22.", "203.0.113.42"),
    ("ping 10.0.0.1.", "10.0.0.1"),
    ("IPv6 host 2001:db8:85a3::8a2e:370:7334 is up", "2001:db8:85a3::8a2e:370:7334"),
    ("full form fe80:0:0:0:202:b3ff:fe1e:8329 here", "fe80:0:0:0:202:b3ff:fe1e:8329"),
])
def test_ip_true_positives(detector, text, address):
    assert found(detector, text) == [("ip_address", address)]


@pytest.mark.parametrize("text", [
    "Octets over 255 like 999.10.10.10 are not addresses.",
    "Version 1.2.3.4.5 of the tool.",
    "C++ scopes std::vector and A::B are not IPv6.",
    "The meeting runs 10:30:45 to 11:00.",
    "Bind to 0.0.0.0:8000 or 127.0.0.1 with netmask 255.255.255.0.",
])
def test_ip_false_positives(detector, text):
    assert found(detector, text) == []


@pytest.mark.parametrize("iban", [
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
    "FR1420041010050500013M02606",
    "NL91ABNA0417164300",
])
def test_iban_true_positives(detector, iban):
    assert iban_valid(iban.replace(" ", ""))
    assert found(detector, f"Transfer to {iban} FROM ACME please") == [("iban", iban)]


@pytest.mark.parametrize("text", [
    "Transfer to DE89 3704 0044 0532 0130 01 please",   # mod-97 fails
    "Transfer to DE89 3704 0044 0532 0130 please",      # too short for Germany
    "Code ZZ12 3456 7890 1234 5678 90 is not a country",
])
def test_iban_false_positives(detector, text):
    assert [t for t, _ in found(detector, text) if t == "iban"] == []


def test_url_credentials_keep_the_host(detector):
    text = "DATABASE_URL=postgres://admin:s3cr3t@db.internal:5432/app"
    assert found(detector, text) == [("url_credentials", "admin:s3cr3t")]
    assert found(detector, "See https://example.com/path?a=1 and https://user@example.com") == []


@pytest.mark.parametrize("key", [
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
    "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
    "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
])
def test_api_keys_are_found(detector, key):
    assert found(detector, f'client = Client(api_key="{key}")') == [("api_key", key)]


def test_aws_secret_value_is_found_by_its_variable_name(detector):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert found(detector, f"aws_secret_access_key = {secret}") == [("api_key", secret)]


@pytest.mark.parametrize("text", [
    "Install scikit-learn with pip; sk-learn is a common typo.",
    "The task-management tool and risk-assessment-framework docs.",
    "Ask the Akia family about their ghp_ prefix idea.",
])
def test_api_key_false_positives(detector, text):
    assert found(detector, text) == []


def test_private_key_block_wins_over_what_is_inside_it(detector):
    block = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv\n-----END OPENSSH PRIVATE KEY-----"
    assert found(detector, f"my key:\n{block}\nthanks") == [("private_key", block)]


def test_only_requested_types_are_detected():
    only_email = PiiDetector(["email"], spacy_model=None)
    assert [m.type for m in only_email.find("a@example.com +44 20 7946 0958")] == ["email"]


def test_person_names_are_skipped_gracefully_without_a_spacy_ner_pipeline():
    detector = PiiDetector(["person", "email"], spacy_model="en_core_web_sm_not_installed")
    assert not detector.checks_persons
    assert "not installed" in detector.person_note
    assert [m.type for m in detector.find("Ada Lovelace wrote to ada@example.com")] == ["email"]


def test_person_names_found_with_a_spacy_pipeline_that_has_ner(tmp_path):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "ada"}, {"LOWER": "lovelace"}]}])
    nlp.to_disk(tmp_path / "ner")
    detector = PiiDetector(["person"], spacy_model=str(tmp_path / "ner"))
    assert detector.checks_persons
    assert found(detector, "Notes by Ada Lovelace on the engine.") == [("person", "Ada Lovelace")]
