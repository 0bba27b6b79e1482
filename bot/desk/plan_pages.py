"""The desk's plan pages: the calendar of deadlines, broadcasts' delivery, the quarter's file.

Added to :func:`bot.desk.routes.desk_router`'s router by :func:`add_plan_pages`, with the
router's own helpers (:class:`DeskPages`): the same session, headers and refusal pages. As
every desk page, each asks core first what the signed-in officer may see
(:mod:`core.desk_plan`); a broadcast the officer may not see and one that does not exist get
the same 403 page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from bot.desk.export import (
    CSV_TYPE,
    XLSX_TYPE,
    Cell,
    Table,
    attachment,
    queue_rows,
    table_csv,
    workbook_xlsx,
)
from bot.desk.labels import COMPLIANCE_TASK_COLUMNS, QUEUE_COLUMNS
from bot.desk.plan_labels import (
    BROADCAST_COLUMNS,
    BROADCAST_STATES,
    CHANNELS,
    FAILURE_COLUMNS,
    FAILURE_REASONS,
    FAILURES_SHEET,
    QUARTER_BROADCASTS_SHEET,
    QUARTER_CASES_SHEET,
    QUARTER_EXEMPLAR_COLUMNS,
    QUARTER_EXEMPLARS_SHEET,
    QUARTER_TASKS_SHEET,
    QUARTER_UNIT_COLUMNS,
    QUARTER_UNITS_SHEET,
)
from bot.desk.reports import task_rows, unit_rows
from bot.notices import load_deadlines
from bot.runtime import Runtime
from bot.settings import Settings
from core.broadcasts import Broadcast, UnknownBroadcastError
from core.calendar import WEEKDAY_NAMES, month_of
from core.delivery import BroadcastLine, DeliveryReport
from core.desk_plan import (
    broadcast_list,
    broadcasts_in_flight,
    delivery_report,
    month_calendar,
    quarter_of,
    quarter_report,
    week_deadlines,
)
from core.desk_services import SignedIn
from core.ports import UnitOfWork
from core.reporting import check_sees_every_unit, may_see_every_unit
from core.roles import NotAllowedError

PREFIX = "/desk"
# The longest piece of an announcement a list or a sheet shows.
SHORT_TEXT = 200
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Viewer(Protocol):
    """The signed-in officer a page is for (:class:`bot.desk.routes.Viewer` is one)."""

    @property
    def signed(self) -> SignedIn:
        """The session and the actor with today's grants."""
        ...

    @property
    def locale(self) -> str:
        """The officer's language."""
        ...

    @property
    def context(self) -> dict[str, Any]:
        """What every page's layout shows of the viewer."""
        ...


Show = Callable[[UnitOfWork, Runtime, Viewer], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class DeskPages:
    """The desk router's helpers: render a page, a notice, and run a signed-in page."""

    page: Callable[..., HTMLResponse]
    notice: Callable[..., HTMLResponse]
    signed_in_page: Callable[[Request, Show], Awaitable[Response]]


async def overview_plan(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> dict[str, Any]:
    """Return what the overview adds of the plan: the week's deadlines, broadcasts in flight.

    ``week`` is None without a plan; ``in_flight`` None for whoever may not broadcast (the
    overview then has no such section).
    """
    actor = viewer.signed.actor
    deadlines = await load_deadlines(uow, rt, rt.calendar)
    week = None
    tasks: dict[int, str] = {}
    if deadlines is not None:
        week = week_deadlines(
            actor,
            deadlines.obligations,
            deadlines.occurrences,
            deadlines.completed,
            today=rt.today(),
        )
        tasks = {task.number: task.content for task in deadlines.plan.tasks}
    return {
        "week": week,
        "plan_tasks": tasks,
        "in_flight": await broadcasts_in_flight(uow, actor),
        "broadcast_states": BROADCAST_STATES,
    }


def add_plan_pages(router: APIRouter, settings: Settings, pages: DeskPages) -> None:
    """Add the calendar, the broadcasts' pages and the quarter's workbook to ``router``."""
    page, notice, signed_in_page = pages.page, pages.notice, pages.signed_in_page

    @router.get("/calendar", include_in_schema=False)
    async def calendar_page(request: Request) -> Response:
        """Show a month of working days and days off, each with the deadlines of its day."""
        asked = month_in(request.query_params.get("month"))

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            month = asked or rt.today().replace(day=1)
            deadlines = await load_deadlines(uow, rt, rt.calendar)
            grid = None
            tasks: dict[int, str] = {}
            if deadlines is not None:
                grid = month_calendar(
                    viewer.signed.actor,
                    deadlines.obligations,
                    deadlines.occurrences,
                    deadlines.completed,
                    calendar=rt.calendar,
                    month=month,
                )
                tasks = {task.number: task.content for task in deadlines.plan.tasks}
            before = month - timedelta(days=1)
            after = month_of(month)[1]
            return page(
                rt,
                viewer.locale,
                "calendar",
                nav="calendar",
                grid=grid,
                month=month,
                tasks=tasks,
                today=rt.today(),
                weekdays=WEEKDAYS_EN if viewer.locale == "en" else WEEKDAY_NAMES,
                previous_url=f"{PREFIX}/calendar?month={before:%Y-%m}",
                next_url=f"{PREFIX}/calendar?month={after:%Y-%m}",
                **viewer.context,
            )

        return await signed_in_page(request, show)

    @router.get("/broadcasts", include_in_schema=False)
    async def broadcasts_page(request: Request) -> Response:
        """List the latest broadcasts, newest first, with their counts (who may broadcast)."""

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            try:
                lines = await broadcast_list(uow, viewer.signed.actor)
            except NotAllowedError:
                return notice(rt, "broadcast_refused", status=403, viewer=viewer)
            return page(
                rt,
                viewer.locale,
                "broadcasts",
                nav="broadcasts",
                lines=lines,
                broadcast_states=BROADCAST_STATES,
                short_text=SHORT_TEXT,
                **viewer.context,
            )

        return await signed_in_page(request, show)

    async def report_of(uow: UnitOfWork, viewer: Viewer, number: str) -> DeliveryReport | None:
        """Return the broadcast's report, or None: refused, unknown or unreadable alike."""
        if not number.isdigit() or len(number) > 18:
            # Asked all the same, so that a refusal reads the same whatever was typed.
            number = "0"
        try:
            return await delivery_report(uow, viewer.signed.actor, int(number))
        except (NotAllowedError, UnknownBroadcastError):
            return None

    @router.get("/broadcasts/{number}", include_in_schema=False)
    async def broadcast_page(request: Request, number: str) -> Response:
        """Show a broadcast's delivery: counts, failures by reason, per channel, who failed."""

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            report = await report_of(uow, viewer, number)
            if report is None:
                return notice(rt, "broadcast_refused", status=403, viewer=viewer)
            return page(
                rt,
                viewer.locale,
                "broadcast",
                nav="broadcasts",
                report=report,
                broadcast_states=BROADCAST_STATES,
                reasons=FAILURE_REASONS,
                channels=CHANNELS,
                export_url=lambda kind: f"{PREFIX}/broadcasts/{number}/failures.{kind}",
                **viewer.context,
            )

        return await signed_in_page(request, show)

    async def failures_file(request: Request, number: str, kind: str) -> Response:
        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            report = await report_of(uow, viewer, number)
            if report is None:
                return notice(rt, "broadcast_refused", status=403, viewer=viewer)

            text = rt.renderer.translator(viewer.locale)

            rows: list[list[Cell]] = [
                [
                    failed.chat_id,
                    text(CHANNELS.get(failed.channel, failed.channel)),
                    text(FAILURE_REASONS.get(failed.reason, failed.reason)),
                    failed.at.astimezone(settings.tz).date() if failed.at else None,
                ]
                for failed in report.failures
            ]
            name = f"thong-bao-{number}-khong-gui-duoc.{kind}"
            if kind == "xlsx":
                table = Table(text(FAILURES_SHEET), FAILURE_COLUMNS, rows)
                body = await asyncio.to_thread(workbook_xlsx, [table], text=text)
                media = XLSX_TYPE
            else:
                body, media = table_csv(FAILURE_COLUMNS, rows, text=text), CSV_TYPE
            return Response(body, media_type=media, headers=attachment(name))

        return await signed_in_page(request, show)

    @router.get("/broadcasts/{number}/failures.xlsx", include_in_schema=False)
    async def failures_xlsx(request: Request, number: str) -> Response:
        """Send the recipients a broadcast could not reach as a workbook."""
        return await failures_file(request, number, "xlsx")

    @router.get("/broadcasts/{number}/failures.csv", include_in_schema=False)
    async def failures_csv(request: Request, number: str) -> Response:
        """Send the recipients a broadcast could not reach as CSV (UTF-8 with a BOM)."""
        return await failures_file(request, number, "csv")

    @router.get("/quarter.xlsx", include_in_schema=False)
    async def quarter_file(request: Request) -> Response:
        """Send the quarter's report to the level above: a workbook, a sheet per section."""
        asked = request.query_params.get("quarter")

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            actor = viewer.signed.actor
            try:
                check_sees_every_unit(actor)  # before anything is read
            except NotAllowedError:
                return notice(rt, "unit_refused", status=403, viewer=viewer)
            deadlines = await load_deadlines(uow, rt, rt.calendar)
            if deadlines is None:
                return notice(rt, "no_plan", status=404, viewer=viewer)
            today = rt.today()
            report = await quarter_report(
                uow,
                actor,
                deadlines.obligations,
                deadlines.occurrences,
                deadlines.completed,
                year=deadlines.plan.year,
                quarter=quarter_of(asked, today),
                today=today,
                tz=settings.tz,
                quota=settings.monthly_quota,
                search=rt.search,
                units=[unit.key for unit in rt.directory.units_on(today)],
            )

            text = rt.renderer.translator(viewer.locale)

            unit_name = rt.directory.unit_name
            tasks = {task.number: task.content for task in deadlines.plan.tasks}
            standing = report.standing
            tables = [
                Table(
                    text(QUARTER_UNITS_SHEET),
                    QUARTER_UNIT_COLUMNS,
                    unit_rows(standing, unit_name=unit_name, text=text),
                ),
                Table(
                    text(QUARTER_TASKS_SHEET),
                    COMPLIANCE_TASK_COLUMNS,
                    task_rows(standing, unit_name=unit_name, tasks=tasks),
                ),
                Table(
                    text(QUARTER_CASES_SHEET),
                    QUEUE_COLUMNS,
                    queue_rows(report.cases, unit_name=unit_name, tz=settings.tz, text=text),
                ),
                Table(
                    text(QUARTER_EXEMPLARS_SHEET),
                    QUARTER_EXEMPLAR_COLUMNS,
                    [[unit_name(unit), count] for unit, count in report.exemplars],
                ),
                Table(
                    text(QUARTER_BROADCASTS_SHEET),
                    BROADCAST_COLUMNS,
                    broadcast_rows(report.broadcasts, settings=settings, text=text),
                ),
            ]
            body = await asyncio.to_thread(workbook_xlsx, tables, text=text)
            name = f"bao-cao-quy-ntvt-{report.name}.xlsx"
            return Response(body, media_type=XLSX_TYPE, headers=attachment(name))

        return await signed_in_page(request, show)


def went_on(broadcast: Broadcast) -> datetime:
    """Return when a broadcast went (or is to go): started, else its time, else written."""
    return broadcast.started_at or broadcast.send_at or broadcast.created_at


def broadcast_rows(
    lines: Sequence[BroadcastLine], *, settings: Settings, text: Callable[[str], str]
) -> list[list[Cell]]:
    """Return a row per broadcast: number, day, state, audience, text, its counts."""
    return [
        [
            line.broadcast.id,
            went_on(line.broadcast).astimezone(settings.tz).date(),
            text(BROADCAST_STATES.get(line.broadcast.status.value, line.broadcast.status.value)),
            line.broadcast.audience.spec(),
            " ".join(line.broadcast.text.split())[:SHORT_TEXT],
            line.tally.sent,
            line.tally.failed,
            line.tally.pending + line.tally.waiting,
            line.tally.total,
        ]
        for line in lines
    ]


def month_in(text: str | None) -> date | None:
    """Return the first day of a month typed as ``YYYY-MM`` (a month input's value).

    None for what cannot be read, and for a month without one before or after it.
    """
    try:
        month = date.fromisoformat(f"{text}-01") if text and len(text) == 7 else None
    except ValueError:
        return None
    return month if month is None or date.min.year < month.year < date.max.year else None


def quarter_url(viewer: Viewer, day: date) -> str | None:
    """Return the address of the workbook of ``day``'s quarter, for whoever may have it."""
    if not may_see_every_unit(viewer.signed.actor):
        return None
    quarter = f"{day:%Y}-Q{(day.month - 1) // 3 + 1}"
    return f"{PREFIX}/quarter.xlsx?" + urlencode({"quarter": quarter})
