"""The people of the adversarial suite and the steps they take before trying something."""

from __future__ import annotations

import re

from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, fill_nomination, press

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
# The tests' clock is in 2026: the wards a deed is filed under are those since 1/7/2025 (the
# demo plan names them as the successors of the district's wards).
HANG_BAC = "phuong-hoan-kiem"  # where Hàng Bạc's area lies since 1/7/2025
HANG_GAI = "phuong-cua-nam-2025"  # another ward
NOMINEE = "Nguyễn Văn Bình"
# Whatever a user may see when something broke inside: never any of these.
ERROR_MARKS = ("Traceback", "Exception", "Error:", "gặp sự cố")


async def nominate(user: SimUser, *, name: str = NOMINEE, anonymous: bool = False) -> str:
    """Consent, nominate ``name`` in Phường Hoàn Kiếm, send; return the tracking code."""
    await agree_and_start(user)
    await fill_nomination(user, name=name, ward="hoan kiem")
    if anonymous:
        await press(user, "✏️ Sửa")
        await press(user, "Giữ kín danh tính")
        await press(user, "🔒 Có, giữ kín")
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def grant(
    bot: RunningBot, clock: FakeClock, user: SimUser, role: Role, unit: str | None = None
) -> None:
    """Give ``user`` a role from today."""
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, Actor.operator(), user_id=user.id, role=role, unit_key=unit, now=clock()
        )
        await uow.commit()


async def case_id(bot: RunningBot, code: str) -> int:
    """Return the id of the nomination with ``code``."""
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
    assert case is not None and case.id is not None
    return case.id


async def audit_actions(bot: RunningBot, code: str) -> list[str]:
    """Return the actions recorded on a case, oldest first."""
    async with bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        return [entry.action.value for entry in await uow.audit.history(case.id)]


async def started(user: SimUser) -> BotMessage:
    """``/start`` without consenting; return the privacy notice (a message with buttons)."""
    await user.send_command("/start")
    _welcome, notice = await user.wait_for_messages(2)
    return notice
