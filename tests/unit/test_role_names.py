"""A role is typed by its Vietnamese name, with or without diacritics, or by its English one."""

from __future__ import annotations

import pytest

from core.roles import Role, read_role


@pytest.mark.parametrize(
    ("typed", "role", "rest"),
    [
        ("cán bộ hang bac", Role.OFFICER, "hang bac"),
        ("can bo Hàng Bạc", Role.OFFICER, "Hàng Bạc"),
        ("CÁN BỘ", Role.OFFICER, ""),
        ("officer hang bac", Role.OFFICER, "hang bac"),
        ("thường trực", Role.SECRETARIAT, ""),
        ("cán bộ thường trực", Role.SECRETARIAT, ""),
        ("thuong truc", Role.SECRETARIAT, ""),
        ("secretariat", Role.SECRETARIAT, ""),
        ("standing office", Role.SECRETARIAT, ""),
        ("thành viên hội đồng", Role.COUNCIL_MEMBER, ""),
        ("thanh vien hoi dong", Role.COUNCIL_MEMBER, ""),
        ("council_member", Role.COUNCIL_MEMBER, ""),
        ("quản trị", Role.ADMIN, ""),
        ("quan tri vien", Role.ADMIN, ""),
        ("admin", Role.ADMIN, ""),
    ],
)
def test_a_role_is_read_from_its_vietnamese_or_english_name(
    typed: str, role: Role, rest: str
) -> None:
    assert read_role(typed) == (role, rest)


@pytest.mark.parametrize("typed", ["", "king", "cán", "vua hang bac"])
def test_no_role_is_read_from_other_words(typed: str) -> None:
    assert read_role(typed) is None
