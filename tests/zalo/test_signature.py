"""The X-ZEvent-Signature: mac= + SHA-256(app id + raw body + timestamp + OA secret key).

The expected digests were computed outside Python (``printf '%s' … | sha256sum``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.zalo.signature import SignatureRefused, signature_of, verify

APP_ID = "1234567890123456789"
SECRET = "oa-secret-KEY-1"
BODY = (
    '{"app_id":"1234567890123456789","event_name":"user_send_text",'
    '"timestamp":"1795658400000","sender":{"id":"2468458835296117922"},'
    '"recipient":{"id":"579745863508352884"},"message":{"msg_id":"a1b2c3","text":"Xin chào"}}'
).encode()
# sha256(APP_ID + BODY + "1795658400000" + SECRET), BODY in UTF-8.
KNOWN = "mac=0b2a439a7fc2b04e5d8b8202bae8fab71876ad4c033760315330dceea9415f35"
SIGNED_AT = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 1795658400000 ms
SKEW = timedelta(minutes=10)


def check(header: str | None, body: bytes = BODY, *, now: datetime = SIGNED_AT) -> object:
    return verify(header, body, app_id=APP_ID, secret_key=SECRET, now=now, max_skew=SKEW)


def test_the_signature_of_a_known_body_is_the_known_digest() -> None:
    assert signature_of(app_id=APP_ID, body=BODY, timestamp="1795658400000", secret_key=SECRET) == (
        KNOWN
    )
    assert signature_of(app_id="app", body=b"{}", timestamp="0", secret_key="s") == (
        "mac=7690ff4743f01d39de6e6835c25ebafd55e1783fc1838238ad253dc976c3b16c"
    )


def test_a_genuine_event_is_accepted_with_its_payload_and_time() -> None:
    event = verify(KNOWN, BODY, app_id=APP_ID, secret_key=SECRET, now=SIGNED_AT, max_skew=SKEW)
    assert event.payload["message"]["text"] == "Xin chào"
    assert event.timestamp == SIGNED_AT
    # Upper-case hex and surrounding spaces are the same signature.
    check("  mac=" + KNOWN.removeprefix("mac=").upper() + " ")


@pytest.mark.parametrize(
    ("header", "body", "reason"),
    [
        (None, BODY, "no signature header"),
        ("", BODY, "no signature header"),
        (KNOWN, BODY.replace(b"Xin ch", b"Xim ch"), "does not match"),  # one byte changed
        (KNOWN.removeprefix("mac="), BODY, "does not match"),  # the prefix is part of it
        (KNOWN[:-1] + "0", BODY, "does not match"),
        ("mac=ệ", BODY, "does not match"),
        (KNOWN, b"not json", "not JSON"),
        (KNOWN, b"[1, 2]", "not a JSON object"),
        (KNOWN, BODY.replace(b'"timestamp":"1795658400000",', b""), "no timestamp"),
    ],
)
def test_a_forged_or_broken_event_is_refused(header: str | None, body: bytes, reason: str) -> None:
    with pytest.raises(SignatureRefused, match=reason):
        check(header, body)


def test_the_secret_and_the_app_id_are_both_part_of_the_signature() -> None:
    with pytest.raises(SignatureRefused):
        verify(KNOWN, BODY, app_id=APP_ID, secret_key="other", now=SIGNED_AT, max_skew=SKEW)
    with pytest.raises(SignatureRefused):
        verify(KNOWN, BODY, app_id="other", secret_key=SECRET, now=SIGNED_AT, max_skew=SKEW)


def test_a_stale_or_future_timestamp_beyond_the_skew_is_refused() -> None:
    check(KNOWN, now=SIGNED_AT + SKEW)
    check(KNOWN, now=SIGNED_AT - SKEW)
    with pytest.raises(SignatureRefused, match="601 s from now"):
        check(KNOWN, now=SIGNED_AT + SKEW + timedelta(seconds=1))
    with pytest.raises(SignatureRefused, match="from now"):
        check(KNOWN, now=SIGNED_AT - SKEW - timedelta(seconds=1))
