"""``/xoadulieu``: a resident erases their data; what the council's record needs stays, nameless.

The end-to-end test walks the whole of a resident's rights through the real PTB stack:
nominate, get the copy of their data, withdraw consent, erase; then searches every row of
every table, and on SQLite the bytes of the database file and its write-ahead log, for the
phone, the name, the Telegram id and a word of the deed.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from sqlalchemy import Table, select, text
from sqlalchemy.engine import make_url

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from bot.privacy_cli import erasure_lines
from core.codes import TrackingCode
from core.people import ERASED_PERSON
from core.review import act, actor_for
from core.roles import Role
from core.workflow import Action
from storage.tables import Base
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, answer_steps, leave, press, say, say_and_leave
from tests.security.people import HANG_BAC, grant

CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
ERASE = "🗑 Xóa dữ liệu của tôi"
# Telegram ids pass 2**32: SQLite stores this one in 6 bytes.
RESIDENT_ID = 7_311_559_123
NAME = "Trịnh Quỳnh Như Ý"
PHONE = "0912 345 678"
STORED_PHONE = "+84912345678"
WORD = "Khuânvácgiùmbàcụ"
DEED = f"Anh ấy đã {WORD} qua đường ở phố Hàng Bạc, rồi đưa cụ về tận nhà, không nhận tiền."


async def _nominate(user: SimUser) -> str:
    """Consent and file a case with the phone and the deed above; return its code."""
    await agree_and_start(user)
    await answer_steps(user, until="deed")
    await say(user, DEED)
    await press(user, "Hôm qua")
    await say(user, "hoan kiem")
    await leave(user, "Bỏ qua")  # place
    await press(user, "Bỏ qua")  # evidence
    await say_and_leave(user, PHONE)
    await press(user, "Không cần")
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


def _traces(user_id: int) -> dict[str, list[bytes]]:
    """What would betray the person in a database file, each in every form it is stored in."""

    def forms(value: str) -> list[bytes]:
        return [value.encode(), json.dumps(value).strip('"').encode()]

    return {
        "phone": [STORED_PHONE.encode(), b"912345678"],
        "name": forms(NAME),
        "telegram id": [str(user_id).encode(), user_id.to_bytes(6, "big")],
        "deed": forms(WORD),
    }


async def _rows_holding(bot: RunningBot, needle: str) -> list[str]:
    """Return ``table: row`` for every row of every table whose text holds ``needle``."""
    found = []
    async with bot.runtime.uow() as uow:
        for table in Base.metadata.sorted_tables:
            assert isinstance(table, Table)
            for row in (await uow.session.execute(select(table))).all():
                if needle in json.dumps([str(value) for value in row], ensure_ascii=False):
                    found.append(f"{table.name}: {tuple(row)}")
    return found


async def _rows_left(bot: RunningBot, needle: str) -> list[str]:
    """Return :func:`_rows_holding` once the answer to the erasure has left, or after 5 s.

    The answer names the chat it goes to, and its outbox row is deleted once Telegram took
    it: the resident may read it a moment before the sender has written that it went.
    """
    for _ in range(100):
        found = await _rows_holding(bot, needle)
        if not any(row.startswith("outbox: ") for row in found):
            return found
        await asyncio.sleep(0.05)
    return found


def _files_holding(bot: RunningBot, needles: list[bytes]) -> list[str]:
    """Return the SQLite files (the database, its WAL) whose bytes hold any of ``needles``."""
    database = make_url(bot.runtime.settings.database_url).database
    assert database is not None
    files = [Path(database), Path(database + "-wal")]
    return [
        f"{path.name} holds {needle!r}"
        for path in files
        if path.exists()
        for needle in needles
        if needle in path.read_bytes()
    ]


def _on_sqlite(bot: RunningBot) -> bool:
    return bot.runtime.settings.database_url.startswith("sqlite")


async def test_a_resident_sees_withdraws_and_erases_and_nothing_of_them_is_left(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user, office = api.user(RESIDENT_ID, NAME), api.user(1601, "Văn phòng Hà")
    await grant(bot, clock, office, Role.SECRETARIAT)
    code = await _nominate(user)
    await say(user, "/subscribe hoan kiem")
    await say(user, "/yeucau")
    await press(user, "Sửa thông tin đề cử đã có quyết định")
    filed = await say(user, f"Xin sửa lời kể: {WORD} là việc của em tôi.")
    assert "Đã nhận yêu cầu số" in filed.text
    told = await office.next_message()
    assert WORD in told.text, "the office was sent the request's words"
    await say(user, "/dulieu")
    await user.press("📦 Nhận bản sao đầy đủ")
    copies = await user.wait_for_messages(2)
    assert {message.raw["document"]["file_name"].rsplit(".")[-1] for message in copies} == {
        "json",
        "html",
    }
    await say(user, "/rutdongy")
    await press(user, "✅ Rút lại đồng ý")

    asked = await say(user, "/xoadulieu")
    assert code in asked.text and "Sẽ xóa hẳn" in asked.text
    assert "Được giữ lại" not in asked.text, "a case being verified is erased"
    assert asked.buttons == [[ERASE, "Giữ nguyên"]]
    done = await press(user, ERASE)
    assert "Đã xóa dữ liệu của Anh/Chị" in done.text
    # PostgreSQL's sequences go on across the tests of a session: the number is read.
    number = re.search(r"Số biên nhận: (\d+)", done.text)
    assert number is not None, done.text

    async with bot.runtime.uow() as uow:
        assert await uow.nominations.get_by_code(TrackingCode(code)) is None
        assert await uow.users.get(user.id) is None
        receipt = (
            await uow.session.execute(text("SELECT summary, id FROM erasure_receipts"))
        ).one()
    assert receipt[1] == int(number.group(1)), "the receipt's number is the stored one's"
    summary = receipt[0] if isinstance(receipt[0], dict) else json.loads(receipt[0])
    assert summary["cases_erased"] == 1 and summary["cases_kept"] == []
    assert summary["requests"] == 1 and summary["subscriptions"] == 1, "the ended one too"
    for what, needle in [
        ("phone", "912345678"),
        ("name", NAME),
        ("telegram id", str(user.id)),
        ("deed", WORD),
    ]:
        assert await _rows_left(bot, needle) == [], what
    if _on_sqlite(bot):
        traces = _traces(user.id)
        left = _files_holding(bot, [form for forms in traces.values() for form in forms])
        assert left == [], left


async def test_a_case_before_the_council_is_kept_without_its_nominator(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    user, officer = api.user(RESIDENT_ID, NAME), api.user(1602, "Cán bộ Tâm")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    code = await _nominate(user)
    card = await say(officer, f"/status {code}")
    assert STORED_PHONE in card.text, "the officer was sent the phone"
    async with bot.runtime.uow() as uow:
        actor = await actor_for(uow, officer.id, clock().date())
        case = await uow.nominations.get_by_code(TrackingCode(code))
        assert case is not None and case.id is not None
        await act(uow, actor, case.id, Action.VERIFY, now=clock())
        await act(uow, actor, case.id, Action.PROPOSE, now=clock())
        await uow.commit()

    asked = await say(user, "/xoadulieu")
    assert "Được giữ lại" in asked.text and code in asked.text
    done = await press(user, ERASE)
    assert code in done.text, "the receipt names the kept case"

    async with bot.runtime.uow() as uow:
        kept = await uow.nominations.get_by_code(TrackingCode(code))
        assert kept is not None and kept.id is not None
        history = await uow.audit.history(kept.id)
    assert kept.nominator.user_id == ERASED_PERSON and kept.nominator.erased
    assert kept.nominator.phone is None and kept.contact_stopped_at is not None
    assert WORD in kept.deed, "the deed is the council's record"
    assert all(entry.actor_id != user.id for entry in history)
    shown = await say(officer, f"/status {code}")
    assert "đã xóa dữ liệu theo yêu cầu" in shown.text and STORED_PHONE not in shown.text
    proof = await erasure_lines(bot.runtime.settings, limit=5)
    assert len(proof) == 2 and f"kept: {code}" in proof[1], proof
    assert str(user.id) not in "\n".join(proof) and NAME not in "\n".join(proof)
    for needle in ("912345678", NAME, str(user.id)):
        assert await _rows_holding(bot, needle) == [], needle
    if _on_sqlite(bot):
        traces = _traces(user.id)
        gone = [form for what in ("phone", "name", "telegram id") for form in traces[what]]
        assert _files_holding(bot, gone) == []
        assert _files_holding(bot, traces["deed"]), "the kept deed is still there"


async def test_a_confirmation_pressed_after_the_data_changed_erases_nothing(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(1603, "Vân")
    await agree_and_start(user)
    asked = await say(user, "/xoadulieu")
    await say(user, "/subscribe hoan kiem")

    again = await user.press_on_for_reply(asked, ERASE)  # asked again in its place
    assert again.message_id == asked.message_id
    assert "vừa thay đổi, chưa có gì bị xóa" in again.text
    assert "1 đăng ký nhận tin" in again.text
    async with bot.runtime.uow() as uow:
        assert await uow.users.get(user.id) is not None
        assert await uow.subscriptions.active_of(user.id) != []


async def test_keeping_erases_nothing_and_an_officer_is_refused(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1604, "Xuân"), api.user(1605, "Cán bộ Yến")
    await agree_and_start(resident)
    await say(resident, "/xoadulieu")
    kept = await press(resident, "Giữ nguyên")
    assert "được giữ nguyên" in kept.text
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    refused = await say(officer, "/xoadulieu")
    assert "thu hồi vai trò" in refused.text and not refused.buttons
    async with bot.runtime.uow() as uow:
        for person in (resident, officer):
            assert await uow.users.get(person.id) is not None


async def test_a_copied_erase_button_erases_nobody(api: LocalBotApi, bot: RunningBot) -> None:
    owner, other = api.user(1606, "Ánh"), api.user(1607, "Bảo")
    await agree_and_start(owner)
    await agree_and_start(other)
    asked = await say(owner, "/xoadulieu")
    data = next(d for row in asked.callback_data for d in row if d)

    await other.send_callback(data, other.messages[-1])
    refused = await other.next_message()

    assert "không còn hiệu lực" in refused.text
    async with bot.runtime.uow() as uow:
        for person in (owner, other):
            assert await uow.users.get(person.id) is not None
