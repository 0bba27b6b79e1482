"""The ``X-ZEvent-Signature`` of a Zalo webhook event: checked before anything is stored.

Zalo signs each event it POSTs with ``mac=`` + the hex SHA-256 of the app id, the raw body,
the event's ``timestamp`` (read from the body) and the OA's secret key, concatenated (see
:mod:`bot.zalo`). It is a plain hash, not an HMAC: the secret at its end is what makes it
unforgeable. It is compared in constant time, and an event whose timestamp is further than
the allowed skew from our clock is refused, so a captured event cannot be replayed for long.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"
_PREFIX = "mac="


class SignatureRefused(Exception):
    """The event is not Zalo's, or is too old or too new: answered 401, nothing stored.

    The message says why, for the log; it never holds the body or the expected digest.
    """


@dataclass(frozen=True, slots=True)
class SignedEvent:
    """A body whose signature and timestamp were checked, and the JSON it holds."""

    payload: dict[str, Any]
    timestamp: datetime


def signature_of(*, app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Return the header value Zalo sends for ``body``: ``mac=`` and 64 hex digits."""
    digest = hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + secret_key.encode()
    ).hexdigest()
    return _PREFIX + digest


def verify(
    header: str | None,
    body: bytes,
    *,
    app_id: str,
    secret_key: str,
    now: datetime,
    max_skew: timedelta,
) -> SignedEvent:
    """Return the signed event, or raise :class:`SignatureRefused` saying why.

    The timestamp is read from the body before the digest is checked (it is part of what
    is signed); the body's JSON is parsed once.
    """
    if not header:
        raise SignatureRefused("no signature header")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise SignatureRefused("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise SignatureRefused("the body is not a JSON object")
    raw = payload.get("timestamp")
    stamp = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not stamp.isdigit() or len(stamp) > 16:
        raise SignatureRefused("no timestamp in the body")
    expected = signature_of(app_id=app_id, body=body, timestamp=stamp, secret_key=secret_key)
    given = header.strip()
    if given[: len(_PREFIX)].lower() == _PREFIX:
        given = _PREFIX + given[len(_PREFIX) :].lower()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise SignatureRefused("the signature does not match")
    timestamp = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
    if abs(now - timestamp) > max_skew:
        raise SignatureRefused(
            f"the event's timestamp is {abs(now - timestamp).total_seconds():.0f} s from now"
        )
    return SignedEvent(payload, timestamp)
