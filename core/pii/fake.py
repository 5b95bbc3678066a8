"""Consistent fake values: the same input maps to the same fake within a salt (one recipe run).

A fake is drawn from a `random.Random` seeded with HMAC-SHA256(salt, type + normalized value), so
"4111 1111 1111 1111" and "4111-1111-1111-1111" get the same digits, and nothing about the original
can be read back without the salt. Fakes keep the original's shape (separators, length, country
code, provider prefix) but are built never to be real: emails on RFC 2606 example domains, IPs in
the RFC 5737 / RFC 3849 documentation ranges, card numbers that fail Luhn, IBANs with check digits 00.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import re
import string

from core.pii.patterns import luhn_valid

FIRST_NAMES = ("Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
               "Robin", "Charlie", "Dana", "Emery", "Finley", "Harper", "Kai", "Logan", "Noa", "Rowan")
LAST_NAMES = ("Smith", "Garcia", "Kim", "Novak", "Okafor", "Rossi", "Silva", "Jensen", "Tanaka", "Dubois",
              "Kowalski", "Nguyen", "Haddad", "Ivanova", "Moreau", "Schmidt", "Costa", "Larsen", "Patel", "Reyes")
_API_KEY_PREFIX = re.compile(r"^(?:sk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|"
                             r"github_pat_|xox[abposr]-|AIza|[sr]k_(?:live|test)_|hf_|eyJ)")


class FakeValues:
    """fake(type, value) -> a realistic stand-in, identical for identical (salt, type, value)."""

    def __init__(self, salt: str):
        self._key = salt.encode()

    def fake(self, pii_type: str, value: str) -> str:
        rng = random.Random(self._seed(pii_type, _normalize(pii_type, value)))
        return getattr(self, f"_{pii_type}")(value, rng)

    def _seed(self, pii_type: str, normalized: str) -> int:
        digest = hmac.new(self._key, f"{pii_type}\0{normalized}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest, "big")

    @staticmethod
    def _email(value: str, rng: random.Random) -> str:
        first, last = rng.choice(FIRST_NAMES).lower(), rng.choice(LAST_NAMES).lower()
        return f"{first}.{last}{rng.randrange(10, 100)}@example.{rng.choice(('com', 'org', 'net'))}"

    @staticmethod
    def _person(value: str, rng: random.Random) -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    @staticmethod
    def _phone(value: str, rng: random.Random) -> str:
        keep = _country_code_digits(value)
        out, seen = [], 0
        for ch in value:
            if ch.isdigit():
                seen += 1
                out.append(ch if seen <= keep else str(rng.randrange(10)))
            else:
                out.append(ch)
        return "".join(out)

    @staticmethod
    def _credit_card(value: str, rng: random.Random) -> str:
        digits = [c for c in value if c.isdigit()]
        fake = [digits[0]] + [str(rng.randrange(10)) for _ in digits[1:]]
        if luhn_valid("".join(fake)):  # a fake must never be a valid card number
            fake[-1] = str((int(fake[-1]) + 1) % 10)
        it = iter(fake)
        return "".join(next(it) if c.isdigit() else c for c in value)

    @staticmethod
    def _iban(value: str, rng: random.Random) -> str:
        out = []
        for i, ch in enumerate(value.replace(" ", "")):
            if i < 2:
                out.append(ch)
            elif i < 4:
                out.append("0")  # check digits 00 never pass mod-97
            else:
                out.append(str(rng.randrange(10)) if ch.isdigit() else rng.choice(string.ascii_uppercase))
        compact = "".join(out)
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if " " in value else compact

    @staticmethod
    def _ip_address(value: str, rng: random.Random) -> str:
        if ":" in value:
            return "2001:db8:" + ":".join(f"{rng.randrange(65536):x}" for _ in range(6))
        net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{net}.{rng.randrange(1, 255)}"

    @staticmethod
    def _url_credentials(value: str, rng: random.Random) -> str:
        return f"user{rng.randrange(100, 1000)}:{rng.getrandbits(64):016x}"

    @staticmethod
    def _api_key(value: str, rng: random.Random) -> str:
        m = _API_KEY_PREFIX.match(value)
        prefix = m.group(0) if m else ""
        return prefix + "".join(_same_class_char(ch, rng) for ch in value[len(prefix):])

    @staticmethod
    def _private_key(value: str, rng: random.Random) -> str:
        lines = value.splitlines()
        body = base64.b64encode(rng.randbytes(48)).decode()
        return f"{lines[0]}\n{body}\n{lines[-1]}" if len(lines) > 1 else body


def _normalize(pii_type: str, value: str) -> str:
    if pii_type in ("phone", "credit_card"):
        return re.sub(r"[^0-9+]", "", value)
    if pii_type == "iban":
        return value.replace(" ", "").upper()
    if pii_type in ("email", "ip_address"):
        return value.lower()
    return value


def _country_code_digits(value: str) -> int:
    """How many leading digits are the +country code (kept so a fake stays in its country)."""
    if not value.lstrip().startswith("+"):
        return 0
    import phonenumbers

    try:
        return len(str(phonenumbers.parse(value, None).country_code))
    except phonenumbers.NumberParseException:
        return 0


def _same_class_char(ch: str, rng: random.Random) -> str:
    if ch.isdigit():
        return str(rng.randrange(10))
    if ch.isupper():
        return rng.choice(string.ascii_uppercase)
    if ch.islower():
        return rng.choice(string.ascii_lowercase)
    return ch
