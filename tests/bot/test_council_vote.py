"""The council's secret ballot in chat: a council of 5, one recusal, the threshold decides."""

from __future__ import annotations

import io
import json

import docx

from bot.conversations.incoming import button_data
from bot.conversations.meeting import BALLOT, vote_tag
from bot.keyboards import SIGNATURE_CHARS
from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.plans import TODAY_PLAN
from bot.runtime import Runtime
from core.council import Choice
from core.people import User
from core.roles import Role
from storage.uow import SqlUnitOfWork
from tests.bot.conftest import FakeClock, StartBot
from tests.bot.flows import press, say
from tests.integration.council import (
    assert_choices_only_counted,
    case_under_review,
    dump,
    grant,
)

# Ids far above any update or row id the test makes: a member's is never taken for another.
OFFICE_ID, RESIDENT_ID = 9_100_001, 9_100_002
MEMBERS = {
    9_100_011: "Ủy viên An",
    9_100_012: "Ủy viên Bình",
    9_100_013: "Ủy viên Chi",
    9_100_014: "Ủy viên Dũng",
    9_100_015: "Ủy viên Hà",
}
M1, M2, M3, M4, M5 = MEMBERS
RECUSE = "🙋 Xin không biểu quyết (tôi là người đề cử, người cùng đề cử, hoặc người thân)"
REASON = "Chưa thấy rõ việc làm vượt trách nhiệm thường ngày."


async def _council(runtime: Runtime, clock: FakeClock) -> tuple[int, int]:
    """Grant the roles, name the members, file two cases; return (M1's case, the resident's)."""
    now = clock()
    async with runtime.uow() as uow:
        await grant(uow, OFFICE_ID, Role.SECRETARIAT, now=now)
        await uow.users.save(User(RESIDENT_ID, "Hoàng Thị Kín", "vi", None, now))
        for member, name in MEMBERS.items():
            await grant(uow, member, Role.COUNCIL_MEMBER, now=now)
            await uow.users.save(User(member, name, "vi", None, now))
        own = await case_under_review(
            uow, nominator=M1, office=OFFICE_ID, name="Trần Thị Mai", now=now
        )
        other = await case_under_review(
            uow,
            nominator=RESIDENT_ID,
            office=OFFICE_ID,
            name="Lê Minh Tuấn",
            now=now,
            anonymous=True,
        )
        await uow.commit()
    return own, other


def _buttons(ballot: BotMessage) -> dict[str, str]:
    """Return a ballot's buttons, label → data, as sent (before a vote takes them away)."""
    return {b["text"]: str(b["callback_data"]) for row in ballot.inline_keyboard for b in row}


def _calls_in(api: LocalBotApi, user: SimUser, before: int) -> list[str]:
    """Return the Bot API calls in ``user``'s chat (and answers to presses) since ``before``."""
    return sorted(
        c.method
        for c in api.calls[before:]
        if c.method == "answerCallbackQuery" or c.params.get("chat_id") == user.chat_id
    )


async def _vote(member: SimUser, ballot: BotMessage, data: str) -> BotMessage:
    await member.send_callback(data, ballot)
    return await member.next_message()


async def test_a_council_of_five_votes_in_secret_and_the_threshold_decides(
    api: LocalBotApi, start_bot: StartBot, clock: FakeClock
) -> None:
    async with start_bot(plan_file=TODAY_PLAN) as (_, runtime):
        own, other = await _council(runtime, clock)
        office, resident = api.user(OFFICE_ID, "Văn phòng"), api.user(RESIDENT_ID, "Kín")
        members = {member: api.user(member, name) for member, name in MEMBERS.items()}

        asked = await say(office, "/hop")
        assert "Ngày họp?" in asked.text
        cases = await press(office, "Hôm nay (20/11/2026)")
        assert any("Trần Thị Mai" in label for row in cases.buttons for label in row)
        who = await press(office, "➡️ Tiếp tục")
        assert "Hội đồng có 5 thành viên" in who.text
        confirm = await press(office, "➡️ Tiếp tục")
        assert "Thành viên dự họp: 5/5" in confirm.text and "từ 50,0%" in confirm.text
        await office.press("✅ Mở phiên bỏ phiếu")
        progress = await office.next_message()
        opened = confirm  # the question pressed says what was opened, the progress below
        assert "gửi 9 phiếu" in opened.text and "0/5 thành viên đã bỏ phiếu" in progress.text

        # M1 filed the first case: core recused them, and sent them that case's reason only.
        recused, m1_ballot = await members[M1].wait_for_messages(2)
        assert "là người đề cử hồ sơ này" in recused.text and not recused.inline_keyboard
        assert "Lê Minh Tuấn" in m1_ballot.text
        # The nominator of the second case asked to stay anonymous: the council never sees who.
        assert "Hoàng Thị Kín" not in m1_ballot.text and "giữ kín danh tính" in m1_ballot.text
        ballots = {M1: {other: m1_ballot}}
        for member in (M2, M3, M4, M5):
            first, second = await members[member].wait_for_messages(2)
            assert "Trần Thị Mai" in first.text and "Lê Minh Tuấn" in second.text
            assert "Ủy viên An" in first.text  # a named nominator is named to the council
            ballots[member] = {own: first, other: second}
        buttons = {m: {c: _buttons(b) for c, b in cases.items()} for m, cases in ballots.items()}

        votes = {  # the first case: 3 for of 5 members (60 %); the second: 2 of 5 (40 %)
            own: {M2: "✅ Đồng ý", M3: "✅ Đồng ý", M4: "✅ Đồng ý", M5: "❌ Không đồng ý"},
            other: {M1: "✅ Đồng ý", M2: "❌ Không đồng ý", M3: "❌ Không đồng ý", M4: "✅ Đồng ý"},
        }
        pressed = []
        for member, label in votes[own].items():
            pressed.append(buttons[member][own][label])
            await api.wait_until_idle(timeout=5)
            before = len(api.calls)
            done = await _vote(members[member], ballots[member][own], pressed[-1])
            assert "Đã ghi nhận phiếu của Anh/Chị" in done.text and "Đồng ý" not in done.text
            await api.wait_until_idle(timeout=5)
            # A vote is no edit of the ballot: its first line would name the choice.
            assert _calls_in(api, members[member], before) == [
                "answerCallbackQuery",
                "editMessageReplyMarkup",
                "sendMessage",
            ]
            assert "Đồng ý" not in ballots[member][own].text
        # A reason, if given, is kept with neither the member nor the vote.
        await press(members[M5], "✍️ Gửi lý do (không bắt buộc)")
        saved = await say(members[M5], REASON)
        assert "Đã ghi nhận ý kiến" in saved.text

        await api.wait_until_idle(timeout=5)
        before = len(api.calls)
        seen = await press(office, "🔄 Xem tiến độ")
        await api.wait_until_idle(timeout=5)
        assert _calls_in(api, office, before) == ["answerCallbackQuery", "editMessageText"]
        assert seen.message_id == progress.message_id, "the progress pressed, brought up to date"
        assert "0/5 thành viên đã bỏ phiếu" in seen.text  # nobody has voted on both yet
        assert "4/4 phiếu" in seen.text and "1 thành viên xin không biểu quyết" in seen.text
        assert not any(name in seen.text for name in MEMBERS.values())

        # A vote is never changed: the same button replayed, or the other one, is refused.
        for label in ("✅ Đồng ý", "❌ Không đồng ý"):
            again = await _vote(members[M2], ballots[M2][own], buttons[M2][own][label])
            assert "Phiếu đã bỏ không thể thay đổi" in again.text

        for member, label in votes[other].items():
            pressed.append(buttons[member][other][label])
            last = await _vote(members[member], ballots[member][other], pressed[-1])
            assert "Đã ghi nhận phiếu" in last.text
        # M5 declares a family tie: a recusal asks why, and it is the last ballot.
        recusal = RECUSE
        await members[M5].send_callback(buttons[M5][other][recusal], ballots[M5][other])
        why = await members[M5].next_message()
        assert "vì lý do nào" in why.text
        recused = await press(members[M5], "Tôi là người thân của người được đề cử")
        assert "xin không biểu quyết hồ sơ" in recused.text

        # The last ballot closed the tally by itself: the results reach the standing office.
        results = await office.next_message()
        assert "Kết quả bỏ phiếu" in results.text
        first, second = results.text.split("Lê Minh Tuấn")
        assert "Đồng ý: 3 · Không đồng ý: 1 · Không biểu quyết: 1" in first
        assert "Tỷ lệ đồng ý: 60,0%" in first and "Đạt tỷ lệ phiếu đồng ý" in first
        assert "Đồng ý: 2 · Không đồng ý: 2 · Không biểu quyết: 1" in second
        assert "(trong đó 1 thành viên xin không biểu quyết)" in second
        assert "Không đạt tỷ lệ phiếu đồng ý" in second
        assert results.buttons == [
            ["🏅 Khen thưởng: Trần Thị Mai"],
            ["➖ Không khen thưởng: Lê Minh Tuấn"],
        ]

        # Nothing stored ties a member to a choice: neither the button each pressed (the
        # ballots left the outbox once sent, the presses' updates forgot what they said) nor
        # a choice in any row naming a voter.
        assert runtime.sender is not None
        await runtime.sender.record()
        async with runtime.uow() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            stored = await dump(uow)
        (meeting,) = stored["meetings"]
        assert_choices_only_counted(
            stored, voters=list(MEMBERS), ids={str(meeting["id"]), str(own), str(other)}
        )
        everything = json.dumps(stored, default=str, ensure_ascii=False)
        (reason,) = stored["meeting_reasons"]
        assert reason["text"] == REASON and everything.count(REASON) == 1
        for data in pressed:  # signed (the whole data) or not (without its signature)
            assert data[:-SIGNATURE_CHARS] not in everything
        for table, rows in stored.items():
            for row in rows:
                written = json.dumps(row, default=str, ensure_ascii=False)
                if any(str(member) in written for member in MEMBERS):
                    assert "đồng ý" not in written.lower(), f"{table}: {written}"

        # After the tally: a forged press (another member's button) and a late one are refused.
        await members[M3].send_callback(pressed[0], members[M3].last_message)
        assert "không còn hiệu lực" in (await members[M3].next_message()).text
        meeting_id = meeting["id"]
        stranger = api.user(9_100_099, "Người ngoài")
        await say(stranger, "/help")
        forged = button_data(
            BALLOT,
            0,
            vote_tag(runtime.buttons, stranger.id, meeting_id, other, Choice.FOR),
            f"{meeting_id}.{other}",
        )
        await stranger.send_callback(
            runtime.buttons.sign(stranger.id, forged), stranger.last_message
        )
        assert "không có tên trong danh sách" in (await stranger.next_message()).text

        # The decisions: a case that did not pass is declined with the vote's reason.
        await office.press_on(results, "➖ Không khen thưởng: Lê Minh Tuấn")
        await office.next_message()
        declined = await press(office, "✅ Xác nhận")
        assert "Đã ghi kết quả “Không khen thưởng”" in declined.text
        told = await resident.next_message()
        assert "Không đạt tỷ lệ phiếu đồng ý" in told.text
        asked = await office.press_on_for_reply(results, "🏅 Khen thưởng: Trần Thị Mai")
        assert asked.message_id == results.message_id, "asked below the results, in place"
        assert "Kết quả bỏ phiếu" in asked.text and "Hình thức khen thưởng?" in asked.text
        await press(office, "✔️ Giấy khen đột xuất (thủ tục đơn giản)")  # the case's own form
        await say(office, "45/QĐ-UBND")
        await say(office, "18/11/2026")

        # The meeting's papers, made as they are sent: read back, they say what was decided.
        coming = await say(office, "/vanban")
        assert "tờ trình, biên bản, dự thảo quyết định" in coming.text
        papers = await office.wait_for_messages(4)
        names = [paper.raw["document"]["file_name"] for paper in papers]
        assert [name.rsplit(".", 1)[-1] for name in names] == ["docx", "docx", "docx", "pdf"]
        texts = [_docx_text(api, paper) for paper in papers[:3]]
        proposal, minutes, decision = texts
        assert "Trần Thị Mai" in proposal and "Lê Minh Tuấn" in proposal
        assert "Hoàng Thị Kín" not in "".join(texts), "the anonymous nominator is never named"
        assert "Trần Thị Mai" in minutes and "60%" in minutes and "Không đạt" in minutes
        assert "45/QĐ-UBND" in decision and "Trần Thị Mai" in decision
        assert "Lê Minh Tuấn" not in decision, "a case the vote did not pass is not commended"
        certificate = api.state.files[papers[3].raw["document"]["file_id"]].content
        assert certificate is not None and certificate.startswith(b"%PDF")
        refused = await say(members[M2], "/vanban")
        assert "dành cho Văn phòng thường trực" in refused.text
    assert not [c for c in api.calls if not c.ok and c.method != "getUpdates"]


def _docx_text(api: LocalBotApi, message: BotMessage) -> str:
    """Return the text of a DOCX the bot sent: every paragraph and table cell."""
    content = api.state.files[message.raw["document"]["file_id"]].content
    assert content is not None
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)
