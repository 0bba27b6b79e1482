"""The desk's compliance page over HTTP: each officer's scope, the month asked, the files.

The demo plan is the 2018 plan of Hoàn Kiếm: its tasks fall due in 2018, so the tests ask for
a month of that year (the page opens on the clock's month, November 2024, by default).
"""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from bot.notices import load_deadlines
from core.reporting import mark_done
from core.review import actor_for
from tests.desk.conftest import Desk
from tests.desk.test_http import sign_in
from tests.desk.world import HANG_BAC, HANG_DAO, OFFICE, WARD_OFFICER

MONTH = "2018-03"


async def done_in_march(desk: Desk, unit_key: str) -> int:
    """Mark the first task the unit leads due in March 2018 done on its day; return its number."""
    rt = desk.rt
    async with rt.uow() as uow:
        deadlines = await load_deadlines(uow, rt, rt.calendar)
        assert deadlines is not None
        lead = {o.key for o in deadlines.obligations if o.lead and o.key.unit_key == unit_key}
        occurrence = min(
            (o for key in lead for o in deadlines.occurrences[key] if o.due.month == 3),
            key=lambda o: (o.due, o.key.task_number),
        )
        officer = await actor_for(uow, WARD_OFFICER, rt.today())
        await mark_done(
            uow,
            officer,
            plan_key=deadlines.plan.key,
            task_number=occurrence.key.task_number,
            occurrence=occurrence.occurrence,
            unit_key=unit_key,
            today=occurrence.due,
            now=desk.clock(),
        )
        await uow.commit()
    return occurrence.key.task_number


async def test_the_office_sees_every_unit_and_a_ward_officer_only_their_own(desk: Desk) -> None:
    await sign_in(desk, OFFICE)
    office = await desk.client.get("/desk/compliance", params={"month": MONTH})
    desk.client.cookies.clear()
    await sign_in(desk, WARD_OFFICER)
    ward = await desk.client.get("/desk/compliance", params={"month": MONTH})
    refused = await desk.client.get("/desk/compliance", params={"unit": HANG_DAO})
    refused_file = await desk.client.get("/desk/compliance.xlsx", params={"unit": HANG_DAO})
    unknown = await desk.client.get("/desk/compliance", params={"unit": "no-such-unit"})

    assert office.status_code == 200
    assert "Phường Hàng Bạc" in office.text and "Phường Hàng Đào" in office.text
    assert 'value="2018-03"' in office.text and "03/2018" in office.text
    assert ward.status_code == 200
    assert "Phường Hàng Bạc" in ward.text and "Phường Hàng Đào" not in ward.text
    assert (refused.status_code, refused_file.status_code, unknown.status_code) == (403, 403, 403)
    assert refused.text == unknown.text and "Hàng Đào" not in refused.text


async def test_a_task_done_on_its_day_counts_on_time_in_its_month_only(desk: Desk) -> None:
    task = await done_in_march(desk, HANG_BAC)
    await sign_in(desk, WARD_OFFICER)

    march = await desk.client.get("/desk/compliance.csv", params={"month": MONTH})
    april = await desk.client.get("/desk/compliance.csv", params={"month": "2018-04"})

    lines = march.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Đơn vị,Nhiệm vụ số,Nội dung,Hạn,Đúng hạn,Trễ hạn,Quá hạn")
    done = next(line for line in lines if line.startswith(f"Phường Hàng Bạc,{task},"))
    assert done.split(",")[-4:] == ["1", "0", "0", "0"]
    assert not any(
        line.startswith(f"Phường Hàng Bạc,{task},") and ",1,0,0,0" in line
        for line in april.content.decode("utf-8-sig").splitlines()[1:]
    )


async def test_the_workbook_holds_a_sheet_per_unit_and_per_task_with_dates_as_dates(
    desk: Desk,
) -> None:
    await done_in_march(desk, HANG_BAC)
    await sign_in(desk, OFFICE)

    answer = await desk.client.get("/desk/compliance.xlsx", params={"month": MONTH})

    assert answer.headers["content-disposition"] == (
        'attachment; filename="tien-do-ntvt-2018-03.xlsx"'
    )
    book = load_workbook(io.BytesIO(answer.content))
    units, tasks = book.worksheets
    assert (units.title, tasks.title) == ("Theo đơn vị", "Theo nhiệm vụ")
    unit_rows = list(units.iter_rows(values_only=True))
    assert unit_rows[0][:5] == ("Đơn vị", "Đúng hạn", "Trễ hạn", "Quá hạn", "Chưa đến hạn")
    hang_bac = next(row for row in unit_rows if row[0] == "Phường Hàng Bạc")
    assert hang_bac[1] == 1  # the task done on its day
    task_rows = list(tasks.iter_rows(values_only=True))
    assert task_rows[0][3] == "Hạn" and len(task_rows) > 1
    assert all(isinstance(row[3], datetime) for row in task_rows[1:])
    assert all(row[3].date().replace(day=1) == date(2018, 3, 1) for row in task_rows[1:])  # type: ignore[union-attr]
    assert tasks.freeze_panes == "A2" and tasks.auto_filter.ref is not None


async def test_a_month_at_the_calendars_ends_is_the_default_month_not_an_error(
    desk: Desk,
) -> None:
    await sign_in(desk, OFFICE)
    for month in ("9999-12", "0001-01", "2018-13", "18-03"):
        page = await desk.client.get("/desk/compliance", params={"month": month})
        chart = await desk.client.get("/desk/charts/monthly.svg", params={"month": month})

        assert (page.status_code, chart.status_code) == (200, 200), month
        assert f'value="{desk.clock():%Y-%m}"' in page.text, month
