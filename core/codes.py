"""Tracking codes that residents use to follow their nomination: ``NT-XXXX-XXXX``.

The eight symbols are Crockford base32 (no I, L, O, U), 40 random bits: not sequential,
so a code reveals neither how many nominations exist nor anyone else's code. Parsing is
forgiving the Crockford way: case, O for 0, I or L for 1, dashes and spaces.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "NT"
_BODY_LEN = 8
_RANDOM_BYTES = 5  # 40 bits = 8 symbols of 5 bits
_CANONICAL = re.compile(rf"{PREFIX}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
# Separators people type or phones insert: spaces, hyphens, and the dashes that
# "smart punctuation" turns a hyphen into.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True, slots=True)
class TrackingCode:
    """A nomination's tracking code in its canonical form ``NT-XXXX-XXXX``."""

    value: str

    def __post_init__(self) -> None:
        """Refuse anything but the canonical form; use :func:`parse_tracking_code` for input."""
        if not _CANONICAL.fullmatch(self.value):
            raise ValueError(f"not a canonical tracking code: {self.value!r}")

    def __str__(self) -> str:
        return self.value


def _from_body(body: str) -> TrackingCode:
    return TrackingCode(f"{PREFIX}-{body[:4]}-{body[4:]}")


def new_tracking_code(
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> TrackingCode:
    """Return a fresh random code; ``random_bytes`` is injectable for tests."""
    raw = random_bytes(_RANDOM_BYTES)
    if len(raw) != _RANDOM_BYTES:
        raise ValueError(f"expected {_RANDOM_BYTES} random bytes, got {len(raw)}")
    number = int.from_bytes(raw, "big")
    symbols = [ALPHABET[(number >> shift) & 0x1F] for shift in range(35, -1, -5)]
    return _from_body("".join(symbols))


def parse_tracking_code(text: str) -> TrackingCode | None:
    """Read a code as typed ("nt-abcd-efgh", "NTABCDEFGH", "abcd efgh"), or return None."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if len(compact) == len(PREFIX) + _BODY_LEN and compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != _BODY_LEN:
        return None
    body = compact.translate(_LOOKALIKES)
    if not all(c in ALPHABET for c in body):
        return None
    return _from_body(body)
