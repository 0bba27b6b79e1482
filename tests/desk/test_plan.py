"""The desk's plan side over HTTP: the week's deadlines, broadcasts, the calendar, the quarter.

The clock stands on Monday 26/03/2018 in Hà Nội, inside the demo plan's year (the 2018 plan
of Hoàn Kiếm), so that deadlines fall in the week the overview shows; the test world's cases
and broadcasts are seeded around that day (``tests.desk.world``: broadcast 1 done, 2 being
sent, 3 scheduled for tomorrow).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.desk.routes import SECURITY_HEADERS
from bot.notices import Deadlines, load_deadlines
from core.broadcasts import BroadcastStatus
from core.desk_plan import quarter_of
from core.reporting import mark_done
from core.review import actor_for
from storage.tables import NominationRow
from tests.desk.conftest import Desk
from tests.desk.test_http import sign_in
from tests.desk.world import HANG_BAC, OFFICE, WARD_OFFICER, FakeClock, Sent, seed_broadcast

# Monday 26/03/2018, 09:00 in Hà Nội.
MONDAY = datetime(2018, 3, 26, 2, 0, tzinfo=UTC)
TODAY = date(2018, 3, 26)
CELL = re.compile(r'<td headers="weekday-\d"[^>]*>\s*(.*?)</td>', re.S)
DAY = re.compile(r'<time datetime="([0-9-]+)"')
TASK = re.compile(r"<strong>Nhiệm vụ (\d+)</strong>")
WEEK_ROW = re.compile(r"<th scope=\"row\">(\d+)\. .*?</th>\s*<td class=\"num\">(\d+)/(\d+)</td>")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


async def deadlines_of(desk: Desk) -> Deadlines:
    async with desk.rt.uow() as uow:
        found = await load_deadlines(uow, desk.rt, desk.rt.calendar)
    assert found is not None
    return found


def due_for(
    deadlines: Deadlines, units: set[str] | None, first: date, following: date
) -> dict[date, set[int]]:
    """Return the tasks the units (None: all) lead that fall due each day of [first, following)."""
    due: dict[date, set[int]] = {}
    for obligation in deadlines.obligations:
        key = obligation.key
        if not obligation.lead or (units is not None and key.unit_key not in units):
            continue
        for occurrence in deadlines.occurrences[key]:
            if first <= occurrence.due < following:
                due.setdefault(occurrence.due, set()).add(key.task_number)
    return due


async def mark_done_for(desk: Desk, deadlines: Deadlines, task: int, due: date) -> None:
    key = next(
        o.key
        for o in deadlines.obligations
        if o.lead and o.key.unit_key == HANG_BAC and o.key.task_number == task
    )
    occurrence = next(o for o in deadlines.occurrences[key] if o.due == due)
    async with desk.rt.uow() as uow:
        officer = await actor_for(uow, WARD_OFFICER, desk.rt.today())
        await mark_done(
            uow,
            officer,
            plan_key=deadlines.plan.key,
            task_number=task,
            occurrence=occurrence.occurrence,
            unit_key=HANG_BAC,
            today=TODAY,
            now=desk.clock(),
        )
        await uow.commit()


async def test_the_overview_shows_the_weeks_deadlines_of_ones_units_and_broadcasts_to_the_office(
    desk: Desk,
) -> None:
    deadlines = await deadlines_of(desk)
    week = due_for(deadlines, {HANG_BAC}, TODAY, TODAY + timedelta(days=7))
    assert week, "the demo plan has something due for Hàng Bạc that week"
    due, tasks = min(week.items())
    task = min(tasks)
    await mark_done_for(desk, deadlines, task, due)

    await sign_in(desk, WARD_OFFICER)
    ward = await desk.client.get("/desk/")
    desk.client.cookies.clear()
    await sign_in(desk, OFFICE)
    office = await desk.client.get("/desk/")

    ward_rows = {int(n): (int(done), int(of)) for n, done, of in WEEK_ROW.findall(ward.text)}
    assert set(ward_rows) == set().union(*week.values())
    assert ward_rows[task] == (1, 1)
    assert all(of == 1 for _, of in ward_rows.values())
    every = due_for(deadlines, None, TODAY, TODAY + timedelta(days=7))
    office_rows = {int(n): (int(done), int(of)) for n, done, of in WEEK_ROW.findall(office.text)}
    assert set(office_rows) == set().union(*every.values())
    assert office_rows[task][0] == 1 and office_rows[task][1] > 1
    assert due.strftime("%d/%m/%Y") in ward.text
    # Broadcasts: the office sees those in flight (2 sending, 3 scheduled), not the one done.
    assert "Thông báo đang gửi" in office.text and 'href="/desk/broadcasts"' in office.text
    done, sending, scheduled = desk.seeded.broadcasts
    assert f'href="/desk/broadcasts/{sending}"' in office.text
    assert f'href="/desk/broadcasts/{scheduled}"' in office.text
    assert f'href="/desk/broadcasts/{done}"' not in office.text
    assert "Thông báo đang gửi" not in ward.text and "/desk/broadcasts" not in ward.text


async def test_a_broadcasts_report_counts_each_outcome_by_reason_and_channel_for_the_office(
    desk: Desk,
) -> None:
    first = desk.seeded.broadcasts[0]
    await sign_in(desk, OFFICE)

    listed = await desk.client.get("/desk/broadcasts")
    done = await desk.client.get(f"/desk/broadcasts/{first}")
    csv = await desk.client.get(f"/desk/broadcasts/{first}/failures.csv")
    xlsx = await desk.client.get(f"/desk/broadcasts/{first}/failures.xlsx")
    unknown = await desk.client.get(f"/desk/broadcasts/{first + 999}")
    junk = await desk.client.get("/desk/broadcasts/abc")

    order = [int(n) for n in re.findall(r'href="/desk/broadcasts/(\d+)"', listed.text)]
    assert order == list(reversed(desk.seeded.broadcasts))
    assert "Mời các đơn vị đăng ký thi đua năm nay." in done.text
    assert "<dd>mọi người đăng ký nhận thông báo</dd>" in done.text
    counts = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', done.text))
    assert counts["Đã gửi"] == "3" and counts["Không gửi được"] == "2"
    assert counts["– Người nhận đã chặn hệ thống"] == "1"
    assert counts["– Quá 7 ngày người nhận không nhắn (Zalo)"] == "1"
    assert counts["Chưa gửi"] == "0" and counts["Tổng"] == "5"
    assert "Giờ Hà Nội." in done.text and "09:00 21/03/2018" in done.text  # 120 h before
    channel = r'<th scope="row">(Telegram|Zalo)</th>\s*<td class="num">(\d+)</td>\s*'
    channels = re.findall(channel + r'<td class="num">(\d+)', done.text)
    assert channels == [("Telegram", "3", "1"), ("Zalo", "0", "1")]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Mã cuộc trò chuyện,Kênh,Lý do,Lần gửi cuối"
    assert lines[1] == "8004,Telegram,Người nhận đã chặn hệ thống,21/03/2018"
    assert len(lines) == 3 and ",Zalo,Quá 7 ngày" in lines[2]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.title == "Không gửi được"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == (8004, "Telegram", "Người nhận đã chặn hệ thống")
    assert isinstance(rows[1][3], datetime) and sheet.freeze_panes == "A2"
    assert (unknown.status_code, junk.status_code) == (403, 403)

    desk.client.cookies.clear()
    await sign_in(desk, WARD_OFFICER)
    refused = [
        await desk.client.get(path)
        for path in (
            "/desk/broadcasts",
            f"/desk/broadcasts/{first}",
            f"/desk/broadcasts/{first}/failures.csv",
        )
    ]
    assert [answer.status_code for answer in refused] == [403, 403, 403]
    assert main_of(refused[1].text) == main_of(unknown.text)  # the same page, but the menu
    assert all("Mời các đơn vị" not in answer.text for answer in refused)
    assert all("8004" not in answer.text for answer in refused)


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def calendar_cells(html: str) -> dict[date, tuple[str, set[int]]]:
    """Return each day of the grid's month: the cell's text and the tasks it lists."""
    cells = {}
    for cell in CELL.findall(html):
        day = DAY.search(cell)
        assert day is not None
        cells[date.fromisoformat(day.group(1))] = (cell, {int(n) for n in TASK.findall(cell)})
    return cells


async def test_the_calendar_marks_days_off_and_lists_each_days_deadlines_of_ones_units(
    desk: Desk,
) -> None:
    deadlines = await deadlines_of(desk)
    for path in ("/desk/calendar", "/desk/broadcasts", "/desk/broadcasts/1", "/desk/quarter.xlsx"):
        assert (await desk.client.get(path)).status_code == 401, path
    await sign_in(desk, WARD_OFFICER)

    ward = await desk.client.get("/desk/calendar", params={"month": "2018-04"})
    desk.client.cookies.clear()
    await sign_in(desk, OFFICE)
    office = await desk.client.get("/desk/calendar", params={"month": "2018-04"})
    march = await desk.client.get("/desk/calendar")  # this month: March 2018

    april = (date(2018, 4, 1), date(2018, 5, 1))
    for page, units in ((ward, {HANG_BAC}), (office, None)):
        cells = calendar_cells(page.text)
        assert sorted(cells) == [april[0] + timedelta(days=n) for n in range(30)]
        expected = due_for(deadlines, units, *april)
        assert {day: tasks for day, (_, tasks) in cells.items() if tasks} == expected
    cells = calendar_cells(office.text)
    assert "Giỗ Tổ Hùng Vương" in cells[date(2018, 4, 25)][0]
    assert 'class="off holiday"' in office.text and "Nghỉ cuối tuần" in cells[date(2018, 4, 1)][0]
    assert "<caption>" in office.text and "Thứ Hai</th>" in office.text
    # The grid starts on the Monday before 1 April (a Sunday): six cells outside the month.
    first_row = office.text.split("<tbody>")[1].split("</tr>")[0]
    assert first_row.count('class="outside"') == 6
    assert 'aria-current="date"' in march.text and 'datetime="2018-03-26"' in march.text
    assert "<script" not in office.text
    for name, value in SECURITY_HEADERS.items():
        assert office.headers[name] == value
    assert office.headers["cache-control"] == "no-store"


async def test_the_quarters_workbook_holds_a_sheet_per_section_matching_the_database(
    desk: Desk,
) -> None:
    deadlines = await deadlines_of(desk)
    march = due_for(deadlines, {HANG_BAC}, TODAY, date(2018, 4, 1))  # done early: on time
    due, tasks = min(march.items())
    await mark_done_for(desk, deadlines, min(tasks), due)
    await sign_in(desk, OFFICE)

    compliance = await desk.client.get("/desk/compliance", params={"month": "2018-02"})
    answer = await desk.client.get("/desk/quarter.xlsx", params={"quarter": "2018-Q1"})

    assert 'href="/desk/quarter.xlsx?quarter=2018-Q1"' in compliance.text
    assert answer.headers["content-disposition"] == (
        'attachment; filename="bao-cao-quy-ntvt-2018-Q1.xlsx"'
    )
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [
        "Tiến độ theo đơn vị",
        "Tiến độ theo nhiệm vụ",
        "Hồ sơ trong quý",
        "Gương điển hình trong quý",
        "Thông báo trong quý",
    ]
    units, by_task, cases, exemplars, broadcasts = (
        list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets
    )
    assert units[0][6:8] == ("Đề xuất trong quý", "Chỉ tiêu quý")
    hang_bac = next(row for row in units if row[0] == "Phường Hàng Bạc")
    assert hang_bac[1] == 1 and hang_bac[7] == 3  # the task done on time; three months' quota
    name = desk.rt.directory.unit_name
    expected_tasks = {
        (name(o.key.unit_key), o.key.task_number)
        for o in deadlines.obligations
        if o.lead
        and any(date(2018, 1, 1) <= x.due < date(2018, 4, 1) for x in deadlines.occurrences[o.key])
    }
    assert {(row[0], row[1]) for row in by_task[1:]} == expected_tasks
    assert all(isinstance(row[3], datetime) for row in by_task[1:])
    async with desk.rt.uow() as uow:
        filed = await uow.session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(NominationRow)
        )
    assert len(cases) - 1 == filed == len(desk.seeded.codes)
    assert {row[0] for row in cases[1:]} == set(desk.seeded.codes.values())
    assert dict((row[0], row[1]) for row in exemplars[1:])["Phường Hàng Bạc"] == 0
    assert tuple(row[0] for row in broadcasts[1:]) == desk.seeded.broadcasts
    assert [row[5:] for row in broadcasts[1:]] == [(3, 2, 0, 5), (2, 1, 2, 5), (0, 0, 0, 0)]
    assert isinstance(broadcasts[1][1], datetime)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref is not None

    desk.client.cookies.clear()
    await sign_in(desk, WARD_OFFICER)
    refused = await desk.client.get("/desk/quarter.xlsx", params={"quarter": "2018-Q1"})
    ward_compliance = await desk.client.get("/desk/compliance", params={"month": "2018-02"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert "quarter.xlsx" not in ward_compliance.text


async def test_a_broadcast_falls_in_the_quarter_of_its_day_in_ha_noi(desk: Desk) -> None:
    # 23:00 on 31/03 in Hà Nội, and 01:00 on 01/04 (still 31/03 in UTC).
    late = Sent("Cuối quý.", BroadcastStatus.SCHEDULED, -134)
    early = Sent("Đầu quý.", BroadcastStatus.SCHEDULED, -136)
    async with desk.rt.uow() as uow:
        ids = [await seed_broadcast(uow, sent, now=MONDAY, today=TODAY) for sent in (late, early)]
        await uow.commit()
    tz = desk.rt.settings.tz

    async with desk.rt.uow() as uow:
        found = []
        for quarter in ("2018-Q1", "2018-Q2"):
            first, following = quarter_of(quarter, TODAY)
            since = datetime.combine(first, datetime.min.time(), tz)
            before = datetime.combine(following, datetime.min.time(), tz)
            found.append([b.id for b in await uow.deliveries.between(since, before)])

    assert found[0][-1] == ids[0] and ids[1] not in found[0]
    assert found[1] == [ids[1]]
    assert (
        quarter_of("9999-Q4", TODAY)
        == quarter_of("junk", TODAY)
        == (
            date(2018, 1, 1),
            date(2018, 4, 1),
        )
    )
