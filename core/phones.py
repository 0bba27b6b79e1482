"""Vietnamese phone numbers, as typed, to E.164 (``+84...``).

Accepted: mobiles (10 digits, 0 + 9, since the 2018 renumbering; prefixes 03, 05, 07, 08, 09)
and Hà Nội landlines (024 + 8 digits), with +84, 84, 0084 or 0 in front, and spaces, dots,
dashes or parentheses anywhere.
"""

from __future__ import annotations

import re
import unicodedata

from core.errors import PhoneFormatError, RenumberedPhoneError

COUNTRY_CODE = "84"
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015()]+")
_MOBILE = re.compile(r"[35789]\d{8}")
_HANOI_LANDLINE = re.compile(r"24\d{8}")
_RENUMBERED_MOBILE = re.compile(r"1\d{9}")  # 01xx xxx xxxx before 2018
# Longest first: "0084" must not be read as trunk "0" followed by "084...".
_PREFIXES = ("+84", "0084", "0", "84")


def normalize_phone(text: str) -> str:
    """Return the number in E.164 ("+84912345678"), or raise :class:`PhoneFormatError`.

    Raises :class:`RenumberedPhoneError` (a :class:`PhoneFormatError`) for a pre-2018
    11-digit mobile, so the user can be asked for the new number.
    """
    national = _national_number(_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)))
    if _MOBILE.fullmatch(national) or _HANOI_LANDLINE.fullmatch(national):
        return f"+{COUNTRY_CODE}{national}"
    if _RENUMBERED_MOBILE.fullmatch(national):
        raise RenumberedPhoneError("11-digit mobile number from before the 2018 renumbering")
    # The number itself stays out of the message: it is personal data and this goes to logs.
    raise PhoneFormatError(f"not a Vietnamese mobile or Hanoi landline ({len(text)} chars)")


def _national_number(compact: str) -> str:
    """Strip the country code or trunk 0; "" when neither starts the text."""
    for prefix in _PREFIXES:
        if compact.startswith(prefix):
            national = compact[len(prefix) :]
            # "+84 (0) 912..." and "+840912...": the trunk 0 kept after the country code.
            if prefix != "0" and national.startswith("0"):
                national = national[1:]
            return national if national.isascii() and national.isdigit() else ""
    return ""
