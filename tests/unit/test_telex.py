import unicodedata

import pytest

from core.telex import decode_leftovers, decode_word
from core.text import fold


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # Telex: the tone as a letter after the syllable, doubled vowels, w, dd.
        ("Hangf Bacj", "Hàng Bạc"),
        ("hangf bacj", "hàng bạc"),
        ("HANGF BACJ", "HÀNG BẠC"),
        ("Nguyeenx Vawn Binhf", "Nguyễn Văn Bình"),
        ("Ddaij hocj", "Đại học"),
        ("tuaanf truwowcs", "tuần trước"),
        ("truowcs", "trước"),
        ("dduwowcj", "được"),
        ("Hoaf Thuyr", "Hòa Thủy"),
        ("hoanfg", "hoàng"),  # the tone typed before the coda is finished
        ("ngoaif", "ngoài"),
        ("Quyeets", "Quyết"),
        ("giuwax", "giữa"),
        ("gieengs", "giếng"),
        ("Nguyeenx Thij Lys", "Nguyễn Thị Lý"),  # "Lys" alone is weak, beside others decoded
        # VNI: the tone and the marks as digits.
        ("Ha2ng Ba5c", "Hàng Bạc"),
        ("Vie65t Nam", "Việt Nam"),
        ("D9o6ng Xua6n", "Đông Xuân"),
        ("Va8n Bi2nh", "Văn Bình"),
        ("Tru7o7ng", "Trương"),
        # VNI's 5 is the heavy tone: "Nguye65n" is Nguyện, which folds as Nguyễn does.
        ("Nguye65n Va8n Bi2nh", "Nguyện Văn Bình"),
        # Mixed with words already marked, and punctuation kept.
        ("Phường Hangf Bacj, quận Hoàn Kiếm", "Phường Hàng Bạc, quận Hoàn Kiếm"),
    ],
)
def test_telex_and_vni_leftovers_decode_to_vietnamese(typed: str, meant: str) -> None:
    decoded = decode_leftovers(typed)
    assert decoded == unicodedata.normalize("NFC", meant)
    assert unicodedata.is_normalized("NFC", decoded)


def test_vni_nguyen_finds_what_nguyen_folds_to() -> None:
    assert fold(decode_leftovers("Nguye65n Va8n Bi2nh")) == fold("Nguyễn Văn Bình")


@pytest.mark.parametrize(
    "typed",
    [
        # Vietnamese without diacritics: no sign of an input method.
        "Thanh",
        "Nguyen Van Binh",
        "phuong hang bac",
        "Hàng Bạc",
        # Tracking codes, numbers, times, dates.
        "NT-AB5C-EFGH",
        "NT-HA2G-BA5C",
        "nt ha2g ba5c",
        "NTHA2GBA5C",
        "20/11/2026 lúc 8h",
        "8h30",
        "2026",
        "0912 345 678",
        "A1 B5 K9",
        # A doubled tone letter undoes the tone in Telex; not a syllable.
        "ss",
        "bass",
        # English words: only a weak sign (s, r, x at the end) or no syllable at all.
        "has this box tax bus car",
        "good book food free week new",
        "Hello World",
        "iPhone 15 Pro",
        "covid19",
        # Weak alone: a name typed "Lys" stays as typed unless the text is Telex elsewhere.
        "Lys",
        "quys",
    ],
)
def test_words_that_are_not_leftovers_stay_as_typed(typed: str) -> None:
    assert decode_leftovers(typed) == typed


@pytest.mark.parametrize(
    "word",
    [
        "bacf",  # a stop coda takes only the rising or heavy tone
        "hangjf",  # two tones
        "xyzf",  # no vowel syllable
        "baccj",  # no such coda
        "strongf",  # no such onset
        "phongz",  # z is no letter of a syllable
        "a1",  # one letter: a flat number ("A1"), not a syllable
        "8h",
    ],
)
def test_a_word_that_decodes_to_no_syllable_is_not_decoded(word: str) -> None:
    assert decode_word(word) is None


def test_a_weak_sign_decodes_only_beside_a_strong_one() -> None:
    weak = decode_word("lys")
    assert weak is not None and weak.text == "lý" and not weak.strong
    strong = decode_word("binhf")
    assert strong is not None and strong.strong
    assert decode_leftovers("thi lys") == "thi lys"
    assert decode_leftovers("thij lys") == "thị lý"
