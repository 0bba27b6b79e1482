import re

import pytest

from core.codes import TrackingCode, new_tracking_code, parse_tracking_code

CANONICAL = re.compile(r"NT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def fixed(hex_bytes: str) -> "FixedSource":
    return FixedSource(bytes.fromhex(hex_bytes))


class FixedSource:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.requested: list[int] = []

    def __call__(self, n: int) -> bytes:
        self.requested.append(n)
        return self.data


@pytest.mark.parametrize(
    ("random_hex", "shown"),
    [
        ("0000000000", "NT-0000-0000"),
        ("ffffffffff", "NT-ZZZZ-ZZZZ"),
        ("0123456789", "NT-04HM-ASW9"),
    ],
)
def test_new_code_spells_40_random_bits_in_crockford_base32(random_hex: str, shown: str) -> None:
    source = fixed(random_hex)
    code = new_tracking_code(source)
    assert str(code) == shown
    assert code.value == shown
    assert source.requested == [5]


def test_new_code_refuses_a_short_random_source() -> None:
    with pytest.raises(ValueError, match="5 random bytes"):
        new_tracking_code(lambda n: b"\x00")


def test_new_codes_from_the_default_source_are_canonical_and_differ() -> None:
    codes = {new_tracking_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(CANONICAL.fullmatch(str(c)) for c in codes)


def test_a_shown_code_parses_back_to_itself() -> None:
    code = new_tracking_code(fixed("0123456789"))
    assert parse_tracking_code(str(code)) == code


@pytest.mark.parametrize(
    "typed",
    [
        "NT-ABCD-EFGH",
        "nt-abcd-efgh",
        "NTABCDEFGH",
        "ntabcdefgh",
        "abcd efgh",
        "ABCDEFGH",
        "  NT ABCD EFGH  ",
        "NT--ABCD--EFGH",
        "N T-A B C D-E F G H",
        "NT–ABCD–EFGH",  # en dashes from "smart punctuation"
        "ＮＴ－ＡＢＣＤ－ＥＦＧＨ",  # full-width
    ],
)
def test_codes_are_read_however_they_are_typed(typed: str) -> None:
    assert parse_tracking_code(typed) == TrackingCode("NT-ABCD-EFGH")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("NT-ABCO-IL12", "NT-ABC0-1112"),
        ("nt-oooo-iiii", "NT-0000-1111"),
        ("lo1o 0ilx", "NT-1010-011X"),
    ],
)
def test_letters_that_look_like_digits_are_read_as_digits(typed: str, canonical: str) -> None:
    code = parse_tracking_code(typed)
    assert code is not None
    assert str(code) == canonical


def test_a_body_that_starts_with_nt_is_not_mistaken_for_the_prefix() -> None:
    assert parse_tracking_code("NT12 3456") == TrackingCode("NT-NT12-3456")
    assert parse_tracking_code("NT-NT12-3456") == TrackingCode("NT-NT12-3456")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "NT-ABCD-EFG",  # 7 symbols
        "NT-ABCD-EFGHJ",  # 9 symbols
        "NT-ABCU-EFGH",  # U is not Crockford
        "XY-ABCD-EFGH",
        "ABCD-EFGH-NT",
        "NT-ABCD-EF#H",
        "NT-ÀBCD-EFGH",
        "mã của tôi",
    ],
)
def test_anything_else_is_not_a_code(typed: str) -> None:
    assert parse_tracking_code(typed) is None


@pytest.mark.parametrize("value", ["NTABCDEFGH", "nt-abcd-efgh", "NT-ABCU-EFGH", "NT-ABCD-EFG"])
def test_tracking_code_holds_only_the_canonical_form(value: str) -> None:
    with pytest.raises(ValueError, match="canonical"):
        TrackingCode(value)
