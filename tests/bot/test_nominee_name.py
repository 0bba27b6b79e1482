"""The nominee's name: a sentence is questioned once, a name without accents offered them."""

from __future__ import annotations

from bot.local_api import LocalBotApi
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED, agree_and_start, press, say

SENTENCE = "Anh Bình ở tổ 5 đã giúp cụ bà qua đường rồi đưa cụ về nhà."


async def test_a_name_without_accents_is_offered_its_written_form_in_one_tap(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7201, "Hằng")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    offer = await say(user, "nguyen van binh")
    assert "Có phải là Nguyễn Văn Bình không?" in offer.text
    assert offer.buttons[:2] == [["✅ Nguyễn Văn Bình"], ["Giữ như đã gõ: nguyen van binh"]]
    role = await press(user, "✅ Nguyễn Văn Bình")
    assert "Bước 3/10" in role.text
    await press(user, "Người dân")
    await say(user, DEED)
    await press(user, "Hôm qua")
    await say(user, "hoan kiem")
    async with bot.runtime.uow() as uow:
        dialog = await uow.dialogs.get(user.chat_id)
    assert dialog is not None and dialog.data["draft"]["nominee_name"] == "Nguyễn Văn Bình"


async def test_the_typed_form_can_be_kept_and_a_name_with_accents_is_not_questioned(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7202, "Lộc")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    await say(user, "tran thi hoa")
    role = await press(user, "Giữ như đã gõ: tran thi hoa")
    assert "Bước 3/10" in role.text
    back = await press(user, "⬅️ Quay lại")
    assert "họ và tên" in back.text
    role = await say(user, "Trần Thị Hoa")  # accents typed: no question
    assert "Bước 3/10" in role.text
    back = await press(user, "⬅️ Quay lại")
    again = await say(user, "xyzzy plugh")  # no written form known: taken as typed
    assert "Bước 3/10" in again.text


async def test_a_sentence_typed_as_the_name_is_questioned_once(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7203, "Vinh")
    await agree_and_start(user)
    await press(user, "👤 Cá nhân")
    question = await say(user, SENTENCE)
    assert "Đây có phải họ tên không?" in question.text and SENTENCE in question.text
    assert question.buttons[0] == ["✅ Đúng, giữ nguyên", "✏️ Nhập lại"]
    retype = await press(user, "✏️ Nhập lại")
    assert "Bước 2/10" in retype.text and "họ và tên" in retype.text
    assert "Đây có phải" not in retype.text
    role = await say(user, "Lê Văn Bình")
    assert "Bước 3/10" in role.text

    await press(user, "⬅️ Quay lại")
    await say(user, "Ông Tư bán vé số.")  # a period: a sentence
    role = await press(user, "✅ Đúng, giữ nguyên")
    assert "Bước 3/10" in role.text
    await press(user, "⬅️ Quay lại")
    asked = await say(user, SENTENCE)
    assert "Đây có phải họ tên không?" in asked.text
    taken = await say(user, SENTENCE)  # typed again as it was: the resident insists
    assert "Bước 3/10" in taken.text


async def test_a_collectives_name_is_offered_no_accents_but_a_sentence_is_asked_about(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(7204, "Sáu", language_code="vi")
    await agree_and_start(user)
    await press(user, "👥 Tập thể")
    deed = await say(user, "to dan pho so 5")
    assert "Bước 3/9" in deed.text
    await press(user, "⬅️ Quay lại")
    asked = await say(user, "Tổ dân phố số 5 phường Hàng Bạc đã cùng nhau dọn rác.")
    assert "Đây có phải tên tập thể không?" in asked.text
