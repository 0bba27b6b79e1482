"""A second report of the same deed is offered to support the first; officers can merge."""

from __future__ import annotations

import re

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.review import grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, fill_nomination, press, say

OPERATOR = Actor.operator()

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def _submit(user: SimUser, name: str) -> str:
    await agree_and_start(user)
    await fill_nomination(user, name=name, ward="hoan kiem")
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def _officer(bot: RunningBot, clock: FakeClock, user: SimUser) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow,
            OPERATOR,
            user_id=user.id,
            role=Role.OFFICER,
            unit_key="phuong-hoan-kiem",
            now=clock(),
        )
        await uow.commit()


async def test_a_second_report_can_support_the_first_instead_of_a_copy(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    first, second, officer = api.user(1001, "Quyên"), api.user(1002, "Bảo"), api.user(1003, "CB")
    await _officer(bot, clock, officer)
    code = await _submit(first, "Nguyễn Văn Bình")

    await agree_and_start(second)
    await fill_nomination(second, name="nguyen van binh", ward="hoan kiem")
    offer = await press(second, "✅ Gửi")
    assert code in offer.text and "cùng đề cử" in offer.text
    assert "Quyên" not in offer.text  # nothing about the other nominator
    thanks = await press(second, f"🤝 Cùng đề cử {code}")
    assert code in thanks.text and "Cảm ơn" in thanks.text

    card = await say(officer, f"/status {code}")
    assert "Số người cùng đề cử: 1" in card.text and "Bảo" in card.text
    await press(officer, "🔍 Tiếp nhận, xác minh")
    assert "đang được xác minh" in (await first.next_message()).text
    supporter_notice = await second.next_message()
    assert f"Về đề cử {code} mà Anh/Chị cùng đề cử" in supporter_notice.text


async def test_a_different_nominee_is_not_called_a_duplicate(
    api: LocalBotApi, bot: RunningBot
) -> None:
    await _submit(api.user(1004, "Cúc"), "Nguyễn Văn Bình")
    other = api.user(1005, "Dung")
    await agree_and_start(other)
    await fill_nomination(other, name="Trần Thị Hoa", ward="hoan kiem")
    done = await press(other, "✅ Gửi")
    assert CODE.search(done.text) and "Đã gửi đề cử" in done.text


async def test_an_officer_merges_a_copy_and_both_nominators_are_told(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    first, second, officer = api.user(1006, "Hà"), api.user(1007, "Khoa"), api.user(1008, "CB")
    await _officer(bot, clock, officer)
    survivor = await _submit(first, "Lê Văn Tám")
    await agree_and_start(second)
    await fill_nomination(second, name="Le Van Tam", ward="hoan kiem")
    await press(second, "✅ Gửi")
    sent = await press(second, "📨 Vẫn gửi đề cử mới")
    # The summary and the offer stay above, with the other code: the new one comes last.
    copy = CODE.search(sent.text.rpartition("Mã đề cử")[2])
    assert copy is not None

    await say(officer, f"/status {copy.group(0)}")
    ask = await press(officer, "🔗 Gộp hồ sơ")
    assert "mã hồ sơ sẽ giữ lại" in ask.text
    merged_card = await say(officer, survivor.lower())
    assert "Đã gộp vào đề cử khác" in merged_card.text
    told_copy = await second.next_message()
    assert survivor in told_copy.text and "gộp" in told_copy.text
    told_survivor = await first.next_message()
    assert copy.group(0) in told_survivor.text

    card = await say(officer, f"/status {survivor}")
    assert "Số người cùng đề cử: 1" in card.text and "Khoa" in card.text
