"""The composition root: builds the runtime and the PTB application, and runs them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, Defaults

from bot.arenas import release_freed_memory
from bot.budget import SendBudget
from bot.bulk import BulkSender
from bot.commands import CommandMenu
from bot.conversations import (
    contact,
    correction,
    erasure,
    meeting,
    mydata,
    papers,
    publicity,
    report,
    requests,
    task_documents,
    withdrawal,
)
from bot.desk import flow as desk
from bot.failover import PeerWatch
from bot.failures import Unreadable, code_trace, describe, read_update
from bot.flows import Flows
from bot.handlers import broadcasts, deadlines, officer, resident, subscriptions
from bot.journal import UpdateJournal
from bot.keyboards import ButtonSigner
from bot.notices import notice_loop
from bot.personal_copy import PersonalCopies
from bot.plans import DEMO_PLAN, load_plan, read_plan_file
from bot.processing import ChatOrderedProcessor
from bot.rendering import Renderer
from bot.retention import RetentionJob
from bot.runtime import Directory, Runtime, system_clock
from bot.sender import FileMakers, OutboxSender, this_process
from bot.settings import Settings
from bot.transport import AiohttpRequest, PollingBot
from bot.zalo.channel import ZaloChannel
from bot.zalo.media import MediaFiles, MediaStore
from core import stored_updates
from core.calendar import CalendarConfig, WorkingCalendar
from core.deadlines import ReminderSettings
from core.inbound import StoredUpdate
from core.review import all_grants
from core.roles import Actor
from storage.database import is_postgresql
from storage.uow import Database, open_database

log = logging.getLogger(__name__)

RECOVERY_BATCH = 10_000


def flows() -> Flows:
    """List every flow of the bot, once: a new flow is one more line here."""
    return Flows(
        [
            *resident.flows(),
            subscriptions.flow(),
            contact.flow(),
            requests.flow(),
            mydata.flow(),
            correction.flow(),
            withdrawal.flow(),
            erasure.flow(),
            *publicity.flows(),
            *officer.flows(),
            *meeting.flows(),
            papers.flow(),
            report.flow(),
            deadlines.flow(),
            task_documents.flow(),
            broadcasts.flow(),
            broadcasts.stop_flow(),
            desk.flow(),
        ],
        menu=resident.menu_action,
        fallback=resident.outside_dialog,
        renewal=resident.renew_consent,
    )


BotApplication = Application[Any, Any, Any, Any, Any, Any]


async def build_runtime(
    settings: Settings,
    db: Database,
    *,
    clock: Callable[[], datetime] = system_clock,
    token: str | None = None,
    plan_file: Path | None = None,
) -> Runtime:
    """Build everything handlers need; load the demo plan into an empty database.

    ``token`` is the bot's token when it is not the one in ``settings`` (``ntvt chat``);
    ``plan_file`` a plan file loaded at start in place of what is stored (``ntvt chat``).
    """
    async with db.uow() as uow:
        organisation = await uow.organisation.load()
        plan = await uow.organisation.current_plan()
    if plan_file is not None or organisation is None:
        chosen = plan_file or DEMO_PLAN
        log.info("loading the plan file %s", chosen.name)
        document = read_plan_file(chosen)
        await load_plan(db, document)
        organisation, plan = document.organisation, document.plan
    renderer = Renderer(timezone=settings.tz, default_locale=settings.default_locale)
    rt = Runtime(
        settings,
        db.uow,
        renderer,
        Directory(organisation, plan),
        clock,
        calendar=working_calendar(settings),
        reminders=reminder_settings(settings),
        buttons=button_signer(settings, token),
        scrub=db.scrub,
        autocommit_uow=db.autocommit_uow,
    )
    async with db.uow() as uow:
        indexed = await rt.search.catch_up(uow)
    # The index is built once and lives as long as the process: keep the collector off it.
    gc.freeze()
    # The rows read to build it are freed: give their pages back (glibc keeps them).
    release_freed_memory()
    # Fewer young-generation collections: a turn allocates thousands of short-lived objects
    # (PTB updates, SQL rows), and collecting every 700 cost ~5 % of the CPU under load.
    gc.set_threshold(100_000, 50, 100)
    log.info("search index ready: %d nominations", indexed)
    return rt


def button_signer(settings: Settings, token: str | None) -> ButtonSigner:
    """Return the signer of inline buttons: every process of one bot signs alike.

    Without a secret or a token (a tool that sends nothing) the key is the process's own.
    """
    configured = settings.button_secret or (None if token else settings.telegram_token)
    chosen = configured.get_secret_value().strip() if configured is not None else token
    return ButtonSigner.from_secret(chosen) if chosen else ButtonSigner.random()


def working_calendar(settings: Settings) -> WorkingCalendar:
    """Return the calendar of working days, with the configured swapped days."""
    return WorkingCalendar(
        CalendarConfig(
            extra_days_off=settings.days(settings.extra_days_off),
            extra_working_days=settings.days(settings.extra_working_days),
        )
    )


def reminder_settings(settings: Settings) -> ReminderSettings:
    """Return when deadline notices go out."""
    return ReminderSettings(
        offsets=settings.offsets(),
        office_time=settings.office_time,
        timezone=settings.tz,
        max_overdue=settings.max_overdue,
    )


def build_application(
    rt: Runtime,
    token: str,
    *,
    journal: UpdateJournal | None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: SendBudget | None = None,
) -> BotApplication:
    """Build the PTB application with our update processor and handlers.

    With a ``journal`` the application polls, and each batch getUpdates returns is stored in
    it (one transaction) before PTB sees any of its updates. Without one it has no updater:
    the webhook feeds it and stores each update before answering Telegram.
    """
    request = AiohttpRequest(
        connections=max(8, rt.settings.workers), on_error=rt.metrics.bot_api_error
    )

    async def read_polled(updates: list[dict[str, Any]]) -> list[Update]:
        assert journal is not None
        return await journal.record_polled(updates, bot)

    # aiohttp, not PTB's default HTTPX: a fraction of the CPU per call (issue 6); and the
    # polled updates read once, by the journal (bot.transport.PollingBot).
    bot = PollingBot(
        token,
        base_url=rt.settings.telegram_api_url,
        base_file_url=rt.settings.telegram_file_url,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        request=request,
        get_updates_request=AiohttpRequest(
            connections=1,
            on_updates=read_polled if journal is not None else None,
            on_error=rt.metrics.bot_api_error,
        ),
    )
    builder = (
        Application.builder().bot(bot).concurrent_updates(ChatOrderedProcessor(rt.settings.workers))
    )
    if journal is None:
        builder = builder.updater(None)
    application = builder.build()
    registry = flows()
    for handler in registry.handlers(rt):
        application.add_handler(handler)
    rt.commands = CommandMenu(registry.listings())
    application.add_error_handler(_log_error)
    rt.sender = OutboxSender(
        application.bot,
        rt.uow,
        rt.clock,
        shared=is_postgresql(rt.settings.database_url),
        budget=budget or SendBudget(rt.settings.send_rate),
        sleep=sleep,
        autocommit_uow=rt.autocommit_uow,
        files=FileMakers(
            PersonalCopies(rt),
            MediaFiles(MediaStore(rt.settings.zalo_media_dir)),
            papers.MeetingPaperMaker(rt),
            report.MonthReportMaker(rt),
        ),
    )
    return application


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what escaped the turns (they apologise to the user themselves), without content."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if error is None:
        log.error("error while handling update %s", update_id)
        return
    log.error(
        "error while handling update %s: %s\n%s", update_id, describe(error), code_trace(error)
    )


async def publish_commands(application: BotApplication, rt: Runtime) -> None:
    """Publish the command menus: residents' by default, each member of staff's in their chat.

    Run at start and every ``directory_refresh`` seconds, so a role granted or revoked by
    another process (``ntvt officers revoke``) or ending on its date changes the menu soon.
    """
    async with rt.uow() as uow:
        grants = await all_grants(uow, Actor.operator())  # the process itself reads them
    changed = await rt.commands.publish(application.bot, rt.renderer, grants, rt.today())
    if changed:
        log.info("command menus published for %d chats", changed)


async def recover(application: BotApplication, rt: Runtime) -> None:
    """Finish what a stopped process left: send queued replies, process stored updates."""
    assert rt.sender is not None
    resent = await rt.sender.flush_all()
    taken = await take_up_stored(application, rt, received_before=None)
    if resent or taken:
        log.info("recovered %d queued replies and %d stored updates", resent, taken)


async def sweep_stored(application: BotApplication, rt: Runtime) -> None:
    """Take up stored updates nobody is processing: left by an outage, or put back."""
    before = rt.clock() - timedelta(seconds=rt.settings.update_sweep)
    taken = await take_up_stored(application, rt, received_before=before)
    if taken:
        log.info("the sweep took up %d stored updates", taken)


async def take_up_stored(
    application: BotApplication, rt: Runtime, *, received_before: datetime | None
) -> int:
    """Queue stored updates waiting for their turn; return how many.

    Each take-up counts an attempt; an update taken up too often (it stopped the process
    each time) is set aside instead, and so is one that cannot be read: neither can stop the
    start. Updates this process has in hand are left alone.
    """
    taken, set_aside = await stored_updates.take_up_stored(
        rt.uow(),
        limit=RECOVERY_BATCH,
        received_before=received_before,
        skip=frozenset(rt.in_hand),
        now=rt.clock(),
    )
    for update_id, reason in set_aside.items():
        log.error("update %s set aside: %s", update_id, reason)
    return await queue_stored(application, rt, taken)


async def queue_stored(
    application: BotApplication, rt: Runtime, taken: Sequence[StoredUpdate]
) -> int:
    """Queue stored updates taken up for processing here; return how many.

    One that cannot be read is set aside instead.
    """
    queued = 0
    for stored in taken:
        read = read_update(stored.payload, application.bot)
        if isinstance(read, Unreadable):
            await stored_updates.set_aside(rt.uow(), stored.update_id, read.reason, rt.clock())
            log.error("update %s set aside: %s", stored.update_id, read.reason)
            continue
        rt.in_hand.add(stored.update_id)
        await application.update_queue.put(read)
        queued += 1
    return queued


async def _every(interval: float, job: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``job`` every ``interval`` seconds, the first time after one interval, until cancelled.

    A failure is logged and the next round comes as usual.
    """
    while True:
        await asyncio.sleep(interval)
        try:
            await job()
        except Exception:
            log.exception("%s failed; trying again in %s s", what, interval)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    *,
    token: str,
    polling: bool,
    clock: Callable[[], datetime] = system_clock,
    poll_timeout: int = 30,
    notices: bool = True,
    broadcasts: bool = True,
    retention: bool = True,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: SendBudget | None = None,
    plan_file: Path | None = None,
    zalo: bool = True,
) -> AsyncIterator[tuple[BotApplication, Runtime]]:
    """Run the bot (polling or fed by the webhook) until the block exits.

    Besides the updates, three loops run: deadline notices (``notices``), the paced sender
    of broadcasts (``broadcasts``), which only the holder of the bulk lease works in, and
    the daily purge of what is kept past its time (``retention``, bot.retention).
    ``sleep`` is how the sender waits out back-offs, ``budget`` the send budget (by default
    ``NTVT_SEND_RATE`` with Telegram's per-chat limits): tests choose their own.
    ``plan_file`` is loaded at start in place of the stored organisation and plan.
    With ``zalo`` and an OA configured, the Zalo side runs too (:mod:`bot.zalo.channel`).
    """
    db = await open_database(settings.database_url, wait=settings.database_wait)
    try:
        rt = await build_runtime(settings, db, clock=clock, token=token, plan_file=plan_file)
        journal = (
            UpdateJournal(
                rt.autocommit_uow or rt.uow,
                rt.clock,
                in_hand=rt.in_hand,
                receiver=this_process(),
            )
            if polling
            else None
        )
        application = build_application(rt, token, journal=journal, sleep=sleep, budget=budget)
        sender = rt.sender
        assert sender is not None
        await application.initialize()
        rt.bot_username = application.bot.username
        try:
            try:
                await publish_commands(application, rt)
            except TelegramError as error:  # Telegram unreachable: the next round tries again
                log.warning("the command menus could not be published yet: %s", describe(error))
            await application.start()
            watch = PeerWatch(
                rt,
                sender,
                functools.partial(queue_stored, application, rt),
                alive_seconds=settings.alive_seconds,
                heartbeat_uow=db.urgent_uow,
            )
            if sender.shared:
                # Before it takes any message for sending or stores any update.
                await sender.say_alive(settings.alive_seconds)
            await recover(application, rt)
            if polling:
                assert application.updater is not None
                await application.updater.start_polling(
                    poll_interval=0,
                    timeout=poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False,
                )
            loops = [
                asyncio.create_task(
                    _every(settings.directory_refresh, rt.refresh_directory, "directory reload")
                ),
                asyncio.create_task(
                    _every(
                        settings.directory_refresh,
                        functools.partial(publish_commands, application, rt),
                        "command menus",
                    )
                ),
                asyncio.create_task(
                    _every(
                        settings.update_sweep,
                        functools.partial(sweep_stored, application, rt),
                        "update sweep",
                    )
                ),
            ]
            if sender.shared:
                loops.append(
                    asyncio.create_task(_every(settings.heartbeat_seconds, watch.beat, "heartbeat"))
                )
            if notices:
                loops.append(
                    asyncio.create_task(
                        notice_loop(rt, rt.calendar, rt.reminders, settings.notice_interval)
                    )
                )
            bulk_request = AiohttpRequest(
                connections=min(500, max(8, int(settings.bulk_rate))),
                on_error=rt.metrics.bot_api_error,
            )
            bulk_bot = Bot(
                token,
                base_url=settings.telegram_api_url,
                base_file_url=settings.telegram_file_url,
                request=bulk_request,
            )
            bulk = rt.bulk = BulkSender(
                rt,
                bulk_bot,
                rate=settings.bulk_rate,
                paid=settings.paid_broadcast,
                lease_seconds=settings.lease_seconds,
                transport=bulk_request,
                budget=sender.budget,
            )
            if broadcasts:
                loops.append(asyncio.create_task(bulk.run()))
            if retention:
                loops.append(asyncio.create_task(RetentionJob(rt).run()))
            try:
                async with contextlib.AsyncExitStack() as channels:
                    if zalo and settings.zalo_enabled:
                        await channels.enter_async_context(ZaloChannel.running(rt, flows()))
                        log.info("the Zalo OA %s is served", settings.zalo_oa_id)
                    yield application, rt
            finally:
                for loop in loops:
                    loop.cancel()
                for loop in loops:
                    with contextlib.suppress(asyncio.CancelledError):
                        await loop
                await bulk_bot.shutdown()
                if polling and application.updater is not None and application.updater.running:
                    await application.updater.stop()
                if journal is not None:
                    await journal.drain()  # a batch the stopped poll was storing
                await application.stop()
                await watch.close()
                await sender.close()
                if sender.shared:
                    with contextlib.suppress(Exception):  # it lapses anyway
                        await sender.say_gone()  # the others take over what is left, now
        finally:
            await application.shutdown()
    finally:
        await db.dispose()


async def run_polling(settings: Settings) -> None:
    """Run the bot with long polling until interrupted (Ctrl+C) or told to stop (SIGTERM).

    On SIGTERM it stops polling, finishes the updates it has and sends their replies, hands
    over what is left and returns: a supervisor's restart loses nothing and repeats nothing.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        async with running_bot(settings, token=settings.token(), polling=True):
            log.info("ntvt-bot is polling; press Ctrl+C to stop")
            await stop.wait()
            log.info("SIGTERM: stopping the poll, finishing the updates in hand")
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
