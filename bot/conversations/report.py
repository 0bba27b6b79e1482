"""``/baocao``: the month's report for the standing office, made as it is sent.

The on-time chart of the month as a photo (PNG) and a workbook (compliance per unit and per
task, the month's cases, the exemplars per unit) as a document. A queued message names its
file rather than holding it (:class:`MonthReportMaker`, a :class:`bot.sender.FileMaker`): the
outbox keeps no copy, and the file is made from what the database says when it goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any

from telegram import InputFile

from bot.commands import OFFICE
from bot.desk.charts import render
from bot.desk.export import workbook_xlsx
from bot.desk.reports import month_report
from bot.flows import Command, Flow
from bot.messages import locale_of
from bot.rendering import N_
from bot.runtime import Runtime, Turn
from bot.sender import FileGoneError
from core.dates import parse_month
from core.errors import DomainError
from core.outbox import OutgoingMessage
from core.reporting import may_see_every_unit
from core.review import actor_for
from core.roles import NotAllowedError

REPORT = "ntvt_report"
KINDS = ("chart", "workbook")
METHODS = {"chart": ("sendPhoto", "photo"), "workbook": ("sendDocument", "document")}


async def send_report(turn: Turn) -> None:
    """Queue the month's chart and workbook (this month, or the month typed as MM/YYYY)."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_see_every_unit(actor):
        turn.say("officer/not_allowed")
        return
    typed = turn.command_args.strip()
    month = parse_month(typed) if typed else turn.today.replace(day=1)
    if month is None:
        turn.say("report/usage")
        return
    if turn.rt.directory.plan is None:
        turn.say("deadlines/none")
        return
    turn.say("report/coming", month=month)
    for kind in KINDS:
        method, field = METHODS[kind]
        params = {
            field: f"{REPORT}.{kind}",
            REPORT: {"kind": kind, "user": turn.user.id, "month": month.isoformat()},
        }
        turn.send_file_to(turn.chat_id, method, params)


class MonthReportMaker:
    """Makes the chart or the workbook a queued message names, for its reader, when sent."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the message's parameters with its file made, or None if it names none.

        Made for the office member who asked, still seeing every unit; else the file is gone.
        """
        named = message.params.get(REPORT)
        if not isinstance(named, Mapping) or named.get("kind") not in KINDS:
            return None
        rt = self._rt
        kind = str(named["kind"])
        try:
            user_id = int(named["user"])
            month = date.fromisoformat(str(named["month"]))
            async with rt.uow() as uow:
                actor = await actor_for(uow, user_id, rt.today())
                if not may_see_every_unit(actor):
                    raise NotAllowedError(f"user {user_id} no longer sees every unit")
                locale = await locale_of(uow, user_id, rt.settings.default_locale)
                report = await month_report(uow, rt, actor, month=month, locale=locale)
        except (DomainError, KeyError, TypeError, ValueError) as error:
            raise FileGoneError(f"the report cannot be made: {type(error).__name__}") from None
        if report is None:
            raise FileGoneError("the report cannot be made: no plan")
        field = METHODS[kind][1]
        if kind == "chart":
            data = await asyncio.to_thread(render, report.chart, "png")
            name = f"tien-do-{report.month:%Y-%m}.png"
        else:
            text = rt.renderer.translator(locale)
            data = await asyncio.to_thread(workbook_xlsx, report.tables, text=text)
            name = f"bao-cao-ntvt-{report.month:%Y-%m}.xlsx"
        params = {key: value for key, value in message.params.items() if key != REPORT}
        params[field] = InputFile(data, filename=name)
        return params


def flow() -> Flow:
    """Return the flow of the month's report."""
    return Flow(
        "month report",
        commands=(
            Command(
                ("baocao", "report"),
                send_report,
                N_("Báo cáo tháng: biểu đồ và tệp Excel (tiến độ, hồ sơ, gương điển hình)"),
                N_("[THÁNG/NĂM]"),
                roles=OFFICE,
            ),
        ),
    )
