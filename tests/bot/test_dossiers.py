"""Dossiers in chat, on today's ward plan: a case goes to the council under a form of commendation
only once its checklist is complete, and its nominator never sees or files the dossier."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.plans import TODAY_PLAN
from core.codes import TrackingCode
from core.dossiers import attach_document, choose_award_form
from core.nomination import Evidence, EvidenceKind
from core.review import actor_for, grant_role
from core.roles import Actor, Role
from tests.bot.conftest import FakeClock, RunningBot, StartBot
from tests.bot.flows import agree_and_start, fill_nomination, press, say

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
WARD = "phuong-hoan-kiem"
SUDDEN = "Giấy khen đột xuất (thủ tục đơn giản)"
CITY = "Bằng khen của Chủ tịch UBND Thành phố"
STALE = "Nút này không còn hiệu lực"


@pytest.fixture
async def ward_bot(start_bot: StartBot) -> AsyncIterator[RunningBot]:
    """The bot on today's ward plan, whose award forms have checklists."""
    async with start_bot(plan_file=TODAY_PLAN) as (application, runtime):
        yield RunningBot(application, runtime)


async def _grant(
    bot: RunningBot, clock: FakeClock, user: SimUser, role: Role, unit: str | None = None
) -> None:
    async with bot.runtime.uow() as uow:
        await grant_role(
            uow, Actor.operator(), user_id=user.id, role=role, unit_key=unit, now=clock()
        )
        await uow.commit()


async def _nominate(user: SimUser) -> str:
    await agree_and_start(user)
    await fill_nomination(user, name="Nguyễn Văn Bình", ward="hoan kiem")
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


def _data(message: object, action: str) -> str:
    """Return the (signed) data of the button whose data names ``action``."""
    rows = message.callback_data  # type: ignore[attr-defined]
    return next(data for row in rows for data in row if data and f":{action}:" in data)


async def test_an_officer_proposes_under_the_simplified_form_once_its_summary_is_attached(
    api: LocalBotApi, ward_bot: RunningBot, clock: FakeClock
) -> None:
    resident = api.user(40_001, "Lan")
    officer, secretary = api.user(40_002, "Cán bộ Minh"), api.user(40_003, "Thư ký Thảo")
    await _grant(ward_bot, clock, officer, Role.OFFICER, WARD)
    await _grant(ward_bot, clock, secretary, Role.SECRETARIAT)
    code = await _nominate(resident)

    card = await say(officer, f"/status {code}")
    assert "Chưa chọn hình thức khen thưởng." in card.text
    await press(officer, "🔍 Tiếp nhận, xác minh")
    await resident.next_message()

    asked = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert "chọn hình thức khen thưởng đề xuất" in asked.text
    forms = [row[0] for row in asked.buttons]
    assert SUDDEN in forms and "Giấy khen của Chủ tịch UBND phường" in forms
    assert CITY not in forms  # the standing office's to propose
    refused = await press(officer, SUDDEN)
    assert "chưa đủ giấy tờ" in refused.text and "⬜ Tóm tắt thành tích" in refused.text
    assert f"Hình thức: {SUDDEN}" in refused.text
    assert "⚙️ Tờ trình đề nghị khen thưởng · hệ thống tự lập" in refused.text
    assert "Đang xác minh" in refused.text

    items = await press(officer, "📎 Nộp giấy tờ hồ sơ")
    assert items.buttons[0] == ["⬜ Tóm tắt thành tích"]
    await press(officer, "⬜ Tóm tắt thành tích")
    await officer.send_document("ghi-chu.txt", "text/plain")
    wrong = await officer.next_message()
    assert "chỉ nhận tệp PDF, DOCX hoặc ảnh chụp" in wrong.text
    await officer.send_document("tom-tat-thanh-tich.pdf", file_size=100_000)
    confirm = await officer.next_message()
    assert "tom-tat-thanh-tich.pdf (98 KB)" in confirm.text
    filed = await press(officer, "✅ Xác nhận")
    assert "Đã nộp “tom-tat-thanh-tich.pdf” vào mục “Tóm tắt thành tích”" in filed.text
    assert "✅ Tóm tắt thành tích" in filed.text and "⬜" not in filed.text
    assert "tom-tat-thanh-tich.pdf (98 KB)" in filed.text

    again = await press(officer, "📤 Đề xuất lên Hội đồng")
    assert again.buttons[0] == [f"✔️ {SUDDEN}"]
    proposed = await press(officer, f"✔️ {SUDDEN}")
    assert "Đã đề xuất lên Hội đồng" in proposed.text
    notice = await resident.next_message()
    assert "đề xuất lên Hội đồng" in notice.text and "tom-tat" not in notice.text

    await say(secretary, f"/status {code}")
    await press(secretary, "🏛 Đưa ra Hội đồng xét")
    await resident.next_message()
    decision = await press(secretary, "🏅 Khen thưởng")
    assert f"Hình thức đơn vị đề xuất: {SUDDEN}." in decision.text
    offered = [row[0] for row in decision.buttons]
    assert offered[0] == f"✔️ {SUDDEN}" and CITY in offered
    await press(secretary, f"✔️ {SUDDEN}")
    await say(secretary, "12/QĐ-UBND")
    await say(secretary, "19/11/2026")
    commended = await resident.next_message()
    assert "Chúc mừng" in commended.text and SUDDEN in commended.text
    async with ward_bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        history = await uow.audit.history(case.id)
    assert case.award_form_key == "khen-thuong-dot-xuat"
    decided = [e.data.get("award_form_key") for e in history if e.action in ("propose", "commend")]
    assert decided == ["khen-thuong-dot-xuat", "khen-thuong-dot-xuat"]
    assert not [c for c in api.calls if not c.ok and c.method != "getUpdates"]


async def test_the_nominator_neither_sees_nor_files_the_dossier_whatever_button_they_press(
    api: LocalBotApi, ward_bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(40_011, "Hồng"), api.user(40_012, "Cán bộ Minh")
    await _grant(ward_bot, clock, officer, Role.OFFICER, WARD)
    code = await _nominate(resident)
    async with ward_bot.runtime.uow() as uow:
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        actor = await actor_for(uow, officer.id, ward_bot.runtime.today())
        await choose_award_form(uow, actor, case.id, "khen-thuong-dot-xuat")
        summary = Evidence(
            EvidenceKind.DOCUMENT, "dossier-file", "dossier-u", "bien-ban-noi-bo.pdf", 9_000
        )
        await attach_document(uow, actor, case.id, "tom-tat-thanh-tich", summary, now=clock())
        await uow.commit()
    card = await say(officer, f"/status {code}")
    assert "bien-ban-noi-bo.pdf (9 KB)" in card.text
    attach, files = _data(card, "start"), _data(card, "files")

    # Pressed in the resident's chat, the officer's buttons are no buttons of the bot's.
    for data in (attach, files):
        await resident.send_callback(data, resident.last_message)
        assert STALE in (await resident.next_message()).text
    # Signed for the resident's chat (leaked, say), core still refuses them the dossier.
    buttons = ward_bot.runtime.buttons
    signed = buttons.sign(resident.chat_id, f"ds:0:start:{case.id}")
    await resident.send_callback(signed, resident.last_message)
    refused = await resident.next_message()
    assert "không mở được hồ sơ" in refused.text
    # Their own case's files: theirs are re-sent (none here), the dossier's never.
    signed = buttons.sign(resident.chat_id, f"k:0:files:{case.id}")
    await resident.send_callback(signed, resident.last_message)
    view = await say(resident, f"/status {code}")
    assert code in view.text and "bien-ban-noi-bo" not in view.text
    sent_to_resident = [
        call
        for call in api.calls_for("sendDocument")
        if call.params.get("chat_id") == resident.chat_id
    ]
    assert sent_to_resident == []
    async with ward_bot.runtime.uow() as uow:
        assert len(await uow.dossiers.of_case(case.id)) == 1
        assert await uow.dialogs.get(resident.chat_id) is None
