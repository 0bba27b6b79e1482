import unicodedata

import pytest

from core.text import clean_text, fold, nfc, sound_key


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (nfd("Nguyễn Văn Hùng"), "Nguyễn Văn Hùng"),
        # The Windows keyboard: precomposed â / ư plus a combining tone mark.
        ("Nguy\u00ea\u0303n", "Nguyễn"),
        ("H\u01b0\u0300ng", "Hừng"),
        ("  Hàng \t Bạc\n ", "Hàng Bạc"),
        ("Hàng\u00a0Bạc", "Hàng Bạc"),
        # A zero-width space between a vowel and its tone mark must not block composing.
        ("Ha\u200b\u0300ng", "Hàng"),
        ("\ufeffBạc\u00ad", "Bạc"),
        ("Bạc\x00", "Bạc"),
    ],
)
def test_nfc_stores_one_form_of_what_keyboards_send(typed: str, stored: str) -> None:
    assert nfc(typed) == stored
    assert unicodedata.is_normalized("NFC", nfc(typed))


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("Hoá", "Hóa"), ("khoẻ", "khỏe"), ("Thuý", "Thúy")],
)
def test_old_and_new_tone_placement_fold_equal(old_style: str, new_style: str) -> None:
    assert old_style != new_style
    assert fold(old_style) == fold(new_style)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Phường Hàng Bạc", "phuong hang bac"),
        ("P. Hàng Bạc", "p hang bac"),
        ("P.HÀNG-BẠC", "p hang bac"),
        ("Đống Đa", "dong da"),
        ("ĐỒNG XUÂN", "dong xuan"),
        ("Ðống Ða", "dong da"),  # Icelandic eth, which looks like Đ
        ("Trần Hưng Đạo", "tran hung dao"),
        ("  Lý   Thái Tổ!! ", "ly thai to"),
        ("Ngõ 12/3", "ngo 12 3"),
        ("", ""),
    ],
)
def test_fold_gives_the_key_typed_without_diacritics(text: str, key: str) -> None:
    assert fold(text) == key


@pytest.mark.parametrize(
    "variant",
    [
        "Hàng Bạc",
        nfd("Hàng Bạc"),
        "Ha\u0300ng Ba\u0323c",
        "hàng\u200bbạc".replace("\u200b", " "),
        "HÀNG BẠC",
        "hang bac",
    ],
)
def test_fold_is_the_same_for_nfc_nfd_and_mixed_input(variant: str) -> None:
    assert fold(variant) == "hang bac"


def test_fold_is_idempotent() -> None:
    assert fold(fold("Phường Hàng Bạc, Q. Hoàn Kiếm")) == "phuong hang bac q hoan kiem"


@pytest.mark.parametrize(
    ("a", "b"),
    [("hang bak", "Hàng Bạc"), ("Lý Thái Tổ", "Lí Thái Tổ"), ("kỹ", "kĩ"), ("Phố", "fo")],
)
def test_spellings_of_one_sound_share_a_sound_key(a: str, b: str) -> None:
    assert sound_key(a) == sound_key(b)


@pytest.mark.parametrize(("a", "b"), [("Cửa", "Qua"), ("Chương", "Khương"), ("ay", "ai")])
def test_different_sounds_keep_different_sound_keys(a: str, b: str) -> None:
    assert sound_key(a) != sound_key(b)


def test_clean_text_counts_characters_after_nfc() -> None:
    cleaned = clean_text(nfd("  Nguyễn  "), max_len=6)
    assert cleaned.text == "Nguyễn"
    assert cleaned.length == 6
    assert not cleaned.too_long
    assert not cleaned.is_empty


def test_clean_text_reports_text_over_the_limit() -> None:
    cleaned = clean_text("Hàng Bạc", max_len=5)
    assert cleaned.length == 8
    assert cleaned.too_long


def test_clean_text_reports_invisible_only_input_as_empty() -> None:
    cleaned = clean_text(" \u200b\t\n", max_len=10)
    assert cleaned.text == ""
    assert cleaned.is_empty


def test_multiline_clean_text_keeps_paragraphs_and_drops_extra_blank_lines() -> None:
    typed = "\n  Cứu   người \r\nđuối nước.\n\n\n\nTrả lại  ví. \n\n"
    cleaned = clean_text(typed, max_len=100, multiline=True)
    assert cleaned.text == "Cứu người\nđuối nước.\n\nTrả lại ví."
    assert cleaned.length == len(cleaned.text)


def test_single_line_clean_text_joins_lines() -> None:
    assert clean_text("Cứu người\nđuối nước", max_len=100).text == "Cứu người đuối nước"


@pytest.mark.parametrize(
    ("one", "other"),
    [("quý", "quí"), ("Quý", "QUÍ"), ("quýt", "quít"), ("Nguyễn Thị Quý", "nguyen thi qui")],
)
def test_the_two_spellings_after_qu_fold_equal(one: str, other: str) -> None:
    assert fold(one) == fold(other)
    assert fold(one).split()[-1].startswith("quy")


@pytest.mark.parametrize(
    ("word", "key"),
    [("Quỳnh", "quynh"), ("quyết", "quyet"), ("quân", "quan"), ("Bùi Thị Thu", "bui thi thu")],
)
def test_folding_qu_changes_no_other_word(word: str, key: str) -> None:
    assert fold(word) == key
