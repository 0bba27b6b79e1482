"""``ntvt desk sessions`` and ``ntvt desk revoke``: the operator lists and ends sessions."""

from __future__ import annotations

import pytest

from bot.desk.cli import DeskCommandError, revoke_lines, session_lines
from tests.desk.conftest import Desk
from tests.desk.test_http import sign_in
from tests.desk.world import OFFICE, WARD_OFFICER


async def test_the_operator_lists_open_sessions_and_ends_one_or_an_officers_all(
    desk: Desk,
) -> None:
    await sign_in(desk, OFFICE)
    await sign_in(desk, WARD_OFFICER)
    settings, now = desk.rt.settings, desk.clock()

    listed = await session_lines(settings, now=now)
    first_id = int(listed[1].split("\t")[0])
    ended = await revoke_lines(settings, session_id=first_id, user_id=None, now=now)
    again = revoke_lines(settings, session_id=first_id, user_id=None, now=now)
    everyone = await revoke_lines(settings, session_id=None, user_id=OFFICE, now=now)

    assert listed[0].startswith("id\tuser\tname") and len(listed) == 3
    assert "Cán bộ Hàng Bạc" in listed[1] and "2024-11-20 09:00" in listed[1]
    assert ended == [f"ntvt: desk session {first_id} ended"]
    with pytest.raises(DeskCommandError, match="no open desk session"):
        await again
    assert everyone == [f"ntvt: 1 desk session(s) of user {OFFICE} ended"]
    assert await session_lines(settings, now=now) == ["ntvt: no desk session is open"]
    assert (await desk.client.get("/desk/")).status_code == 401
