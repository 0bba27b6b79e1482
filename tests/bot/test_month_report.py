"""``/baocao``: the standing office gets the month's chart as a photo and the workbook."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot.local_api import LocalBotApi
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import say
from tests.bot.test_deadlines import hanoi


@pytest.fixture
async def year_2018(start_bot, clock: FakeClock) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    clock.now = hanoi("2018-03-20")
    async with start_bot(notices=False) as (application, runtime):
        yield RunningBot(application, runtime)


async def _grant(
    bot: RunningBot, clock: FakeClock, user_id: int, role: Role, unit: str | None
) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, Actor.operator(), user_id=user_id, role=role, unit_key=unit, now=clock()
        )
        await uow.commit()


async def test_the_office_gets_the_months_chart_and_workbook_made_as_sent(
    api: LocalBotApi, year_2018: RunningBot, clock: FakeClock
) -> None:
    secretary, officer = api.user(1201, "Thư ký"), api.user(1202, "Cán bộ Bạc")
    await _grant(year_2018, clock, secretary.id, Role.SECRETARIAT, None)
    await _grant(year_2018, clock, officer.id, Role.OFFICER, "phuong-hang-bac")

    coming = await say(secretary, "/baocao")
    photo, document = await secretary.wait_for_messages(2)
    refused = await say(officer, "/baocao")
    usage = await say(secretary, "/baocao tháng ba")

    assert "Báo cáo tháng 03/2018" in coming.text
    assert photo.kind == "photo"
    chart = api.state.files[photo.raw["photo"][-1]["file_id"]].content
    assert chart is not None and chart.startswith(b"\x89PNG")
    file = document.raw["document"]
    assert file["file_name"] == "bao-cao-ntvt-2018-03.xlsx"
    content = api.state.files[file["file_id"]].content
    assert content is not None
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "Theo đơn vị",
        "Theo nhiệm vụ",
        "Hồ sơ trong tháng",
        "Gương điển hình",
    ]
    units = list(book["Theo đơn vị"].iter_rows(values_only=True))
    assert units[0][0] == "Đơn vị" and any(row[0] == "Phường Hàng Bạc" for row in units[1:])
    tasks = list(book["Theo nhiệm vụ"].iter_rows(values_only=True))
    assert all(isinstance(row[3], datetime) and row[3].month == 3 for row in tasks[1:])
    assert "không có quyền" in refused.text
    assert "/baocao 03/2018" in usage.text
