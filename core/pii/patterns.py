"""Regex detectors with checksums for the PII types a pattern can find reliably.

Each detector yields (start, end) spans in a text. Checksums do the heavy lifting against false
positives: a card number must pass Luhn and carry a real issuer prefix, an IBAN must have its
country's length and pass mod-97, an IP address must parse.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator

Span = tuple[int, int]

# ---------------------------------------------------------------- email

_EMAIL = re.compile(
    r"(?<![\w.%+/-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.([A-Za-z]{2,24})(?![\w-])")
# "icon@2x.png" is an asset name, "git@github.com" a service login: neither identifies a person.
_FILE_SUFFIXES = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff"}
_SERVICE_USERS = {"git"}


def find_emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        local = m.group(0).split("@", 1)[0].lower()
        if m.group(1).lower() in _FILE_SUFFIXES or local in _SERVICE_USERS:
            continue
        yield m.span()


# ---------------------------------------------------------------- credit cards

_CARD = re.compile(r"(?<![0-9-])[0-9](?:[ -]?[0-9]){12,18}(?![0-9]|-[0-9])")
# (prefix lengths, prefix ranges inclusive, allowed lengths) per issuer network.
_CARD_NETWORKS = (
    ("visa", 1, (4, 4), (13, 16, 19)),
    ("mastercard", 2, (51, 55), (16,)),
    ("mastercard", 4, (2221, 2720), (16,)),
    ("amex", 2, (34, 34), (15,)),
    ("amex", 2, (37, 37), (15,)),
    ("discover", 4, (6011, 6011), (16, 17, 18, 19)),
    ("discover", 2, (64, 65), (16, 17, 18, 19)),
    ("unionpay", 2, (62, 62), (16, 17, 18, 19)),
    ("jcb", 4, (3528, 3589), (16, 17, 18, 19)),
    ("diners", 3, (300, 305), (14, 15, 16, 17, 18, 19)),
    ("diners", 2, (36, 36), (14, 15, 16, 17, 18, 19)),
    ("diners", 2, (38, 39), (16, 17, 18, 19)),
    ("maestro", 2, (56, 58), (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 2, (50, 50), (12, 13, 14, 15, 16, 17, 18, 19)),
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_network(digits: str) -> str | None:
    """The issuer network whose prefix and length `digits` has, or None."""
    for network, width, (low, high), lengths in _CARD_NETWORKS:
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return network
    return None


def find_credit_cards(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(0))
        if card_network(digits) and luhn_valid(digits):
            yield m.span()


# ---------------------------------------------------------------- IBAN

# Lengths from the SWIFT IBAN registry; a country not listed here is not treated as an IBAN.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})[0-9]{2}(?=[ ]?[A-Z0-9])")


def iban_valid(compact: str) -> bool:
    """Country length and the ISO 7064 mod-97 check (the rearranged number mod 97 is 1)."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
    except ValueError:
        return False


def find_ibans(text: str) -> Iterator[Span]:
    for m in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(m.group(1))
        if length is None:
            continue
        # Take exactly the country's number of characters (spaces allowed between groups), so a
        # following word in capitals is never swallowed.
        taken, end = 0, m.start()
        while end < len(text) and taken < length:
            ch = text[end]
            if ch.isascii() and (ch.isdigit() or ch.isupper()):
                taken += 1
            elif ch != " " or end + 1 >= len(text) or text[end + 1] == " ":
                break
            end += 1
        if taken != length or (end < len(text) and text[end].isalnum()):
            continue
        if iban_valid(text[m.start():end].replace(" ", "")):
            yield m.start(), end


# ---------------------------------------------------------------- IP addresses

_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w]|\.[0-9])")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def find_ip_addresses(text: str) -> Iterator[Span]:
    if "." in text:
        for m in _IPV4.finditer(text):
            try:
                address = ipaddress.IPv4Address(m.group(0))
            except ValueError:
                continue
            # 0.0.0.0, 127.0.0.1 and netmasks (255.255.255.0, in the reserved block) point at no one.
            if not (address.is_unspecified or address.is_loopback or address.is_reserved):
                yield m.span()
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            candidate = m.group(0)
            # Three real groups at least: "A::B" is a C++ scope, "::1" a loopback, not someone's address.
            if sum(1 for g in candidate.split(":") if g) < 3:
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            yield m.span()


# ---------------------------------------------------------------- URLs with credentials

_URL_CREDENTIALS = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://([^\s:/?#@]+:[^\s/?#@]+)@[^\s/?#@]+")


def find_url_credentials(text: str) -> Iterator[Span]:
    """The user:password part of URLs like postgres://user:pass@host/db (the host stays)."""
    if "://" not in text:
        return
    for m in _URL_CREDENTIALS.finditer(text):
        yield m.span(1)


# ---------------------------------------------------------------- API keys and secrets

API_KEY_PATTERNS: dict[str, re.Pattern] = {
    "openai": re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}"),
    "aws_access_key": re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    "aws_secret_key": re.compile(r"(?i:aws_?secret_?access_?key)\s*[=:]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
    "github": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    "slack": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "google": re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    "stripe": re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}"),
    "huggingface": re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
}
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")


def find_api_keys(text: str) -> Iterator[Span]:
    for name, pattern in API_KEY_PATTERNS.items():
        for m in pattern.finditer(text):
            # The AWS secret pattern anchors on its variable name; only the value is the secret.
            yield m.span(1) if name == "aws_secret_key" else m.span()


def find_private_keys(text: str) -> Iterator[Span]:
    if "PRIVATE KEY" not in text:
        return
    for m in _PRIVATE_KEY.finditer(text):
        yield m.span()
