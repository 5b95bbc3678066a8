"""Find PII in text: our checksum-backed patterns, `phonenumbers` for phones, spaCy NER for names.

Why not Presidio: see docs/safety.md (offline it still reaches for the network and a spaCy model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Literal

from core.errors import SieveConfigError
from core.pii import patterns

PiiType = Literal["email", "phone", "credit_card", "ip_address", "iban", "url_credentials",
                  "api_key", "private_key", "person"]
# Order is priority: where two detections overlap, the earlier type wins (a private key block
# outranks the API-key-looking lines inside it; an IBAN outranks the phone-looking digits in it).
PII_TYPES: tuple[str, ...] = ("private_key", "url_credentials", "api_key", "email", "iban",
                              "credit_card", "ip_address", "phone", "person")
PII_LABELS = {"email": "Email", "phone": "Phone number", "credit_card": "Credit card",
              "ip_address": "IP address", "iban": "IBAN", "url_credentials": "URL credentials",
              "api_key": "API key / token", "private_key": "Private key", "person": "Person name"}

_PATTERN_FINDERS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "private_key": patterns.find_private_keys,
    "url_credentials": patterns.find_url_credentials,
    "api_key": patterns.find_api_keys,
    "email": patterns.find_emails,
    "iban": patterns.find_ibans,
    "credit_card": patterns.find_credit_cards,
    "ip_address": patterns.find_ip_addresses,
}
_SEVEN_DIGITS = re.compile(r"(?:[0-9][^0-9]{0,3}){7}")


@dataclass(frozen=True)
class PiiMatch:
    type: str
    start: int
    end: int
    text: str


def ordered_pii_types(names: Iterable[str]) -> list[str]:
    """`names` in PII_TYPES order; a ValueError naming any unknown type."""
    chosen = set(names)
    unknown = sorted(chosen - set(PII_TYPES))
    if unknown:
        raise ValueError(f"unknown PII types {unknown}; choose from {', '.join(PII_TYPES)}")
    return [t for t in PII_TYPES if t in chosen]


def placeholder(pii_type: str) -> str:
    """The typed placeholder redaction writes, e.g. <EMAIL>."""
    return f"<{pii_type.upper()}>"


class PiiDetector:
    """Detects the chosen PII types; person names only when a spaCy pipeline with NER loads."""

    def __init__(self, types: Iterable[str] = PII_TYPES, phone_region: str = "US",
                 spacy_model: str | None = "en_core_web_sm"):
        try:
            self.types = ordered_pii_types(types)
        except ValueError as exc:
            raise SieveConfigError(str(exc)) from None
        self.phone_region = phone_region.upper()
        self.spacy_model = spacy_model
        self.nlp = None
        self.person_note = "person names not requested"
        if "person" in self.types:
            self.nlp, self.person_note = load_ner_pipeline(spacy_model)

    @property
    def checks_persons(self) -> bool:
        return self.nlp is not None

    def find(self, text: str) -> list[PiiMatch]:
        """Non-overlapping matches in text order."""
        return self.find_many([text])[0]

    def find_many(self, texts: list[str]) -> list[list[PiiMatch]]:
        """find() for many texts; names go through spaCy's batched nlp.pipe."""
        persons = self._persons(texts) if self.nlp is not None else None
        out = []
        for i, text in enumerate(texts):
            found: list[PiiMatch] = []
            for pii_type in self.types if text else ():
                if pii_type in _PATTERN_FINDERS:
                    spans = _PATTERN_FINDERS[pii_type](text)
                elif pii_type == "phone":
                    spans = self._phones(text)
                else:
                    spans = persons[i] if persons is not None else ()
                found += [PiiMatch(pii_type, s, e, text[s:e]) for s, e in spans]
            out.append(_without_overlaps(found))
        return out

    def _phones(self, text: str) -> Iterator[tuple[int, int]]:
        if not _SEVEN_DIGITS.search(text):
            return
        import phonenumbers

        matcher = phonenumbers.PhoneNumberMatcher(text, self.phone_region, leniency=phonenumbers.Leniency.VALID)
        for m in matcher:
            yield m.start, m.end

    def _persons(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        return [[(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("PERSON", "PER")]
                for doc in self.nlp.pipe(texts, batch_size=256)]


@lru_cache(maxsize=4)  # the Safety page builds a PiiMetric per rerun: load each pipeline once per process
def load_ner_pipeline(spacy_model: str | None):
    """(spaCy pipeline with an NER component, note) — or (None, why not). Never downloads."""
    if not spacy_model:
        return None, "person names not checked: no spaCy model configured"
    try:
        import spacy

        nlp = spacy.load(spacy_model)
    except (OSError, ImportError, ValueError) as exc:
        return None, (f"person names not checked: spaCy pipeline '{spacy_model}' is not installed "
                      f"({type(exc).__name__}); install one with an NER component to enable them")
    if "ner" not in nlp.pipe_names and "entity_ruler" not in nlp.pipe_names:
        return None, f"person names not checked: spaCy pipeline '{spacy_model}' has no NER component"
    return nlp, f"person names from spaCy pipeline '{spacy_model}'"


def _without_overlaps(matches: list[PiiMatch]) -> list[PiiMatch]:
    rank = {t: i for i, t in enumerate(PII_TYPES)}
    kept: list[PiiMatch] = []
    for m in sorted(matches, key=lambda m: (rank[m.type], m.start, -(m.end - m.start))):
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)
