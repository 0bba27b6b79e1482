"""``/dulieu``: a resident sees what the bot holds about them and gets it all as files.

Through the real PTB stack and the local Bot API, on SQLite and PostgreSQL: the groups of
the message, the JSON and HTML copies made when they are sent (the outbox holds only a
reference, so a restart still sends them and nothing of the data is stored twice), the
evidence sent again, and nobody else's button giving anything.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.personal_copy import CopyReference
from core.outbox import OutboxStatus, OutgoingMessage
from core.people import PRIVACY_NOTICE_VERSION
from core.personal_data import CopyFormat
from core.roles import Role
from storage.tables import OutboxRow
from tests.bot.conftest import NOW, FakeClock, RunningBot, StartBot
from tests.bot.flows import (
    agree_and_start,
    answer_steps,
    fill_nomination,
    press,
    say,
    say_and_leave,
)
from tests.security.people import CODE, HANG_BAC, grant
from tests.security.test_buttons import STALE, signed

NOMINEE = "Nguyễn Văn Bình"
SUPPORTED = "Lê Thị Hoa"
PHONE = "+84912345678"
QUESTION = "Hồ sơ đề cử cần những giấy tờ gì ạ?"
COPY = "📦 Nhận bản sao đầy đủ"
FILES = "🖼 Gửi lại ảnh, tài liệu của tôi"


async def _submitted(user: SimUser) -> str:
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def _nominates_with_phone_and_photo(user: SimUser) -> tuple[str, str]:
    """Consent, nominate with a photo and a phone; return the code and the photo's file id."""
    await agree_and_start(user)
    await answer_steps(user, "evidence", name=NOMINEE)
    sent = await user.send_photo(file_size=300_000)
    await user.next_message()
    await press(user, "✅ Xong")
    await say_and_leave(user, "0912 345 678")
    summary = await press(user, "Không cần")
    assert PHONE in summary.text
    return await _submitted(user), str(sent["photo"][-1]["file_id"])


async def _copies(
    api: LocalBotApi, user: SimUser, label: str = COPY
) -> dict[str, tuple[BotMessage, bytes]]:
    """Press “📦”, wait for the two documents; return each by its extension, with its bytes."""
    await user.press(label)
    found = {}
    for message in await user.wait_for_messages(2):
        document: dict[str, Any] = message.raw["document"]
        content = api.state.files[document["file_id"]].content
        assert content is not None
        found[document["file_name"].rsplit(".", 1)[1]] = (message, content)
    return found


async def _outbox_documents(bot: RunningBot, chat_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Return the status and parameters of the documents queued for the chat."""
    async with bot.runtime.uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = await session.execute(
            select(OutboxRow.status, OutboxRow.params).where(
                OutboxRow.chat_id == chat_id, OutboxRow.method == "sendDocument"
            )
        )
        return [(status, params) for status, params in rows]


async def test_a_resident_sees_each_group_and_gets_the_full_copy_and_their_files_again(
    api: LocalBotApi, bot: RunningBot
) -> None:
    other, mai = api.user(1401, "Quyên"), api.user(1402, "Mai")
    await agree_and_start(other)
    await fill_nomination(other, name=SUPPORTED)
    supported = await _submitted(other)
    code, photo = await _nominates_with_phone_and_photo(mai)
    await say(mai, "/nominate")
    await fill_nomination(mai, name="le thi hoa")
    await press(mai, "✅ Gửi")  # the same deed: offered to support it
    await press(mai, f"🤝 Cùng đề cử {supported}")
    await say(mai, "/subscribe hoan kiem")
    await say(mai, "/lienhe")
    asked = re.search(r"câu hỏi số (\d+)", (await say(mai, QUESTION)).text)
    assert asked is not None

    shown = await say(mai, "/dulieu")

    text = shown.text
    for group in (
        "Tài khoản",
        "Đồng ý cho xử lý dữ liệu cá nhân",
        "Đề cử Anh/Chị đã gửi",
        "Đề cử Anh/Chị cùng đề cử",
        "Các đăng ký nhận thông báo của Anh/Chị",
        "Câu hỏi gửi Văn phòng thường trực",
    ):
        assert group in text, group
    assert "Tên hiển thị (theo Telegram): Mai" in text and f"Mã Telegram: {mai.id}" in text
    assert f"phiên bản thông báo {PRIVACY_NOTICE_VERSION}" in text
    assert re.search(
        rf"{code} · {NOMINEE} · Đã tiếp nhận · \d\d/\d\d/\d{{4}} · SĐT {re.escape(PHONE)}", text
    )
    assert f"{supported} · {SUPPORTED}" in text
    assert "Phường Hoàn Kiếm" in text
    assert f"Số {asked.group(1)} · " in text and "Chưa trả lời" in text and QUESTION in text
    assert shown.buttons == [[COPY], [FILES], ["✏️ Sửa"]]

    copies = await _copies(api, mai)

    assert set(copies) == {"json", "html"}
    caption, content = copies["json"]
    assert "JSON" in caption.text
    data = json.loads(content)
    assert data["account"]["telegram_id"] == mai.id
    (filed,) = data["nominations"]
    assert filed["code"] == code and filed["nominee"]["name"] == NOMINEE
    assert filed["phone"] == PHONE
    assert [item["file_id"] for item in filed["evidence"]] == [photo]
    assert data["consents"][0]["notice_version"] == PRIVACY_NOTICE_VERSION
    assert data["consents"][0]["given_at"].startswith("2026-11-20T02:00")
    assert data["supported_nominations"][0]["code"] == supported
    assert data["inquiries"][0]["question"] == QUESTION
    assert "Quyên" not in content.decode(), "nothing about the other nominator"
    page = copies["html"][1].decode("utf-8")
    assert '<meta charset="utf-8">' in page
    for wanted in (code, NOMINEE, PHONE, supported, QUESTION, "Đề cử Anh/Chị đã gửi"):
        assert wanted in page, wanted
    assert f"phiên bản thông báo {PRIVACY_NOTICE_VERSION}" in page
    assert "Ảnh 1 (293 KB)" in page, "a photo is listed by name"

    await api.wait_until_idle(timeout=5)
    rows = await _outbox_documents(bot, mai.id)
    assert [status for status, _params in rows] == [OutboxStatus.SENT.value] * 2
    stored = json.dumps([params for _status, params in rows], ensure_ascii=False)
    for personal in (PHONE, NOMINEE, QUESTION):
        assert personal not in stored, "the outbox holds a reference, not the copy"

    again = await press(mai, FILES)
    assert "Hệ thống gửi lại 1 ảnh, tài liệu" in again.text
    resent = await mai.next_message()
    assert resent.kind == "photo" and resent.raw["photo"][-1]["file_id"] == photo


async def test_another_residents_forged_or_forwarded_copy_button_gives_nothing(
    api: LocalBotApi, bot: RunningBot
) -> None:
    victim, other = api.user(1411, "Chủ dữ liệu"), api.user(1412, "Người khác")
    code, _photo = await _nominates_with_phone_and_photo(victim)
    shown = await say(victim, "/dulieu")
    victims_copy = next(d for row in shown.callback_data for d in row if d and ":copy" in d)
    await agree_and_start(other)
    await other.send_command("/cancel")
    notice = await other.next_message()

    for data in (victims_copy, "pd:0:copy", "pd:0:files", "pd:1:copy:1411"):
        await other.send_callback(data, notice)
        refused = await other.next_message()
        assert STALE in refused.text, (data, refused.text)
        assert code not in refused.text and PHONE not in refused.text
    await api.wait_until_idle(timeout=5)
    assert not [m for m in other.messages if m.kind != "text"], "no document, no photo"
    assert await _outbox_documents(bot, other.id) == []

    await other.send_callback(signed(bot, other, "pd:0:copy"), notice)
    own = await other.wait_for_messages(2)
    content = api.state.files[own[0].raw["document"]["file_id"]].content or b""
    assert str(other.id).encode() in content
    assert code.encode() not in content and PHONE.encode() not in content


async def test_who_opened_my_case_is_told_by_role_and_a_withdrawn_consent_by_its_date(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1451, "Hằng"), api.user(1452, "Cán bộ Phạm Minh")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code, _photo = await _nominates_with_phone_and_photo(resident)
    before = await say(resident, "/dulieu")
    assert "Ngoài Anh/Chị, chưa ai mở đề cử của Anh/Chị." in before.text

    await say(officer, f"/status {code}")
    await say(resident, "/rutdongy")
    await press(resident, "✅ Rút lại đồng ý")
    shown = await say(resident, "/dulieu")

    assert "Ai đã mở đề cử của Anh/Chị</b> (1)" in shown.html
    opened = f"{code} · 20/11/2026 · Cán bộ của Phường Hoàn Kiếm · thông tin hồ sơ"
    assert f"{opened} · thấy số điện thoại của Anh/Chị" in shown.text
    assert "Phạm Minh" not in shown.text and str(officer.id) not in shown.text
    assert f"phiên bản thông báo {PRIVACY_NOTICE_VERSION} · đã rút 20/11/2026" in shown.text
    assert code in shown.text, "after withdrawal the data is still shown to its person"


async def test_before_consent_it_says_what_little_it_keeps_and_offers_no_copy(
    api: LocalBotApi, bot: RunningBot
) -> None:
    stranger = api.user(1421, "Khách", username="khach_hn")
    await say(stranger, "/status NT-0000-0000")  # a code that does not exist: counted

    shown = await say(stranger, "/dulieu")

    assert "chưa đồng ý với thông báo về dữ liệu cá nhân" in shown.text
    assert f"Mã Telegram: {stranger.id}" in shown.text and "Tiếng Việt" in shown.text
    assert "Khách" not in shown.text and "Tên hiển thị" not in shown.text, "no name kept"
    assert "Mã đề cử Anh/Chị tra mà không có (lưu một giờ để chống dò mã): 1 lần" in shown.text
    assert shown.inline_keyboard == []
    pressed = await stranger.send_callback(signed(bot, stranger, "pd:0:copy"), shown)
    assert pressed is not None
    assert STALE in (await stranger.next_message()).text


async def test_an_english_reader_gets_the_view_and_the_copy_in_english(
    api: LocalBotApi, bot: RunningBot
) -> None:
    anna = api.user(1431, "Anna", language_code="en")
    await anna.send_command("/start")
    _welcome, notice = await anna.wait_for_messages(2)
    await press(anna, notice.buttons[0][0])
    await say(anna, "/subscribe")
    await press(anna, anna.last_message.buttons[0][0])

    shown = await say(anna, "/mydata")

    assert "Your data the bot holds" in shown.text
    assert "Consents to processing your personal data" in shown.text
    assert "Receiving and handling nominations" in shown.text
    assert "Nominations you filed" in shown.text and "None." in shown.text
    assert "English (as your Telegram app is set)" in shown.text
    assert shown.buttons == [["📦 Get the full copy"], ["✏️ Change"]]
    copies = await _copies(api, anna, "📦 Get the full copy")
    assert "as JSON" in copies["json"][0].text
    page = copies["html"][1].decode()
    assert "Your data the bot holds" in page and "Dữ liệu" not in page


async def test_a_copy_left_queued_by_a_crash_is_made_and_sent_at_the_next_start(
    api: LocalBotApi, start_bot: StartBot, clock: FakeClock
) -> None:
    lan = api.user(1441, "Lan")
    async with start_bot() as (_application, runtime):
        await agree_and_start(lan)
        await fill_nomination(lan, name=NOMINEE)
        code = CODE.search((await press(lan, "✅ Gửi")).text)
        assert code is not None
        await api.wait_until_idle(timeout=5)
        async with runtime.uow() as uow:  # what a process stopped after the turn leaves
            await uow.outbox.add_many(
                [
                    OutgoingMessage(
                        chat_id,
                        "sendDocument",
                        CopyReference(chat_id, CopyFormat.JSON, "vi").params(caption="📦"),
                        NOW,
                    )
                    for chat_id in (lan.id, 1449)  # 1449: a chat the bot knows nothing about
                ],
                taken_by=None,
                at=clock(),
            )
            await uow.commit()

    async with start_bot() as (_application, runtime):
        (document,) = await lan.wait_for_messages(1)
        await api.wait_until_idle(timeout=5)
        async with runtime.uow() as uow:
            session = uow.session  # type: ignore[attr-defined]
            gone = (
                await session.execute(
                    select(OutboxRow.status, OutboxRow.failure).where(OutboxRow.chat_id == 1449)
                )
            ).one()

    content = api.state.files[document.raw["document"]["file_id"]].content or b""
    assert json.loads(content)["nominations"][0]["code"] == code.group(0)
    assert tuple(gone) == ("failed", "gone")
