"""The access log: every opening of a case by someone else is written, and the office reads it.

An officer opening the card (which shows the nominator's phone to them) and its files each
leave one line; the nominator reading their own case leaves none; only the standing office
reads the log, and a code it does not know gets the usual refusal.
"""

from __future__ import annotations

from bot.local_api import LocalBotApi
from bot.local_api.users import SimUser
from core.roles import Role
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start, answer_steps, press, say, say_and_leave
from tests.security.people import CODE, HANG_BAC, grant


async def _file_with_phone(user: SimUser) -> str:
    await agree_and_start(user)
    await answer_steps(user, "phone", name="Trần Văn Dũng")
    await say_and_leave(user, "0912 345 678")
    await press(user, "Không cần")
    done = await press(user, "✅ Gửi")
    found = CODE.search(done.text)
    assert found is not None, done.text
    return found.group(0)


async def test_the_office_reads_who_opened_a_case_and_what_they_saw(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1601, "Vân"), api.user(1602, "Cán bộ Xuân")
    secretary = api.user(1603, "Thư ký Yến")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await grant(bot, clock, secretary, Role.SECRETARIAT)
    code = await _file_with_phone(resident)

    mine = await say(resident, f"/status {code}")
    assert "Trần Văn Dũng" in mine.text
    card = await say(officer, f"/status {code}")
    assert "0912" in card.text.replace(" ", "") or "912345678" in card.text.replace(" ", "")

    log = await say(secretary, f"/truycap {code}")

    assert f"Ai đã mở hồ sơ {code}" in log.text
    lines = [line for line in log.text.splitlines() if "·" in line]
    assert len(lines) == 1, log.text  # the officer's card; not the nominator's own look
    assert (
        "Cán bộ Xuân · thông tin hồ sơ · thấy số điện thoại người đề cử · để xử lý hồ sơ"
        in lines[0]
    )
    assert "Vân" not in log.text


async def test_only_the_office_reads_the_log_and_an_unknown_code_is_refused_plainly(
    api: LocalBotApi, bot: RunningBot, clock: FakeClock
) -> None:
    resident, officer = api.user(1604, "Ánh"), api.user(1605, "Cán bộ Bảo")
    secretary = api.user(1606, "Thư ký Chi")
    await grant(bot, clock, officer, Role.OFFICER, HANG_BAC)
    await grant(bot, clock, secretary, Role.SECRETARIAT)
    code = await _file_with_phone(resident)

    for person in (resident, officer):
        refused = await say(person, f"/truycap {code}")
        assert "Trần Văn Dũng" not in refused.text and "Ai đã mở" not in refused.text
    unknown = await say(secretary, "/truycap NT-ZZZZ-ZZZZ")
    assert "Ai đã mở" not in unknown.text
    empty = await say(secretary, f"/truycap {code}")
    assert "Ngoài người đề cử, chưa ai mở hồ sơ này." in empty.text
    usage = await say(secretary, "/truycap")
    assert "Cách dùng: /truycap" in usage.text
