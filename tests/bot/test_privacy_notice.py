"""The privacy notice says what the law asks, with the ward's own contact, and a new version
of it is agreed to again before anything more rests on it."""

from __future__ import annotations

from datetime import timedelta

from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from core.people import PRIVACY_NOTICE_VERSION, Consent, ConsentPurpose
from tests.bot.conftest import FakeClock, RunningBot, unpaced_budget
from tests.bot.flows import agree_and_start, answer_steps, press, say

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
    assert f"Bên kiểm soát dữ liệu: {WARD}." in text
    for heading in (
        "Dữ liệu và nguồn:",
        "Mục đích:",
        "Ai được xem:",
        "Chuyển ra nước ngoài:",
        "Thời gian lưu:",
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
    evidence = await press(user, "Bỏ qua")

    assert "Địa điểm" in place.text and "không công bố" in place.text
    assert "không cần gửi vị trí hiện tại" in place.text
    assert "ảnh hoặc tài liệu" in evidence.text
    assert "chỉ cán bộ xử lý hồ sơ được xem" in evidence.text
