"""The organisation of today, end to end: units are matched among those of the deed's day.

A resident of 2026 who types a ward abolished on 1/7/2025 hears so and is offered the wards
that took over its area; "Cửa Nam" is today's ward on a 2026 date and the old one on a date
before the reform; the privacy notice names the council of today, never the district's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversations.nomination import DRAFT
from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.plans import TODAY_PLAN
from tests.bot.conftest import FakeClock, RunningBot, StartBot
from tests.bot.flows import agree_and_start, answer_steps, press, say


async def _unit_key(bot: RunningBot, user: SimUser) -> str | None:
    async with bot.runtime.uow() as uow:
        dialog = await uow.dialogs.get(user.id)
    assert dialog is not None
    unit_key = dialog.data[DRAFT].get("unit_key")
    return str(unit_key) if unit_key is not None else None


async def test_a_2026_resident_who_types_an_abolished_ward_is_offered_its_successors(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1901, "Lan")
    await agree_and_start(user)
    await answer_steps(user, "unit")  # the deed happened yesterday, in November 2026

    ended = await say(user, "hang bac")

    assert "Phường Hàng Bạc không còn từ ngày 01/07/2025" in ended.text
    assert "nay thuộc Phường Hoàn Kiếm" in ended.text
    assert ended.buttons[0] == ["Phường Hoàn Kiếm"]
    assert await _unit_key(bot, user) is None  # nothing chosen silently
    place = await press(user, "Phường Hoàn Kiếm")
    assert "Địa điểm" in place.text
    assert await _unit_key(bot, user) == "phuong-hoan-kiem"


async def test_an_old_ward_split_between_wards_offers_each_part(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1902, "Minh")
    await agree_and_start(user)
    await answer_steps(user, "unit")

    ended = await say(user, "p hang trong")

    assert "Phường Hàng Trống không còn từ ngày 01/07/2025" in ended.text
    assert "toàn bộ hoặc một phần" in ended.text
    assert ended.buttons[:2] == [["Phường Hoàn Kiếm"], ["Phường Cửa Nam"]]


async def test_cua_nam_on_a_2026_date_is_todays_ward(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(1903, "Nga")
    await agree_and_start(user)
    await answer_steps(user, "unit")

    place = await say(user, "Cửa Nam")

    assert "Địa điểm" in place.text
    assert await _unit_key(bot, user) == "phuong-cua-nam-2025"


async def test_cua_nam_before_the_reform_is_the_old_ward_the_deed_date_decides(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1904, "Oanh")
    await agree_and_start(user)
    await answer_steps(user, "date")
    await say(user, "15/03/2025")  # typed at the date step, in November 2026

    place = await say(user, "cua nam")

    assert "Địa điểm" in place.text
    assert await _unit_key(bot, user) == "phuong-cua-nam"


async def test_cua_nam_on_a_2018_date_is_the_old_ward(
    api: LocalBotApi, clock: FakeClock, bot: RunningBot
) -> None:
    clock.now = datetime(2018, 5, 10, 2, 0, tzinfo=UTC)
    user = api.user(1905, "Phúc")
    await agree_and_start(user)
    question = await answer_steps(user, "unit")  # yesterday: 09/05/2018
    assert "phường hoặc đơn vị" in question.text

    await say(user, "Cửa Nam")

    assert await _unit_key(bot, user) == "phuong-cua-nam"


async def test_a_ward_that_did_not_exist_yet_on_the_deed_date_is_not_chosen(
    api: LocalBotApi, clock: FakeClock, bot: RunningBot
) -> None:
    clock.now = datetime(2018, 5, 10, 2, 0, tzinfo=UTC)
    user = api.user(1906, "Quân")
    await agree_and_start(user)
    await answer_steps(user, "unit")

    offered = await say(user, "hoan kiem")

    assert await _unit_key(bot, user) is None
    assert "Phường Hoàn Kiếm" not in [label for row in offered.buttons for label in row]


async def test_the_notice_names_no_abolished_council_after_the_reform(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1907, "Sơn")
    await user.send_command("/start")
    _welcome, notice = await user.wait_for_messages(2)

    assert "quận" not in notice.text
    assert "Phòng Nội vụ" not in notice.text
    assert "Cơ quan xử lý dữ liệu: cơ quan thường trực Hội đồng Thi đua - Khen thưởng." in (
        notice.text
    )


async def test_with_todays_organisation_the_ward_council_speaks_and_old_wards_point_to_it(
    api: LocalBotApi, start_bot: StartBot
) -> None:
    async with start_bot(plan_file=TODAY_PLAN) as (application, runtime):
        bot = RunningBot(application, runtime)
        user = api.user(1908, "Tâm")
        await user.send_command("/start")
        _welcome, notice = await user.wait_for_messages(2)
        assert (
            "Cơ quan xử lý dữ liệu: Văn phòng HĐND và UBND phường Hoàn Kiếm, cơ quan thường "
            "trực của Hội đồng Thi đua - Khen thưởng phường Hoàn Kiếm." in notice.text
        )
        assert "Liên hệ: Văn phòng HĐND và UBND phường Hoàn Kiếm." in notice.text
        await user.press_for_reply("✅ Tôi đồng ý")  # the thanks, in place of the notice
        await user.send_command("/nominate")
        await user.next_message()
        question = await answer_steps(user, "unit")
        assert "tổ dân phố hoặc đơn vị" in question.text
        assert "ví dụ: to dan pho so 1" in question.text

        ended = await say(user, "cua nam")

        assert "Phường Cửa Nam không còn từ ngày 01/07/2025" in ended.text
        assert ended.buttons[0] == ["Phường Hoàn Kiếm"]
        assert "Phường Ba Đình" in ended.text and "không do Hội đồng này xét" in ended.text
        assert await _unit_key(bot, user) is None
        place = await say(user, "to dan pho 2")
        assert "Địa điểm" in place.text
        assert await _unit_key(bot, user) == "to-dan-pho-2"
