"""The desk's pages under ``/desk/``: sign-in, overview, queue with its exports, case page.

Every page that shows anything first turns the session cookie into an actor
(:func:`core.desk_services.signed_in`), then asks core for what that actor may see; the
templates only lay it out. A page refused tells nothing of what was asked: a case of
another unit and a case that does not exist get the same 403 page.

Every response carries the same headers (:class:`DeskRoute`): a Content-Security-Policy
that allows no script at all and styles from the desk only, no framing, no referrer. Every
form that changes something is a POST with a CSRF token; the filters are a GET form that
changes nothing.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from telegram import Bot

from bot.conversations.cases import version
from bot.conversations.review import NOTE_MAX
from bot.desk.actions import Problem, Queued, action_forms, queue_notices, send_queued, take_action
from bot.desk.charts import MEDIA_TYPES, Chart, render as render_chart
from bot.desk.evidence import PHOTO_HEADERS, fetch_photo
from bot.desk.export import (
    CSV_TYPE,
    XLSX_TYPE,
    attachment,
    queue_csv,
    queue_rows,
    queue_xlsx,
    table_csv,
    workbook_xlsx,
)
from bot.desk.links import secret_in, signed_by
from bot.desk.plan_pages import DeskPages, add_plan_pages, month_in, overview_plan, quarter_url
from bot.desk.reports import compliance_tables, exemplars_chart, monthly_chart, on_time_chart
from bot.messages import locale_of
from bot.notices import load_deadlines
from bot.rendering import N_
from bot.request_body import body_at_most
from bot.runtime import Runtime
from bot.settings import Settings
from bot.zalo.media import MediaStore
from core.access import Opened
from core.broadcasts import may_broadcast
from core.codes import parse_tracking_code
from core.compliance import on_time_rate
from core.deadlines import Obligation, expand_obligations
from core.desk import (
    EVERY_STATE,
    MAX_TEXT,
    MIN_TEXT,
    OPEN,
    CaseFilter,
    LinkInvalidError,
    csrf_token,
    new_secret,
)
from core.desk_services import (
    MonthCompliance,
    SignedIn,
    compliance_units,
    desk_units,
    export_cases,
    find_cases,
    link_usable,
    month_compliance,
    monthly_filings,
    open_session,
    overview,
    sign_out,
    sign_out_everywhere,
    signed_in,
    unit_exemplars,
)
from core.nomination import Evidence, EvidenceKind, Nomination, NominationStatus
from core.ports import UnitOfWork
from core.review import case_view, display_name, visible_case
from core.roles import NotAllowedError
from core.workflow import TRANSITIONS

PREFIX = "/desk"
COOKIE = "ntvt_desk"
# The sign-in form's own token, compared with the one in its hidden field (double submit):
# another site cannot sign an officer in to a session of someone else's link.
FORM_COOKIE = "ntvt_desk_form"
FORM_SECONDS = 600
PAGE_SIZE = 25
MAX_FORM_BYTES = 4096
STATIC = Path(__file__).resolve().parent / "static"
SHEET_TITLE = N_("Hồ sơ")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": browsers then post forms with "Origin: null", which is refused.
    # Other sites are told nothing, so a sign-in link's address never leaves the desk.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
# How many months the chart of cases filed per month shows, ending with the month asked.
CHART_MONTHS = 12
# The states in the order the pages list them.
STATES = tuple(status.value for status in NominationStatus)
# A form of a case's action: a note of NOTE_MAX characters, each up to 9 bytes when encoded.
ACTION_FORM_BYTES = 16_384
# What a refused action's form gave back, to show again.
TYPED_FIELDS = (
    "action",
    "note",
    "target",
    "award_form",
    "award_name",
    "decision_number",
    "decision_date",
)


class DeskRoute(APIRoute):
    """A desk route: its every response carries the desk's security headers.

    Pages hold personal data: nothing is cached unless the route says otherwise.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the route's handler, adding the headers to what it answers."""
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            response = await handler(request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return with_headers


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in officer a page is for: who, in which language, and their form token."""

    signed: SignedIn
    locale: str
    name: str
    csrf: str

    @property
    def context(self) -> dict[str, Any]:
        """Return what every page's layout shows of the viewer."""
        return {
            "signed_in": True,
            "viewer": self.name,
            "csrf": self.csrf,
            # The broadcasts' pages are in the menu of whoever core lets follow them.
            "nav_broadcasts": may_broadcast(self.signed.actor),
        }


def desk_router(
    settings: Settings,
    *,
    runtime: Callable[[Request], Runtime],
    bot: Callable[[Request], Bot] | None = None,
) -> APIRouter:
    """Return the desk's routes; ``runtime`` gives the running bot's runtime for a request.

    ``bot``: the running bot, which fetches the evidence's photos from Telegram (without
    it, only photos of the media store are shown).
    """
    router = APIRouter(prefix=PREFIX, route_class=DeskRoute)
    css = (STATIC / "desk.css").read_bytes()
    svg_icon = (STATIC / "icon.svg").read_bytes()
    lifetime = timedelta(hours=settings.desk_session_hours)
    sending: set[asyncio.Task[None]] = set()  # notices of actions, on their way

    def secure(request: Request) -> bool:
        """Tell whether cookies must say Secure: the request, or the desk's address, is HTTPS."""
        return request.url.scheme == "https" or (settings.desk_url or "").startswith("https:")

    def same_origin(request: Request) -> bool:
        """Tell whether a POST comes from the desk's own pages (when the browser says)."""
        origin = request.headers.get("origin")
        if origin is None:
            return True  # an older browser; the SameSite cookies and the tokens still hold
        own = {f"{request.url.scheme}://{request.url.netloc}"}
        if settings.desk_url:
            public = urlsplit(settings.desk_url)
            own.add(f"{public.scheme}://{public.netloc}")
        return origin in own

    def page(
        rt: Runtime, locale: str, template: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("signed_in", False)
        context.setdefault("viewer", "")
        context.setdefault("csrf", "")
        context.setdefault("nav", "")
        context.setdefault("nav_broadcasts", False)
        context.setdefault("unit_name", rt.directory.unit_name)
        context.setdefault("queue_url", queue_url)
        html = rt.renderer.render_document(locale, f"desk/{template}", **context)
        return HTMLResponse(html, status_code=status)

    def notice(
        rt: Runtime, what: str, *, status: int, viewer: Viewer | None = None, **context: Any
    ) -> HTMLResponse:
        locale = viewer.locale if viewer else settings.default_locale
        shown = viewer.context if viewer else {}
        return page(rt, locale, "notice", status=status, what=what, **shown, **context)

    async def viewer_of(uow: UnitOfWork, rt: Runtime, request: Request) -> Viewer | None:
        secret = request.cookies.get(COOKIE)
        if not secret:
            return None
        signed = await signed_in(uow, secret, now=rt.clock(), today=rt.today())
        if signed is None:
            return None
        user_id = signed.actor.user_id
        locale = await locale_of(uow, user_id, settings.default_locale)
        return Viewer(signed, locale, await display_name(uow, user_id), csrf_token(secret))

    Page = Callable[[UnitOfWork, Runtime, Viewer], Awaitable[Response]]

    async def signed_in_page(request: Request, show: Page) -> Response:
        """Run ``show`` for the signed-in officer in one transaction, or ask to sign in."""
        rt = runtime(request)
        async with rt.uow() as uow:
            viewer = await viewer_of(uow, rt, request)
            if viewer is None:
                await uow.commit()  # a session ended for a role that ended
                response: Response = notice(rt, "sign_in", status=401)
                response.delete_cookie(COOKIE, path=PREFIX)
                return response
            response = await show(uow, rt, viewer)
            await uow.commit()
        return response

    @router.get("/static/desk.css", include_in_schema=False)
    async def style_sheet() -> Response:
        """Serve the desk's style sheet (cacheable: it holds nothing personal)."""
        return Response(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @router.get("/static/icon.svg", include_in_schema=False)
    async def icon() -> Response:
        """Serve the desk's icon (a browser asks for one; without it, a 404 in its console)."""
        headers = {"Cache-Control": "max-age=86400"}
        return Response(svg_icon, media_type="image/svg+xml", headers=headers)

    @router.get("/", include_in_schema=False)
    async def overview_page(request: Request) -> Response:
        """Show the counts of the officer's units: by state, by unit, against the quota."""

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            today = rt.today()
            counts = await overview(
                uow,
                viewer.signed.actor,
                today=today,
                tz=settings.tz,
                quota=settings.monthly_quota,
                units=[unit.key for unit in rt.directory.units_on(today)],
            )
            below = sum(1 for line in counts.units if line.proposed_this_month < counts.quota)
            return page(
                rt,
                viewer.locale,
                "overview",
                nav="overview",
                overview=counts,
                below_quota=below,
                states=STATES,
                **await overview_plan(uow, rt, viewer),
                **viewer.context,
            )

        return await signed_in_page(request, show)

    @router.get("/queue", include_in_schema=False)
    async def queue_page(request: Request) -> Response:
        """Show one page of the cases that match the filters, with links to export them."""
        filters, short = read_filters(request.query_params)
        number = _number(request.query_params.get("page"))

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            actor = viewer.signed.actor
            result = await find_cases(
                uow,
                actor,
                filters,
                search=rt.search,
                tz=settings.tz,
                page=number - 1,
                page_size=PAGE_SIZE,
            )
            today_units = [unit.key for unit in rt.directory.units_on(rt.today())]
            units = await desk_units(uow, actor, today_units=today_units)
            shown = filter_params(filters)
            return page(
                rt,
                viewer.locale,
                "queue",
                nav="queue",
                filters=filters,
                short_text=short,
                result=result,
                units=units,
                states=STATES,
                page_url=lambda index: queue_url(**shown, page=str(index + 1)),
                export_url=lambda kind: f"{PREFIX}/queue.{kind}?{urlencode(shown)}",
                **viewer.context,
            )

        return await signed_in_page(request, show)

    async def export(request: Request, kind: str) -> Response:
        filters, _ = read_filters(request.query_params)

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            items = await export_cases(
                uow, viewer.signed.actor, filters, search=rt.search, tz=settings.tz
            )

            text = rt.renderer.translator(viewer.locale)

            rows = queue_rows(items, unit_name=rt.directory.unit_name, tz=settings.tz, text=text)
            name = f"ho-so-ntvt-{rt.today():%Y-%m-%d}.{kind}"
            if kind == "xlsx":
                body = await asyncio.to_thread(
                    queue_xlsx, rows, text=text, sheet_title=text(SHEET_TITLE)
                )
                media = XLSX_TYPE
            else:
                body, media = queue_csv(rows, text=text), CSV_TYPE
            return Response(body, media_type=media, headers=attachment(name))

        return await signed_in_page(request, show)

    @router.get("/queue.xlsx", include_in_schema=False)
    async def queue_xlsx_file(request: Request) -> Response:
        """Send the filtered cases as an Excel workbook."""
        return await export(request, "xlsx")

    @router.get("/queue.csv", include_in_schema=False)
    async def queue_csv_file(request: Request) -> Response:
        """Send the filtered cases as CSV (UTF-8 with a BOM)."""
        return await export(request, "csv")

    async def standing(
        uow: UnitOfWork, rt: Runtime, viewer: Viewer, params: Mapping[str, str]
    ) -> tuple[MonthCompliance, dict[int, str]] | None:
        """Return the month's standing asked for and the plan's tasks; None without a plan.

        Raises :class:`NotAllowedError` for a unit outside the viewer's.
        """
        deadlines = await load_deadlines(uow, rt, rt.calendar)
        if deadlines is None:
            return None
        today = rt.today()
        result = await month_compliance(
            uow,
            viewer.signed.actor,
            deadlines.obligations,
            deadlines.occurrences,
            deadlines.completed,
            year=deadlines.plan.year,
            month=month_in(params.get("month")) or today,
            today=today,
            tz=settings.tz,
            quota=settings.monthly_quota,
            unit_key=params.get("unit") or None,
        )
        return result, {task.number: task.content for task in deadlines.plan.tasks}

    @router.get("/compliance", include_in_schema=False)
    async def compliance_page(request: Request) -> Response:
        """Show per unit and task what was done on time, late, is overdue or pending."""
        params = request.query_params

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            try:
                found = await standing(uow, rt, viewer, params)
                units = compliance_units(viewer.signed.actor, _obligations(rt))
            except NotAllowedError:
                return notice(rt, "unit_refused", status=403, viewer=viewer)
            shown = {k: v for k, v in params.items() if k in ("month", "unit") and v}
            return page(
                rt,
                viewer.locale,
                "compliance",
                nav="compliance",
                standing=found[0] if found else None,
                tasks=found[1] if found else {},
                units=units,
                unit=params.get("unit") or "",
                month=found[0].month if found else rt.today().replace(day=1),
                on_time_rate=on_time_rate,
                quarter_url=quarter_url(viewer, found[0].month if found else rt.today()),
                export_url=lambda kind: f"{PREFIX}/compliance.{kind}?{urlencode(shown)}",
                **viewer.context,
            )

        return await signed_in_page(request, show)

    async def compliance_export(request: Request, kind: str) -> Response:
        params = request.query_params

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            try:
                found = await standing(uow, rt, viewer, params)
            except NotAllowedError:
                return notice(rt, "unit_refused", status=403, viewer=viewer)
            if found is None:
                return notice(rt, "no_plan", status=404, viewer=viewer)
            result, tasks = found

            text = rt.renderer.translator(viewer.locale)

            tables = compliance_tables(
                result, unit_name=rt.directory.unit_name, tasks=tasks, text=text
            )
            name = f"tien-do-ntvt-{result.month:%Y-%m}.{kind}"
            if kind == "xlsx":
                body = await asyncio.to_thread(workbook_xlsx, tables, text=text)
                media = XLSX_TYPE
            else:
                by_task = tables[1]
                body, media = table_csv(by_task.columns, by_task.rows, text=text), CSV_TYPE
            return Response(body, media_type=media, headers=attachment(name))

        return await signed_in_page(request, show)

    @router.get("/compliance.xlsx", include_in_schema=False)
    async def compliance_xlsx_file(request: Request) -> Response:
        """Send the month's compliance as a workbook: a sheet per unit, one per unit and task."""
        return await compliance_export(request, "xlsx")

    @router.get("/compliance.csv", include_in_schema=False)
    async def compliance_csv_file(request: Request) -> Response:
        """Send the month's compliance per unit and task as CSV (UTF-8 with a BOM)."""
        return await compliance_export(request, "csv")

    @router.get("/charts", include_in_schema=False)
    async def charts_page(request: Request) -> Response:
        """Show the three charts of the month asked for (images of this desk: no script)."""
        month = month_in(request.query_params.get("month"))

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            shown = month or rt.today().replace(day=1)
            query = urlencode({"month": f"{shown:%Y-%m}"})
            return page(
                rt,
                viewer.locale,
                "charts",
                nav="charts",
                month=shown,
                chart_url=lambda name: f"{PREFIX}/charts/{name}.svg?{query}",
                **viewer.context,
            )

        return await signed_in_page(request, show)

    @router.get("/charts/{name}.svg", include_in_schema=False)
    async def chart_image(request: Request, name: str) -> Response:
        """Draw one chart as SVG for the viewer's units; an unknown chart is a 404."""
        params = request.query_params

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            text = rt.renderer.translator(viewer.locale)

            actor = viewer.signed.actor
            today = rt.today()
            month = month_in(params.get("month")) or today.replace(day=1)
            chart: Chart
            if name == "exemplars":
                units = [unit.key for unit in rt.directory.units_on(today)]
                exemplars = await unit_exemplars(uow, actor, units=units)
                chart = exemplars_chart(exemplars, unit_name=rt.directory.unit_name, text=text)
            elif name == "monthly":
                filed = await monthly_filings(
                    uow, actor, last=month, months=CHART_MONTHS, tz=settings.tz
                )
                chart = monthly_chart(filed, text=text)
            elif name == "on-time":
                found = await standing(uow, rt, viewer, {"month": f"{month:%Y-%m}"})
                if found is None:
                    return notice(rt, "no_plan", status=404, viewer=viewer)
                chart = on_time_chart(found[0], unit_name=rt.directory.unit_name, text=text)
            else:
                return Response(status_code=404)
            body = await asyncio.to_thread(render_chart, chart, "svg")
            # The image's own policy: matplotlib's SVG styles itself inline; it runs nothing.
            headers = {"Content-Security-Policy": SVG_POLICY}
            return Response(body, media_type=MEDIA_TYPES["svg"], headers=headers)

        return await signed_in_page(request, show)

    async def case_page_of(
        uow: UnitOfWork,
        rt: Runtime,
        viewer: Viewer,
        nomination: Nomination,
        *,
        status: int = 200,
        **shown: Any,
    ) -> Response:
        """Show a case the viewer may see, as the card shows it; the opening is logged."""
        actor = viewer.signed.actor
        view = await case_view(uow, actor, nomination.code, now=rt.clock(), opening=Opened.CARD)
        shown.setdefault("done", None)
        shown.setdefault("problem", None)
        shown.setdefault("typed", {})
        shown.setdefault("missing", ())
        return page(
            rt,
            viewer.locale,
            "case",
            status=status,
            nav="queue",
            view=view,
            nomination=view.nomination,
            unit=rt.directory.unit_name(nomination.unit_key),
            action_forms=await action_forms(uow, actor, nomination, view.actions),
            case_version=version(nomination),
            note_max=NOTE_MAX,
            today=rt.today(),
            **viewer.context,
            **shown,
        )

    @router.get("/case/{code}", include_in_schema=False)
    async def case_page(request: Request, code: str) -> Response:
        """Show a case as the card shows it, with its history and its actions."""
        params = request.query_params
        # Only the confirmations the desk itself links to: nothing of a query is echoed.
        done = params.get("done")
        problem = params.get("problem")

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            tracking = parse_tracking_code(code)
            # Asked first: another unit's case and no case at all are refused alike.
            nomination = (
                None if tracking is None else await visible_case(uow, viewer.signed.actor, tracking)
            )
            if nomination is None:
                return notice(rt, "case_refused", status=403, viewer=viewer)
            return await case_page_of(
                uow,
                rt,
                viewer,
                nomination,
                done=done if done in TRANSITIONS else None,
                problem=problem if problem in (Problem.STALE, Problem.HELD) else None,
            )

        return await signed_in_page(request, show)

    @router.get("/signin/{token}", include_in_schema=False)
    async def signin_page(request: Request, token: str) -> Response:
        """Show the button that uses the link up; nothing is used by opening it.

        Link previews and scanners open links: only the officer's press signs in.
        """
        rt = runtime(request)
        secret = secret_in(token)
        async with rt.uow() as uow:
            usable = bool(secret) and await link_usable(
                uow, secret, signed_for=signed_by(rt.buttons, token), now=rt.clock()
            )
        if not usable:
            return notice(rt, "link_refused", status=410)
        form = new_secret()
        response = page(rt, settings.default_locale, "signin", token=token, form_csrf=form)
        response.set_cookie(
            FORM_COOKIE,
            form,
            max_age=FORM_SECONDS,
            path=f"{PREFIX}/signin",
            httponly=True,
            samesite="strict",
            secure=secure(request),
        )
        return response

    @router.post("/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        """Use the link up and open a session for this browser."""
        rt = runtime(request)
        form = await read_form(request)
        expected = request.cookies.get(FORM_COOKIE, "")
        if form is None or not same_origin(request) or not _equal(form.get("csrf"), expected):
            return notice(rt, "form_expired", status=403)
        token = form.get("token", "")
        try:
            async with rt.uow() as uow:
                session_secret, _ = await open_session(
                    uow,
                    secret_in(token),
                    signed_for=signed_by(rt.buttons, token),
                    now=rt.clock(),
                    today=rt.today(),
                    lifetime=lifetime,
                )
                await uow.commit()
        except LinkInvalidError:
            return notice(rt, "link_refused", status=410)
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        response.set_cookie(
            COOKIE,
            session_secret,
            max_age=int(lifetime.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="lax",
            secure=secure(request),
        )
        response.delete_cookie(FORM_COOKIE, path=f"{PREFIX}/signin")
        return response

    @router.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        """End this browser's session."""
        rt = runtime(request)
        form = await read_form(request)
        secret = request.cookies.get(COOKIE, "")
        if form is None or not secret or not same_origin(request):
            return notice(rt, "form_expired", status=403)
        if not _equal(form.get("csrf"), csrf_token(secret)):
            return notice(rt, "form_expired", status=403)
        async with rt.uow() as uow:
            await sign_out(uow, secret, now=rt.clock())
            await uow.commit()
        response = notice(rt, "signed_out", status=200)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @router.post("/signout-all", include_in_schema=False)
    async def signout_everywhere(request: Request) -> Response:
        """End every session of the officer, here and in every other browser."""
        form = await read_form(request)
        if form is None or not same_origin(request):
            return notice(runtime(request), "form_expired", status=403)

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            if not _equal(form.get("csrf"), viewer.csrf):
                return notice(rt, "form_expired", status=403, viewer=viewer)
            user_id = viewer.signed.actor.user_id
            ended = await sign_out_everywhere(uow, user_id, now=rt.clock())
            response = notice(rt, "signed_out_everywhere", status=200, count=ended)
            response.delete_cookie(COOKIE, path=PREFIX)
            return response

        return await signed_in_page(request, show)

    add_plan_pages(router, settings, DeskPages(page, notice, signed_in_page))

    @router.post("/case/{code}/act", include_in_schema=False)
    async def case_action(request: Request, code: str) -> Response:
        """Take one of the case's actions, as its button in chat would; then back to the case.

        The nominator's notices are queued in the same transaction and sent once it is
        committed. A form of a page older than the case's last change takes nothing.
        """
        form = await read_form(request, limit=ACTION_FORM_BYTES)
        if form is None or not same_origin(request):
            return notice(runtime(request), "form_expired", status=403)
        queued: list[Queued] = []

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            if not _equal(form.get("csrf"), viewer.csrf):
                return notice(rt, "form_expired", status=403, viewer=viewer)
            actor = viewer.signed.actor
            tracking = parse_tracking_code(code)
            nomination = None if tracking is None else await visible_case(uow, actor, tracking)
            if nomination is None:
                return notice(rt, "case_refused", status=403, viewer=viewer)
            user = await uow.users.get(actor.user_id)
            if user is None:  # an officer the bot never met cannot have signed in
                return notice(rt, "case_refused", status=403, viewer=viewer)
            outcome = await take_action(rt, uow, actor, nomination, form, user=user)
            address = f"{PREFIX}/case/{nomination.code}"
            if outcome.done and outcome.action is not None:
                sent = await queue_notices(outcome)
                if sent is not None:
                    queued.append(sent)
                return RedirectResponse(f"{address}?done={outcome.action.value}", status_code=303)
            if outcome.problem in (Problem.STALE, Problem.HELD, None):
                problem = outcome.problem or Problem.STALE
                return RedirectResponse(f"{address}?problem={problem.value}", status_code=303)
            typed = {name: form.get(name, "") for name in TYPED_FIELDS}
            return await case_page_of(
                uow,
                rt,
                viewer,
                nomination,
                status=422,
                problem=outcome.problem,
                typed=typed,
                missing=outcome.missing,
            )

        response = await signed_in_page(request, show)
        for sent in queued:
            # Committed: the notices go now, as a chat turn's replies do, but without the
            # officer's page waiting on Telegram's pace (the outbox keeps them either way).
            task = asyncio.create_task(send_queued(runtime(request), sent))
            sending.add(task)
            task.add_done_callback(sending.discard)
        return response

    @router.get("/case/{code}/evidence/{number}", include_in_schema=False)
    async def evidence_photo(request: Request, code: str, number: int) -> Response:
        """Send the case's photo number ``number`` (from 0), fetched from where it is kept.

        Asked as the case page is (the same 403); the opening of the files is logged, as in
        chat. The file comes from Telegram by its file id through the running bot (or the
        media store, for a photo sent on Zalo), is kept in memory only, and not cached.
        """
        wanted: list[Evidence] = []

        async def show(uow: UnitOfWork, rt: Runtime, viewer: Viewer) -> Response:
            actor = viewer.signed.actor
            tracking = parse_tracking_code(code)
            nomination = None if tracking is None else await visible_case(uow, actor, tracking)
            if nomination is None:
                return notice(rt, "case_refused", status=403, viewer=viewer)
            kept = nomination.evidence
            if not 0 <= number < len(kept) or kept[number].kind is not EvidenceKind.PHOTO:
                return Response(status_code=404)
            view = await case_view(
                uow, actor, nomination.code, now=rt.clock(), opening=Opened.FILES
            )
            shown = view.nomination.evidence  # as core shows the case to this viewer
            if number >= len(shown):
                return Response(status_code=404)
            wanted.append(shown[number])
            return Response(status_code=204)  # replaced below, once the transaction is over

        response = await signed_in_page(request, show)
        if not wanted:
            return response
        # Fetched after the transaction: no database connection waits on Telegram.
        found = await fetch_photo(
            wanted[0].file_id,
            bot=bot(request) if bot is not None else None,
            store=MediaStore(settings.zalo_media_dir),
        )
        if found is None:
            return Response(status_code=404)
        body, media_type = found
        return Response(body, media_type=media_type, headers=PHOTO_HEADERS)

    return router


def queue_url(**params: str | None) -> str:
    """Return the queue's address with these filters (empty ones left out)."""
    kept = {name: value for name, value in params.items() if value}
    return f"{PREFIX}/queue" + (f"?{urlencode(kept)}" if kept else "")


def read_filters(params: Mapping[str, str]) -> tuple[CaseFilter, bool]:
    """Return the queue's filters from a query string, and whether the text was too short.

    What cannot be read (a day that is no date) is left out rather than refused.
    """
    text = " ".join((params.get("q") or "").split())[:MAX_TEXT]
    short = bool(text) and len(text.replace(" ", "")) < MIN_TEXT
    state = params.get("state") or OPEN
    filters = CaseFilter(
        unit_key=params.get("unit") or None,
        state=state if state in (OPEN, EVERY_STATE, *STATES) else OPEN,
        filed_from=_day(params.get("from")),
        filed_to=_day(params.get("to")),
        text="" if short else text,
    )
    return filters, short


def filter_params(filters: CaseFilter) -> dict[str, str]:
    """Return the query string's parameters of ``filters`` (defaults left out)."""
    params = {
        "q": filters.text,
        "unit": filters.unit_key or "",
        "state": filters.state if filters.state != OPEN else "",
        "from": filters.filed_from.isoformat() if filters.filed_from else "",
        "to": filters.filed_to.isoformat() if filters.filed_to else "",
    }
    return {name: value for name, value in params.items() if value}


async def read_form(request: Request, *, limit: int = MAX_FORM_BYTES) -> dict[str, str] | None:
    """Return a posted form's fields (the first value of each), or None if it is no form."""
    body = await body_at_most(request, limit)
    if body is None:
        return None
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


def _equal(given: str | None, expected: str) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _obligations(rt: Runtime) -> Sequence[Obligation]:
    """Return the loaded plan's obligations (none without a plan), for the unit picker."""
    plan, organisation = rt.directory.plan, rt.directory.organisation
    if plan is None or organisation is None:
        return ()
    return expand_obligations(plan, organisation, on=date(plan.year, 1, 1))


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 7 else 1
