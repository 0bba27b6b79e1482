"""``/rutdongy``: a resident withdraws their consent in chat, and what rested on it stops.

Subscriptions end, the unsent draft goes, the cases they filed are no longer verified with
them (no officer can ask them anything, nobody tells them anything), the record of the
consent stays with the moment it ended, and agreeing again starts over.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.codes import TrackingCode
from core.people import ConsentPurpose
from core.review import ConsentWithdrawnError, ContactStoppedError, act, actor_for
from core.roles import Role
from core.workflow import Action
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, press, say
from tests.security.people import HANG_BAC, grant, nominate


async def _withdraw(user: SimUser) -> str:
    asked = await say(user, "/rutdongy")
    assert "không được xác minh thêm với Anh/Chị" in asked.text
    assert asked.buttons == [["✅ Rút lại đồng ý", "Giữ nguyên"]]
    return (await press(user, "✅ Rút lại đồng ý")).text


async def test_withdrawing_ends_subscriptions_drops_the_draft_and_keeps_the_proof(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1501, "Hằng")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")  # a draft at step 2
    await say(user, "/subscribe hoan kiem")

    done = await _withdraw(user)

    assert "Đã ghi nhận việc Anh/Chị rút lại đồng ý" in done
    assert "Đã dừng 1 đăng ký nhận thông báo" in done
    assert "Bản nháp đề cử chưa gửi đã được xóa" in done
    async with bot.runtime.uow() as uow:
        assert await uow.subscriptions.active_of(user.id) == []
        assert await uow.dialogs.get(user.id) is None
        consent = await uow.consents.latest(user.id, ConsentPurpose.NOMINATION)
    assert consent is not None and consent.withdrawn_at == clock()
    notice = await say(user, "/nominate")
    assert "Thông báo về xử lý dữ liệu cá nhân" in notice.text, "no nominating without consent"
    nothing = await say(user, "/rutdongy")
    assert "không có gì để rút lại" in nothing.text


async def test_keeping_it_changes_nothing_and_agreeing_again_starts_over(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1502, "Khang")
    await agree_and_start(user)
    await say(user, "/rutdongy")
    kept = await press(user, "Giữ nguyên")
    assert "vẫn giữ nguyên" in kept.text
    again = await say(user, "/nominate")
    assert "đang ở bước 1/10" in again.text, "the consent and the draft still hold"

    await _withdraw(user)
    first = await agree_and_start(user)
    assert "Bước 1/10" in first.text
    async with bot.runtime.uow() as uow:
        consent = await uow.consents.latest(user.id, ConsentPurpose.NOMINATION)
    assert consent is not None and consent.withdrawn_at is None


async def test_a_nominator_who_withdrew_is_neither_asked_nor_told(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1503, "Liên"), api.user(1504, "Cán bộ Tâm")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await nominate(resident)
    done = await _withdraw(resident)
    assert "1 đề cử đang xử lý sẽ không được xác minh thêm" in done
    told = len(resident.all_messages)

    card = await say(officer, f"/status {code}")
    verified = await press(officer, "🔍 Tiếp nhận, xác minh")
    assert "Đang xác minh" in verified.text
    assert not any("Yêu cầu bổ sung" in label for row in verified.buttons for label in row)
    assert card.text and len(resident.all_messages) == told, "the nominator is told nothing"

    async with bot.runtime.uow() as uow:
        actor = await actor_for(uow, officer.id, clock().date())
        case = await uow.nominations.get_by_code(code)  # type: ignore[arg-type]
        assert case is not None and case.id is not None
        with pytest.raises(ConsentWithdrawnError):
            await act(uow, actor, case.id, Action.ASK_INFO, now=clock(), public_note="Ảnh?")


async def test_a_forwarded_withdraw_button_withdraws_nobody_else(
    api: LocalBotApi, bot: RunningBot
) -> None:
    owner, other = api.user(1505, "Nga"), api.user(1506, "Oanh")
    await agree_and_start(owner)
    await agree_and_start(other)
    asked = await say(owner, "/rutdongy")
    data = next(d for row in asked.callback_data for d in row if d)

    await other.send_callback(data, other.messages[-1])
    await other.next_message()

    async with bot.runtime.uow() as uow:
        for person in (owner, other):
            consent = await uow.consents.latest(person.id, ConsentPurpose.NOMINATION)
            assert consent is not None and consent.withdrawn_at is None


async def test_before_agreeing_only_the_id_and_language_are_kept(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1507, "Phạm Thị Quyên", language_code="vi")
    await user.send_command("/start")
    welcome, _notice = await user.wait_for_messages(2)
    assert "Phạm Thị Quyên" in welcome.text, "the name serves the turn"
    await say(user, "/lang")
    await press(user, "🇬🇧 English")
    async with bot.runtime.uow() as uow:
        stored = await uow.users.get(user.id)
    assert stored is not None
    assert (stored.display_name, stored.language_code, stored.locale) == ("", "vi", "en")

    await user.send_command("/start")
    await user.wait_for_messages(2)
    await press(user, "✅ I agree")
    async with bot.runtime.uow() as uow:
        agreed = await uow.users.get(user.id)
    assert agreed is not None and agreed.display_name == "Phạm Thị Quyên"


async def test_a_member_of_staff_is_known_by_name_without_the_residents_consent(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    officer = api.user(1508, "Cán bộ Sơn")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await say(officer, "/queue")
    async with bot.runtime.uow() as uow:
        stored = await uow.users.get(officer.id)
    assert stored is not None and stored.display_name == "Cán bộ Sơn"


async def test_a_nominator_who_objects_is_not_contacted_about_that_case_only(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1509, "Thu"), api.user(1510, "Cán bộ Uyên")
    other = api.user(1511, "Vy")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    quiet = await nominate(resident)
    told = await nominate(other, name="Lê Thị Hoa")

    view = await say(resident, f"/status {quiet}")
    assert ["🔕 Không liên hệ tôi về đề cử này nữa"] in view.buttons
    await other.send_callback(
        next(d for row in view.callback_data for d in row if d and ":quiet:" in d),
        other.messages[-1],
    )
    assert "không còn hiệu lực" in (await other.next_message()).text
    async with bot.runtime.uow() as uow:
        untouched = await uow.nominations.get_by_code(TrackingCode(quiet))
    assert untouched is not None and untouched.contact_stopped_at is None
    stopped = await press(resident, "🔕 Không liên hệ tôi về đề cử này nữa")
    assert f"không ai liên hệ hay nhắn tin cho Anh/Chị về đề cử {quiet}" in stopped.text
    again = await say(resident, f"/status {quiet}")
    assert "Anh/Chị đã đề nghị không liên hệ về đề cử này" in again.text
    heard = len(resident.all_messages)

    await say(officer, f"/status {quiet}")
    card = await press(officer, "🔍 Tiếp nhận, xác minh")
    assert not any("Yêu cầu bổ sung" in label for row in card.buttons for label in row)
    assert len(resident.all_messages) == heard, "no notice about the quiet case"
    await say(officer, f"/status {told}")
    await press(officer, "🔍 Tiếp nhận, xác minh")
    notice = await other.next_message()
    assert told in notice.text, "the other case is told as before"

    async with bot.runtime.uow() as uow:
        actor = await actor_for(uow, officer.id, clock().date())
        case = await uow.nominations.get_by_code(TrackingCode(quiet))
        assert case is not None and case.id is not None and case.contact_stopped_at == clock()
        with pytest.raises(ContactStoppedError):
            await act(uow, actor, case.id, Action.ASK_INFO, now=clock(), public_note="Ảnh?")


async def test_the_updates_of_someone_who_has_not_agreed_are_not_kept_once_processed(
    api: LocalBotApi, bot: RunningBot
) -> None:
    stranger, resident = api.user(1512, "Lạ Mặt Xuân"), api.user(1513, "Đồng Ý")
    await stranger.send_command("/start")
    await stranger.wait_for_messages(2)
    await say(stranger, "Tôi tên là Lạ Mặt Xuân, nhà ở số 5 Hàng Bạc")
    await agree_and_start(resident)

    async with bot.runtime.uow() as uow:
        kept = await uow.inbound.waiting(limit=10)
    assert kept == [], "nothing waits"
    engine = create_async_engine(bot.runtime.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.exec_driver_sql("SELECT payload FROM inbound_updates")).all()
    finally:
        await engine.dispose()
    decoded = (json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in rows)
    payloads = " ".join(json.dumps(payload, ensure_ascii=False) for payload in decoded)
    assert "Lạ Mặt" not in payloads and "Hàng Bạc" not in payloads
    assert "Đồng Ý" in payloads, "an agreed resident's updates stay until the purge"


async def test_a_withdraw_button_replayed_after_agreeing_again_withdraws_nothing(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user = api.user(1514, "Yên")
    await agree_and_start(user)
    asked = await say(user, "/rutdongy")
    old = next(d for row in asked.callback_data for d in row if d and ":yes" in d)
    await press(user, "✅ Rút lại đồng ý")
    clock.now += timedelta(minutes=5)
    await agree_and_start(user)

    await user.send_callback(old, asked)
    assert "không còn hiệu lực" in (await user.next_message()).text

    async with bot.runtime.uow() as uow:
        consent = await uow.consents.latest(user.id, ConsentPurpose.NOMINATION)
    assert consent is not None and consent.withdrawn_at is None
