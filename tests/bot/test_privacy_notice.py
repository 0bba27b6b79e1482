"""The privacy notice says what the law asks, with the ward's own contact, and a new version
of it is agreed to again before anything more rests on it: a resident is shown it first at
their next interaction, whatever it is."""

from __future__ import annotations

from datetime import timedelta

from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.settings import Settings
from core.people import PRIVACY_NOTICE_VERSION, Consent, ConsentPurpose
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot, unpaced_budget
from tests.bot.flows import agree_and_start, answer_steps, leave, press, say
from tests.security.people import HANG_BAC, grant

WARD = "Ủy ban nhân dân phường Hoàn Kiếm"


async def test_the_notice_names_the_controller_purposes_recipients_transfer_rights_and_contact(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(
        update={
            "privacy_controller": WARD,
            "privacy_phone": "024 3825 1234",
            "privacy_email": "vanphong@hoankiem.hanoi.gov.vn",
            "privacy_address": "126 Hàng Trống, Hoàn Kiếm, Hà Nội",
        }
    )
    user = api.user(1701, "Đào")
    async with running_bot(
        settings,
        token=api.token,
        polling=True,
        clock=clock,
        poll_timeout=1,
        budget=unpaced_budget(),
    ):
        await user.send_command("/start")
        _welcome, notice = await user.wait_for_messages(2)

    text = notice.text
    assert f"phiên bản {PRIVACY_NOTICE_VERSION}" in text
    assert f"Cơ quan xử lý dữ liệu: {WARD}." in text
    for heading in (
        "Dữ liệu được thu thập:",
        "Mục đích:",
        "Người được tiếp cận dữ liệu:",
        "Chuyển ra nước ngoài:",
        "Thời hạn lưu trữ:",
        "Quyền của Anh/Chị:",
        "Thời hạn trả lời:",
    ):
        assert heading in text, heading
    assert "/rutdongy" in text and "2 ngày làm việc" in text and "15 ngày" in text
    assert "Điện thoại: 024 3825 1234." in text
    assert "Thư điện tử: vanphong@hoankiem.hanoi.gov.vn." in text
    assert "Địa chỉ: 126 Hàng Trống, Hoàn Kiếm, Hà Nội." in text


async def test_a_consent_to_an_earlier_notice_is_asked_again_before_a_new_nomination(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1702, "Giang")
    await agree_and_start(user)
    await say(user, "/cancel")
    async with bot.runtime.uow() as uow:
        await uow.consents.add(
            Consent(user.id, ConsentPurpose.NOMINATION, "2026-11", clock() + timedelta(seconds=1))
        )
        await uow.commit()

    again = await say(user, "/nominate")

    assert f"phiên bản {PRIVACY_NOTICE_VERSION}" in again.text
    assert again.buttons == [["✅ Tôi đồng ý", "Không đồng ý"]]


async def test_the_place_and_photo_steps_say_why_before_asking(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1703, "Hiền")
    await agree_and_start(user)

    place = await answer_steps(user, "place")
    evidence = await leave(user, "Bỏ qua")

    assert "Địa điểm" in place.text and "không công bố" in place.text
    assert "không cần gửi vị trí hiện tại" in place.text
    assert "ảnh hoặc tài liệu" in evidence.text
    assert "chỉ cán bộ xử lý hồ sơ được xem" in evidence.text


async def _notice_changes(bot: RunningBot, clock: FakeClock, user: SimUser) -> None:
    """Make the user's consent one to an earlier version of the notice, as after a change."""
    async with bot.runtime.uow() as uow:
        await uow.consents.add(
            Consent(user.id, ConsentPurpose.NOMINATION, "2026-11", clock() + timedelta(seconds=1))
        )
        await uow.commit()
    clock.now += timedelta(minutes=1)


async def _latest_version(bot: RunningBot, user: SimUser) -> str | None:
    async with bot.runtime.uow() as uow:
        latest = await uow.consents.latest(user.id, ConsentPurpose.NOMINATION)
    return latest.notice_version if latest else None


async def test_after_the_notice_changes_any_message_first_shows_the_new_notice_once(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1704, "Khoa")
    await agree_and_start(user)
    name_question = await press(user, "👤 Cá nhân")
    assert "Bước 2/10" in name_question.text
    await _notice_changes(bot, clock, user)

    notice = await say(user, "Trần Văn An")

    assert f"phiên bản {PRIVACY_NOTICE_VERSION}" in notice.text
    assert "đã thay đổi" in notice.text and "phiên bản 2026-11" in notice.text
    assert "Tin nhắn Anh/Chị vừa gửi chưa được xử lý" in notice.text
    assert notice.buttons == [["✅ Tôi đồng ý", "Không đồng ý"]]
    await user.press("✅ Tôi đồng ý")
    # One notice only: the next messages are the thanks and the step it had stopped at.
    thanks, again = await user.wait_for_messages(2)
    assert "đồng ý thông báo mới" in thanks.text and "gửi lại" in thanks.text
    assert "Bước 2/10" in again.text  # the dialog waited where it was
    assert await _latest_version(bot, user) == PRIVACY_NOTICE_VERSION
    role_question = await say(user, "Trần Văn An")
    assert "Bước 3/10" in role_question.text
    assert "phiên bản" not in role_question.text  # asked once, not at every message


async def test_a_button_pressed_after_the_change_works_again_once_agreed(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1705, "Linh")
    question = await agree_and_start(user)
    await _notice_changes(bot, clock, user)

    await user.press_on(question, "👤 Cá nhân")
    notice = await user.next_message()
    assert "Nút Anh/Chị vừa bấm chưa được thực hiện" in notice.text
    await user.press("✅ Tôi đồng ý")
    await user.wait_for_messages(2)
    name_question = await press_again(user, question, "👤 Cá nhân")

    assert "Bước 2/10" in name_question.text


async def press_again(user: SimUser, message: BotMessage, label: str) -> BotMessage:
    return await user.press_on_for_reply(message, label)


async def test_declining_the_new_notice_keeps_the_old_consent_and_asks_again_next_time(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1706, "Mai")
    await agree_and_start(user)
    await say(user, "/cancel")
    await _notice_changes(bot, clock, user)

    await say(user, "/my")
    declined = await press(user, "Không đồng ý")
    assert "chưa đồng ý thông báo mới" in declined.text and "/rutdongy" in declined.text
    assert await _latest_version(bot, user) == "2026-11"
    again = await say(user, "/my")
    assert "đã thay đổi" in again.text


async def test_withdrawing_and_staff_work_are_not_held_up_by_the_new_notice(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1707, "Nam"), api.user(1708, "Cán bộ Oanh")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    for user in (resident, officer):
        await agree_and_start(user)
        await say(user, "/cancel")
        await _notice_changes(bot, clock, user)

    unsubscribed = await say(resident, "/huynhantin")
    withdraw = await say(resident, "/rutdongy")
    queue = await say(officer, "/queue")

    assert "phiên bản" not in unsubscribed.text
    assert "Rút lại đồng ý" in withdraw.text and "phiên bản" not in withdraw.text
    assert "phiên bản" not in queue.text
