"""Whatever a resident sends, the bot answers clearly and keeps their draft intact."""

from __future__ import annotations

import asyncio
import re

from bot.local_api import LocalBotApi
from tests.bot.conftest import RunningBot
from tests.bot.flows import (
    DEED,
    agree_and_start,
    answer_steps,
    fill_nomination,
    leave,
    press,
    say,
)


async def test_a_sticker_where_a_name_is_asked_gets_the_question_again(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(601, "Chi")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    await user.send_sticker()
    reply = await user.next_message()
    assert "cần Anh/Chị gõ chữ" in reply.text
    assert "Bước 2/10" in reply.text and "họ và tên" in reply.text


async def test_text_where_a_button_is_expected_is_matched_or_explained(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(602, "Đạt")
    first = await agree_and_start(user)
    assert "Bước 1/10" in first.text
    explained = await say(user, "xin chào")
    assert "chọn một trong các nút" in explained.text and "Bước 1/10" in explained.text
    typed = await say(user, "ca nhan")  # the label typed without diacritics
    assert "Bước 2/10" in typed.text


async def test_a_5000_character_deed_is_refused_with_its_length(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(603, "Vy")
    await agree_and_start(user)
    await answer_steps(user, "deed")
    reply = await say(user, "a" * 5000)
    assert "quá dài" in reply.text or "20 đến 2.000" in reply.text
    assert "Bước 4/10" in reply.text
    short = await say(user, "giúp")
    assert "20 đến 2.000" in short.text


async def test_a_30_mb_document_is_refused_and_a_photo_is_kept(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(604, "Phong")
    await agree_and_start(user)
    ask_evidence = await answer_steps(user, "evidence", ward="hoan kiem")
    assert "ảnh hoặc tài liệu" in ask_evidence.text
    await user.send_document("video.mp4", "video/mp4", 30 * 1024 * 1024)
    too_big = await user.next_message()
    assert "lớn hơn 20 MB" in too_big.text
    await user.send_photo(file_size=800_000)
    received = await user.next_message()
    assert "Đã nhận 1/5 tệp" in received.text
    ask_phone = await press(user, "✅ Xong")
    assert "Số điện thoại" in ask_phone.text
    await leave(user, "Bỏ qua")
    summary = await press(user, "Không cần")
    assert "Ảnh, tài liệu: 1 tệp" in summary.text


async def test_a_name_with_html_is_shown_literally(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(605, "Tín")
    await agree_and_start(user)
    summary = await fill_nomination(user, name="<b>A & B</b>")
    assert "<b>A & B</b>" in summary.text  # shown as typed, not as bold
    assert not [c for c in api.calls if not c.ok and c.method != "getUpdates"]


async def test_phone_and_location_are_read_and_normalised(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(606, "Hải")
    await agree_and_start(user)
    await answer_steps(user, "place", ward="hoan kiem")
    await user.send_location(21.0245, 105.8562)
    await user.wait_for_messages(2)  # the location taken, then the evidence question
    await press(user, "Bỏ qua")
    wrong = await say(user, "12345")
    assert "Số điện thoại chưa đúng" in wrong.text
    await user.send_contact("0912 345 678", own=True)
    taken, _ = await user.wait_for_messages(2)
    assert "+84912345678" in taken.text
    summary = await press(user, "🔒 Có, giữ kín")
    assert "+84912345678" in summary.text
    assert "vị trí đã chia sẻ" in summary.text
    assert re.search(r"Giữ kín danh tính: có", summary.text)


async def test_a_future_date_is_refused(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(607, "Long")
    await agree_and_start(user)
    await answer_steps(user, "date")
    reply = await say(user, "25/12/2026")
    assert "ngày việc tốt đã diễn ra" in reply.text and "Bước 5/10" in reply.text
    ok = await say(user, "2/11")
    assert "Bước 6/10" in ok.text


async def test_a_button_of_an_earlier_step_is_refused_politely(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(608, "Nga")
    await agree_and_start(user)
    ask_name = await press(user, "👤 Cá nhân")
    await say(user, "Tạ Văn Hùng")
    # The name question was answered by typing, so its buttons are still on screen.
    await user.press_on(ask_name, "✖️ Hủy")
    refused = await user.next_message()
    assert "bước đã qua" in refused.text
    assert "Bước 3/10" in refused.text
    assert user.callback_answers[-1].text == "Nút này thuộc một bước đã qua."


async def test_a_forged_button_press_changes_nothing(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(609, "Hiền")
    first = await agree_and_start(user)
    await user.send_callback("n:999:pick:collective", first)
    refused = await user.next_message()
    assert "không còn hiệu lực" in refused.text
    async with bot.runtime.uow() as uow:
        dialog = await uow.dialogs.get(user.chat_id)
    assert dialog is not None and dialog.step == "kind"


async def test_the_same_update_delivered_twice_is_processed_once(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(610, "Thảo")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    await say(user, "Mai Văn Cường")
    replayed = api.updates[-1]
    api.deliver_raw(dict(replayed))
    await api.wait_until_idle(timeout=5)
    user.skip_pending()
    async with bot.runtime.uow() as uow:
        dialog = await uow.dialogs.get(user.chat_id)
    assert dialog is not None and dialog.step == "role"
    texts = [m.text for m in user.messages]
    assert sum("Bước 3/10" in t for t in texts) == 1


async def test_two_residents_interleaving_keep_their_own_drafts(
    api: LocalBotApi, bot: RunningBot
) -> None:
    an, binh = api.user(611, "An"), api.user(612, "Bình")
    await asyncio.gather(agree_and_start(an), agree_and_start(binh))
    await asyncio.gather(press(an, "👤 Cá nhân"), press(binh, "👥 Tập thể"))
    await asyncio.gather(say(an, "Nguyễn Thị An"), say(binh, "Tổ dân phố 7"))
    summaries = await asyncio.gather(
        fill_rest(an, individual=True), fill_rest(binh, individual=False)
    )
    assert "Nguyễn Thị An" in summaries[0].text and "Tổ dân phố 7" not in summaries[0].text
    assert "Tổ dân phố 7" in summaries[1].text and "Nguyễn Thị An" not in summaries[1].text


async def fill_rest(user: object, *, individual: bool) -> object:
    if individual:
        await press(user, "Bỏ qua")  # type: ignore[arg-type]
    await say(user, DEED)  # type: ignore[arg-type]
    await press(user, "Hôm qua")  # type: ignore[arg-type]
    await say(user, "hoan kiem")  # type: ignore[arg-type]
    await leave(user, "Bỏ qua")  # type: ignore[arg-type]
    await press(user, "Bỏ qua")  # type: ignore[arg-type]
    await leave(user, "Bỏ qua")  # type: ignore[arg-type]
    return await press(user, "Không cần")  # type: ignore[arg-type]


async def test_a_burst_of_messages_is_answered_in_order(api: LocalBotApi, bot: RunningBot) -> None:
    user = api.user(613, "Tú")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    for text in ("Hoàng Văn Sơn", "nguoi dan", DEED):
        await user.send_text(text)
    replies = await user.wait_for_messages(3)
    assert [
        "Bước 3/10" in replies[0].text,
        "Bước 4/10" in replies[1].text,
        "Bước 5/10" in replies[2].text,
    ] == [True, True, True]
