"""A name typed without diacritics given its likeliest written form; a sentence as a name."""

from __future__ import annotations

import pytest

from bot.names import name_table
from core.names import NameTable, Position, Syllable, has_diacritics, restore_diacritics
from core.nomination import looks_like_sentence
from core.text import fold

SMALL = """\
# a table for the tests
family\tNguyễn\t-\t380
family\tTrần\t-\t110
middle\tVăn\tm\t300
middle\tThị\tf\t300
given\tBình\t-\t40
given\tBính\tm\t1
given\tDũng\tm\t45
given\tDung\tf\t35
given\tVân\tf\t25
"""


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("nguyen van binh", "Nguyễn Văn Bình"),
        ("NGUYEN VAN BINH", "Nguyễn Văn Bình"),
        ("Tran  Thi   Dung", "Trần Thị Dung"),  # Thị: a woman's given name
        ("tran van dung", "Trần Văn Dũng"),  # Văn: a man's
        ("nguyen van", "Nguyễn Vân"),  # two words: the family and the given name
    ],
)
def test_each_syllable_takes_its_likeliest_form_at_its_place(typed: str, written: str) -> None:
    assert restore_diacritics(typed, NameTable.parse(SMALL)) == written


@pytest.mark.parametrize(
    "typed",
    [
        "Nguyễn van binh",  # a diacritic already: the resident's spelling stands
        "nguyen van dinh",  # a syllable the table does not know
        "binh",  # one word
        "nguyen van binh van binh van binh van",  # eight words
        "nguyen van b1nh",  # not letters
        "<b>nguyen</b> van binh",  # not letters either
    ],
)
def test_no_suggestion_without_a_sure_restoration(typed: str) -> None:
    assert restore_diacritics(typed, NameTable.parse(SMALL)) is None


def test_a_name_already_written_as_suggested_gets_no_suggestion() -> None:
    table = NameTable.parse("family\tMai\t-\t3\ngiven\tLan\tf\t30\n")
    assert restore_diacritics("Mai Lan", table) is None
    assert restore_diacritics("mai lan", table) == "Mai Lan"


def test_a_syllable_unknown_at_its_place_is_read_at_another() -> None:
    table = NameTable.parse(SMALL)
    assert table.best("thi", Position.GIVEN) == Syllable("Thị", "f", 300)
    assert restore_diacritics("nguyen tran binh", table) == "Nguyễn Trần Bình"


def test_the_table_refuses_a_malformed_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        NameTable.parse("family\tNguyễn\t-\t380\nfamily\tTrần\t110\n")


def test_diacritics_are_seen_in_either_normal_form_and_in_d_with_stroke() -> None:
    assert has_diacritics("Bình") and has_diacritics("Bi\u0300nh") and has_diacritics("Dang Đuc")
    assert not has_diacritics("Nguyen Van Binh")


def test_the_shipped_table_restores_common_names() -> None:
    table = name_table()
    for written in ("Nguyễn Văn Bình", "Trần Thị Hương", "Lê Hoàng Nam", "Phạm Thị Thu Trang"):
        typed = fold(written).title()
        assert not has_diacritics(typed), typed
        assert restore_diacritics(typed, table) == written
    # An unaccented syllable with several written forms: the common one at its place.
    assert restore_diacritics("dang thi hoa", table) == "Đặng Thị Hoa"
    assert restore_diacritics("dang van hoa", table) == "Đặng Văn Hòa"


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("Nguyễn Văn Bình", False),
        ("Tổ dân phố số 5", False),
        ("Nguyễn Thị Ngọc Phương Anh", False),
        ("Nguyễn Văn B.", False),  # a final initial: a name written short
        ("Anh Bình giúp cụ qua đường.", True),
        ("Anh ấy đã nhặt được ví và trả lại cho người mất", True),  # eleven words
        ("một hai ba bốn năm sáu bảy", False),  # seven words: still a name's length
        ("một hai ba bốn năm sáu bảy tám", True),
    ],
)
def test_a_sentence_is_told_from_a_name(typed: str, sentence: bool) -> None:
    assert looks_like_sentence(typed) is sentence
