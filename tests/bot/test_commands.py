"""The command menus and ``/help``, by role, from the registry of flows.

Residents get the bot's default menu; a member of staff a menu of their own in their chat,
which follows their roles as they are granted and revoked (by another process too), and
``/help`` lists exactly what the person reading it is shown.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.app import BotApplication, running_bot
from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from bot.settings import Settings
from core.review import grant_role, revoke_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot, unpaced_budget
from tests.bot.flows import say
from tests.unit.test_flows import OFFICERS, RESIDENTS

OPERATOR = Actor.operator()
HANG_BAC = "phuong-hoan-kiem"  # Hàng Bạc's area since 1/7/2025


def _menu(api: LocalBotApi, chat_id: int | None = None, language: str = "") -> dict[str, str]:
    scope = {"type": "chat", "chat_id": chat_id} if chat_id is not None else None
    return {c["command"]: c["description"] for c in api.commands(scope, language)}


async def _grant(rt: Runtime, clock: FakeClock, user_id: int, role: Role, unit: str | None) -> int:
    async with rt.uow() as uow:
        grant = await grant_role(
            uow, OPERATOR, user_id=user_id, role=role, unit_key=unit, now=clock()
        )
        await uow.commit()
    assert grant.id is not None
    return grant.id


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the menus did not change within 10 s"
        await asyncio.sleep(0.05)


def _starter(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> Callable[..., AbstractAsyncContextManager[tuple[BotApplication, Runtime]]]:
    """Start a bot that looks at the roles every 0.2 s, as another process changes them."""
    settings = bot_settings.model_copy(update={"directory_refresh": 0.2})

    def start(**overrides: Any) -> AbstractAsyncContextManager[tuple[BotApplication, Runtime]]:
        return running_bot(
            settings,
            token=api.token,
            polling=True,
            clock=clock,
            poll_timeout=1,
            budget=unpaced_budget(),
            **overrides,
        )

    return start


async def test_residents_menu_is_the_default_in_both_languages_without_staff_commands(
    api: LocalBotApi, bot: RunningBot
) -> None:
    vi, en = _menu(api), _menu(api, language="en")

    assert set(vi) == set(en) == RESIDENTS
    assert vi["subscriptions"] == "Các thông báo tôi đang nhận"
    assert en["subscriptions"] == "The announcements I receive"


async def test_a_staff_menu_follows_the_roles_granted_and_revoked_by_another_process(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    officer, secretary = api.user(1401, "Cán bộ An"), api.user(1402, "Thư ký Hà")
    async with _starter(api, bot_settings, clock)() as (_application, rt):
        await _grant(rt, clock, officer.id, Role.OFFICER, HANG_BAC)
        granted = await _grant(rt, clock, secretary.id, Role.SECRETARIAT, None)

        await _until(lambda: all(_menu(api, user.id, "en") for user in (officer, secretary)))
        assert set(_menu(api, officer.id)) == RESIDENTS | OFFICERS
        assert _menu(api, officer.id, "en")["queue"] == "Cases waiting"
        assert {"broadcast", "compliance"} <= set(_menu(api, secretary.id))
        assert "invite" not in _menu(api, secretary.id)
        assert set(_menu(api)) == RESIDENTS, "the default menu is untouched"

        async with rt.uow() as uow:
            assert await revoke_role(uow, OPERATOR, granted, now=clock())
            await uow.commit()
        await _until(lambda: not _menu(api, secretary.id, "en"))
        assert _menu(api, secretary.id) == {}
        assert set(_menu(api, officer.id)) == RESIDENTS | OFFICERS


async def test_menus_left_unpublished_by_an_outage_at_start_are_published_after_it(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    start = _starter(api, bot_settings, clock)
    async with start() as (_application, rt):
        officer = api.user(1403, "Cán bộ Bình")
        await _grant(rt, clock, officer.id, Role.OFFICER, HANG_BAC)
    api.state.commands.clear()

    api.fail_next("setMyCommands", 502, times=3)  # at start, then two rounds of the loop
    async with start() as (_application, rt):
        assert _menu(api) == {} and _menu(api, officer.id) == {}
        await _until(lambda: bool(_menu(api, language="en")) and bool(_menu(api, officer.id, "en")))
    assert set(_menu(api)) == RESIDENTS
    assert set(_menu(api, officer.id)) == RESIDENTS | OFFICERS
    assert len(api.calls_for("setMyCommands")) >= 3 + 4


async def test_help_lists_what_the_reader_is_shown_and_nothing_above_their_role(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1404, "Mai"), api.user(1405, "Cán bộ Cường")
    await _grant(bot.runtime, clock, officer.id, Role.OFFICER, HANG_BAC)

    for_resident = await say(resident, "/help")
    for_officer = await say(officer, "/help")

    for name in RESIDENTS:
        assert f"/{name}" in for_resident.text and f"/{name}" in for_officer.text
    # Announcements and the rights over one's data, from the one registry of commands.
    for name in ("subscribe", "subscriptions", "unsubscribe", "dulieu", "rutdongy"):
        assert f"\n/{name}" in for_resident.text
    for name in ("xoadulieu", "suadulieu", "yeucau"):
        assert f"\n/{name}" in for_resident.text
    assert "/subscribe [PHƯỜNG] (hoặc /nhantin): Đăng ký nhận thông báo" in for_resident.text
    assert "/queue" not in for_resident.text and "Dành cho cán bộ" not in for_resident.text
    assert "Dành cho cán bộ" in for_officer.text
    assert "/find TÊN (hoặc /timkiem): Tìm hồ sơ theo tên" in for_officer.text
    assert "/broadcast" not in for_officer.text and "/invite" not in for_officer.text
