"""What every handler needs, built once: settings, database, renderer, clock, sender.

A :class:`Turn` is the processing of one update: one transaction that claims the update,
applies its effects and queues its replies, then the replies are sent from the outbox.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from telegram import Bot, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.commands import CommandMenu
from bot.conversations.incoming import Incoming, read_update
from bot.failures import code_trace, describe, is_database_outage
from bot.keyboards import ButtonSigner, reply_keyboard
from bot.messages import Pressed, locale_of, text_message
from bot.metrics import Metrics
from bot.rendering import N_, Renderer
from bot.search import SearchService
from bot.sender import OutboxSender
from bot.settings import Settings
from bot.transport import call_bot_api
from bot.turn_log import TurnLog
from core.calendar import WorkingCalendar
from core.channels import Channel
from core.deadlines import ReminderSettings
from core.identity import channel_of_chat
from core.inbound import TURN_RETRY_PAUSES, turn_failed
from core.matching import FuzzyMatcher, UnitFinder, UnitMatch
from core.org import Campaign, Council, CouncilLevel, Organisation, Unit, UnitKind
from core.outbox import OutgoingMessage
from core.people import SUPPORTED_LOCALES, User
from core.plan import Plan
from core.ports import UnitOfWork
from core.services import meet_user
from core.text import fold

log = logging.getLogger(__name__)

# How long a turn waits for an earlier update of its chat that another process stored.
ORDER_WAIT = 5.0
ORDER_POLL = 0.05
# A chat with more unsent messages than this is busy anyway: its new replies wait their turn.
UNSENT_LOOKED_AT = 20

MENU_NOMINATE = N_("📝 Đề cử người tốt, việc tốt")
MENU_MINE = N_("📋 Đề cử của tôi")
MENU_STATUS = N_("🔎 Tra cứu đề cử")
MENU_HELP = N_("ℹ️ Hướng dẫn")
MENU_LABELS = (MENU_NOMINATE, MENU_MINE, MENU_STATUS, MENU_HELP)


def system_clock() -> datetime:
    """Return the current instant in UTC."""
    return datetime.now(UTC)


class Directory:
    """The organisation as the conversations use it: units to match, campaigns to offer.

    Loaded from the database at start-up; it changes only when a plan file is loaded.
    """

    def __init__(self, organisation: Organisation | None, plan: Plan | None = None) -> None:
        self.organisation = organisation
        self.plan = plan
        self._all_units = organisation.units if organisation else ()
        self._finder = UnitFinder(organisation)

    def units_on(self, day: date) -> tuple[Unit, ...]:
        """Return the units that existed on ``day`` (none, if none did).

        A deed is filed under the unit where it happened at the time, and only there: a
        unit abolished by then is not offered (:meth:`find` says where its area went).
        """
        return self._finder.units_on(day)

    def matcher_on(self, day: date) -> FuzzyMatcher:
        """Return a matcher over the units of ``day`` (built once per distinct set)."""
        return self._finder.matcher_on(day)

    def find(self, text: str, day: date) -> UnitMatch:
        """Match a resident's words to the units of ``day``, recognising one that ended."""
        return self._finder.find(text, day)

    def council_on(self, day: date) -> Council | None:
        """Return the council that exists on ``day``, if the organisation has it then."""
        return self.organisation.council_on(day) if self.organisation else None

    def ward_level(self, day: date) -> bool:
        """Tell whether the council of ``day`` is a ward's.

        Its units are then residential groups and bodies of the ward, not wards: messages
        say "tổ dân phố" rather than "phường".
        """
        council = self.council_on(day)
        return council is not None and council.level is CouncilLevel.WARD

    def example_unit(self, day: date) -> str | None:
        """Return a unit of ``day`` as a resident would type it (no diacritics), for examples.

        A residential group, else a ward, else any unit but the council's standing office:
        the first short form the plan file gives it.
        """
        council = self.council_on(day)
        secretariat = council.secretariat_key if council else None
        units = [u for u in self.units_on(day) if u.key != secretariat]
        for kind in (UnitKind.RESIDENTIAL_GROUP, UnitKind.WARD, None):
            chosen = next((u for u in units if kind is None or u.kind is kind), None)
            if chosen is not None:
                return fold(chosen.aliases[0] if chosen.aliases else chosen.name)
        return None

    def unit_name(self, key: str) -> str:
        """Return a unit's name, or its key if the plan no longer lists it."""
        unit = self.organisation.find_unit(key) if self.organisation else None
        return unit.name if unit else key

    def unit_index(self, key: str) -> int:
        """Return a unit's position in the plan file (short enough for button data)."""
        return next((i for i, unit in enumerate(self._all_units) if unit.key == key), -1)

    def unit_at(self, index: int) -> Unit | None:
        """Return the unit at a position given by :meth:`unit_index`."""
        return self._all_units[index] if 0 <= index < len(self._all_units) else None

    def campaigns_on(self, day: date) -> tuple[Campaign, ...]:
        """Return the campaigns running on ``day``."""
        return self.organisation.active_campaigns(day) if self.organisation else ()

    def campaign_title(self, key: str) -> str:
        """Return a campaign's title, or its key if unknown."""
        campaign = self.organisation.find_campaign(key) if self.organisation else None
        return campaign.title if campaign else key


class BulkWaker(Protocol):
    """What a turn asks of the paced sender of broadcasts (:class:`bot.bulk.BulkSender`)."""

    def wake(self) -> None:
        """Look for due broadcasts now rather than at the next idle tick."""


@dataclass
class Runtime:
    """The composition root's product, handed to every handler."""

    settings: Settings
    uow: Callable[[], UnitOfWork]
    renderer: Renderer
    directory: Directory
    clock: Callable[[], datetime] = system_clock
    sender: OutboxSender | None = None
    bulk: BulkWaker | None = None  # the paced sender of broadcasts (bot.bulk)
    search: SearchService = field(default_factory=SearchService)
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    # Signs the inline buttons of every message and checks each press (bot.keyboards).
    buttons: ButtonSigner = field(default_factory=ButtonSigner.random)
    # Updates this process has taken to process and not finished: the sweep leaves them.
    in_hand: set[int] = field(default_factory=set)
    metrics: Metrics = field(default_factory=Metrics)  # what /metrics exposes (bot.metrics)
    turn_log: TurnLog = field(default_factory=TurnLog)  # a line per turn in JSON logs
    commands: CommandMenu = field(default_factory=CommandMenu)  # every command, by role
    # Lets deleted data leave the database's files (storage.uow.Database.scrub).
    scrub: Callable[[], Awaitable[bool]] | None = None
    # Units of work for writes of one statement (storage.uow.Database.autocommit_uow).
    autocommit_uow: Callable[[], UnitOfWork] | None = None
    # The Telegram bot's username (for t.me links), known once the bot met Telegram.
    bot_username: str = ""
    # The sender of each other channel, woken when a turn queued messages for it (bot.zalo).
    channel_senders: dict[Channel, Callable[[], None]] = field(default_factory=dict)
    # What processes each other channel's stored inputs, woken when its webhook stored one.
    channel_inputs: dict[Channel, Callable[[], None]] = field(default_factory=dict)

    def today(self) -> date:
        """Return today's date in the council's time zone."""
        return self.clock().astimezone(self.settings.tz).date()

    @functools.cached_property
    def menu_labels(self) -> dict[str, str]:
        """Map every language's menu label, folded, to its message id (computed once)."""
        return {
            fold(self.renderer.text(locale, msgid)): msgid
            for msgid in MENU_LABELS
            for locale in SUPPORTED_LOCALES
        }

    async def refresh_directory(self) -> bool:
        """Take up the organisation and plan as stored now; return True if they changed.

        Another process may have loaded a plan file or launched a campaign in chat: every
        process looks every ``directory_refresh`` seconds (see :func:`bot.app.running_bot`).
        """
        async with self.uow() as uow:
            organisation = await uow.organisation.load()
            plan = await uow.organisation.current_plan()
        if (organisation, plan) == (self.directory.organisation, self.directory.plan):
            return False
        self.directory = Directory(organisation, plan)
        log.info("the organisation or the plan changed: directory reloaded")
        return True

    def handler(
        self, step: Callable[[Turn], Awaitable[None]]
    ) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        """Wrap a turn function as a PTB callback that runs it as one durable turn."""

        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self.run_turn(update, context.bot, step)

        callback.__doc__ = step.__doc__
        callback.__name__ = step.__name__
        return callback

    async def run_turn(
        self, update: Update, bot: Bot, step: Callable[[Turn], Awaitable[None]]
    ) -> None:
        """Claim the update, run ``step`` in one transaction, then send what it queued.

        A turn that raises is tried again after short pauses; one that still fails is set
        aside with one apology to the user, unless the database could not be reached: then
        the update stays stored for the sweep (:func:`bot.app.take_up_stored`).
        """
        chat, sender = update.effective_chat, update.effective_user
        started = time.perf_counter()
        try:
            if chat is None or sender is None:
                await self.mark_processed(update)
                return
            label, outcome = await self._try_turn(update, chat.id, step)
        finally:
            self.in_hand.discard(update.update_id)
        if outcome is None:
            self._turn_ended(update.update_id, chat.id, label, time.perf_counter() - started)
            return
        turn, taken = outcome
        # The button's answer goes out alongside the replies, not before them: the next
        # question reaches the resident one Bot API round trip sooner.
        answering = (
            asyncio.create_task(self._answer_callback(update, bot, turn.callback_notice))
            if turn is not None and update.callback_query is not None
            else None
        )
        try:
            if self.sender is not None:
                await self.sender.deliver(taken)
                sent_at_once = {message.chat_id for message in taken}
                wait = ORDER_WAIT if self.sender.shared else 0.0
                for chat_id in turn.chats_written if turn is not None else [chat.id]:
                    if chat_id not in sent_at_once and channel_of_chat(chat_id) is Channel.TELEGRAM:
                        await self.sender.flush_chat(chat_id, wait=wait)
            if turn is not None and turn.afterwards:
                if self.sender is not None:
                    await self.sender.record()
                for then in turn.afterwards:
                    try:
                        await then()
                    except Exception as error:  # the turn is done; the daily purge retries
                        log.warning("after update %s: %s", update.update_id, describe(error))
        finally:
            if answering is not None:
                await answering
            self._turn_ended(update.update_id, chat.id, label, time.perf_counter() - started)

    def _turn_ended(self, update_id: int, chat_id: int, outcome: str, seconds: float) -> None:
        self.metrics.turn_done(outcome, seconds)
        self.turn_log.done(update_id, self.buttons.pseudonym(chat_id), "telegram", outcome, seconds)

    async def _try_turn(
        self, update: Update, chat_id: int, step: Callable[[Turn], Awaitable[None]]
    ) -> tuple[str, tuple[Turn | None, list[OutgoingMessage]] | None]:
        """Run the turn, again after each pause if it fails.

        Return how it ended (``ok``, ``set_aside``, or ``failed`` when the database could not
        be reached) with the turn and the replies taken for sending, or the apology after the
        last try; None when there is nothing to send.
        """
        tries = len(TURN_RETRY_PAUSES) + 1
        for attempt in range(1, tries + 1):
            try:
                return "ok", await self._turn(update, chat_id, step)
            except Exception as error:
                failure = error
                if attempt < tries:
                    pause = TURN_RETRY_PAUSES[attempt - 1]
                    log.warning(
                        "update %s failed (try %d of %d: %s); trying again in %s s",
                        update.update_id,
                        attempt,
                        tries,
                        describe(failure),
                        pause,
                    )
                    await asyncio.sleep(pause)
        if is_database_outage(failure):
            log.error(
                "update %s stays stored for the sweep: the database cannot be reached (%s)",
                update.update_id,
                describe(failure),
            )
            return "failed", None
        reason = turn_failed(tries, describe(failure))
        log.error("update %s set aside: %s\n%s", update.update_id, reason, code_trace(failure))
        return "set_aside", await self._apologise(update, chat_id, reason)

    async def _turn(
        self, update: Update, chat_id: int, step: Callable[[Turn], Awaitable[None]]
    ) -> tuple[Turn | None, list[OutgoingMessage]] | None:
        """Run the turn once in one transaction; None if the update was processed already."""
        sender = update.effective_user
        assert sender is not None
        async with self.uow() as uow:
            await self._take_chat(uow, chat_id, update.update_id)
            now = self.clock()
            if not await uow.inbound.claim(update.update_id, now):
                log.info("update %s was already processed or set aside", update.update_id)
                return None
            await uow.read_ahead(user_id=sender.id, chat_id=chat_id)
            user = await meet_user(
                uow,
                user_id=sender.id,
                display_name=sender.full_name,
                language_code=sender.language_code,
                now=now,
                update_id=update.update_id,
            )
            turn = Turn(self, update, uow, user, now, chat_id)
            await self.turn_log.note(uow, update.update_id, chat_id, step.__name__)
            await step(turn)
            taken = await turn.queue_replies()
            await uow.commit()
        for then in turn.committed:
            then()
        return turn, taken

    @staticmethod
    async def _take_chat(uow: UnitOfWork, chat_id: int, update_id: int) -> None:
        """Hold the chat for this turn, after its earlier updates (Telegram's order).

        Another process may be in a turn of this chat (the lock waits for it), or may have
        stored an earlier update of it and not processed it yet: then this turn lets go and
        waits for it, up to ``ORDER_WAIT`` (a process that died leaves its update to the
        recovery at the next start).
        """
        for _ in range(int(ORDER_WAIT / ORDER_POLL)):
            shared = await uow.lock_chat(chat_id)
            if not shared or not await uow.inbound.earlier_unprocessed(chat_id, update_id):
                return
            await uow.rollback()
            await asyncio.sleep(ORDER_POLL)
        await uow.lock_chat(chat_id)
        log.warning("update %s of chat %s goes before an earlier one", update_id, chat_id)

    async def _apologise(
        self, update: Update, chat_id: int, reason: str
    ) -> tuple[Turn | None, list[OutgoingMessage]] | None:
        """Set the failed update aside (it would fail again) and say sorry, once.

        Nothing is said if another delivery processed it or set it aside meanwhile.
        """
        sender = update.effective_user
        assert sender is not None
        try:
            async with self.uow() as uow:
                now = self.clock()
                if not await uow.inbound.set_aside(update.update_id, now, reason):
                    return None
                user = await uow.users.get(sender.id) or User(
                    sender.id, sender.full_name, sender.language_code, None, now
                )
                turn = Turn(self, update, uow, user, now, chat_id)
                turn.say("errors/unexpected")
                taken = await turn.queue_replies()
                await uow.commit()
                return turn, taken
        except Exception as error:
            log.error(
                "could not even apologise for update %s: %s", update.update_id, describe(error)
            )
            return None, []

    async def mark_processed(self, update: Update) -> None:
        """Mark an update that no handler takes as processed, so it is not tried again."""
        async with self.uow() as uow:
            await uow.inbound.claim(update.update_id, self.clock())
            await uow.commit()

    @staticmethod
    async def _answer_callback(update: Update, bot: Bot, notice: str | None) -> None:
        query = update.callback_query
        if query is None:
            return
        params: dict[str, Any] = {"callback_query_id": query.id}
        if notice:
            params["text"] = notice[:200]
        try:
            await call_bot_api(bot, "answerCallbackQuery", params)
        except TelegramError as exc:
            # An old query cannot be answered any more; the reply itself was still sent.
            log.info("could not answer callback query %s: %s", query.id, exc)


@dataclass
class Turn:
    """One input being processed: who, where, when, and the replies it queues.

    On Telegram the input is a PTB ``update``; on another channel (Zalo) there is none, and
    the turn is given what the person sent as ``given`` (an :class:`Incoming`) and the text
    they typed as ``said``. The flows read only the neutral parts: :attr:`incoming`,
    :attr:`command_args`, :attr:`pressed`, :attr:`private`.
    """

    rt: Runtime
    update: Update | None
    uow: UnitOfWork
    user: User
    now: datetime
    chat_id: int
    callback_notice: str | None = None
    channel: Channel = Channel.TELEGRAM
    given: Incoming | None = None
    said: str = ""
    # The person's id on a channel other than Telegram (their Zalo id), for what must reach
    # them after their account is forgotten (the answer to an erasure).
    external_id: str | None = None
    replies: list[OutgoingMessage] = field(default_factory=list)
    # What the process does once the turn's transaction is committed (and not if it fails).
    committed: list[Callable[[], None]] = field(default_factory=list)
    # What the process does once the turn's replies went (or were recorded as taken).
    afterwards: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    # The pressed message the next reply to this chat replaces (:meth:`answer_in_place`).
    in_place: Pressed | None = None

    @property
    def locale(self) -> str:
        """Return the language to answer in."""
        return self.user.resolved_locale(self.rt.settings.default_locale)

    @property
    def today(self) -> date:
        """Return today's date in the council's time zone."""
        return self.now.astimezone(self.rt.settings.tz).date()

    @functools.cached_property
    def incoming(self) -> Incoming:
        """Return what the user sent; a button's data only if it was signed for this chat."""
        if self.given is not None:
            return self.given
        assert self.update is not None, "a turn without an update is given its input"
        return read_update(self.update, self.rt.buttons)

    @property
    def command_args(self) -> str:
        """Return what follows the command in the message (``/find nguyen van binh``)."""
        if self.update is not None:
            message = self.update.effective_message
            text = (message.text or "") if message else ""
        else:
            text = self.said
        parts = text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def pressed(self) -> bool:
        """Tell whether the input is a button press (on Zalo: a tapped button's payload)."""
        if self.update is not None:
            return self.update.callback_query is not None
        return self.incoming.kind == "button"

    @property
    def private(self) -> bool:
        """Tell whether the turn is in the person's private chat with the bot.

        A chat of another channel always is (a Zalo OA talks to one person at a time).
        """
        if self.update is None:
            return True
        chat = self.update.effective_chat
        return chat is not None and chat.type == "private"

    def label(self, msgid: str, **params: object) -> str:
        """Translate a button label or other plain text."""
        return self.rt.renderer.text(self.locale, msgid, params or None)

    def say(self, template: str, *, keyboard: dict[str, Any] | None = None, **context: Any) -> None:
        """Queue a message rendered from ``template`` in the user's language."""
        self.say_to(self.chat_id, self.locale, template, keyboard=keyboard, **context)

    def say_to(
        self,
        chat_id: int,
        locale: str,
        template: str,
        *,
        keyboard: dict[str, Any] | None = None,
        **context: Any,
    ) -> None:
        """Queue a message to a chat, rendered in the language of the person reading it.

        The first reply to this chat after :meth:`answer_in_place` replaces the pressed
        message, if it carries no keyboard but inline buttons.
        """
        replacing = None
        if self.in_place is not None and chat_id == self.chat_id:
            pressed, self.in_place = self.in_place, None
            if keyboard is None or "inline_keyboard" in keyboard:
                replacing = pressed
            else:  # a reply keyboard comes only with a new message
                self._remove_buttons(pressed.message_id)
        self.replies.append(
            text_message(
                self.rt.renderer,
                chat_id,
                locale,
                template,
                now=self.now,
                keyboard=keyboard,
                buttons=self.rt.buttons,
                replacing=replacing,
                **context,
            )
        )

    def send_file_to(self, chat_id: int, method: str, params: dict[str, Any]) -> None:
        """Queue a photo or document (named by its file id in ``params``) to a chat."""
        self.replies.append(
            OutgoingMessage(chat_id, method, {"chat_id": chat_id, **params}, self.now)
        )

    def send_file(self, method: str, field_name: str, file_id: str) -> None:
        """Queue a photo or document re-sent by its Telegram file id."""
        params = {"chat_id": self.chat_id, field_name: file_id}
        self.replies.append(OutgoingMessage(self.chat_id, method, params, self.now))

    async def notify(
        self,
        user_id: int,
        template: str,
        *,
        keyboard: dict[str, Any] | None = None,
        **context: Any,
    ) -> None:
        """Queue a notice to a user in their own language (a private chat's id is the user's)."""
        locale = await locale_of(self.uow, user_id, self.rt.settings.default_locale)
        self.say_to(user_id, locale, template, keyboard=keyboard, **context)

    @property
    def chats_written(self) -> list[int]:
        """Return the chats this turn queued messages for, this chat first."""
        others = {reply.chat_id for reply in self.replies} - {self.chat_id}
        return [self.chat_id, *sorted(others)]

    def main_menu(self) -> dict[str, Any]:
        """Return the main menu keyboard in the user's language."""
        labels = [self.label(m) for m in MENU_LABELS]
        return reply_keyboard([labels[:1], labels[1:3], labels[3:]])

    def clear_buttons(self) -> None:
        """Remove the buttons of the message whose button was just pressed."""
        query = self.update.callback_query if self.update is not None else None
        message = query.message if query else None
        if message is None:  # nothing to tidy: no Telegram message was pressed
            return
        self._remove_buttons(message.message_id)

    def _remove_buttons(self, message_id: int) -> None:
        params = {"chat_id": self.chat_id, "message_id": message_id}
        self.replies.append(
            OutgoingMessage(self.chat_id, "editMessageReplyMarkup", params, self.now)
        )

    def answer_in_place(self, *, keep_text: bool = False) -> None:
        """Let this turn's next reply to the chat replace the message whose button was pressed.

        A press then costs two Bot API calls, the answer to the press and one
        ``editMessageText``, where removing the buttons and sending the next question took
        three. The edited text's first line keeps what was chosen ("✓ 👤 Cá nhân");
        ``keep_text`` keeps the message's own text above it too (a summary that must stay
        readable). A reply with a reply keyboard cannot be an edit: the buttons are then
        removed (:meth:`clear_buttons`) and the reply sent as a new message, as is a turn that
        says nothing to the chat. Elsewhere than on Telegram nothing was pressed in place.
        """
        query = self.update.callback_query if self.update is not None else None
        message = query.message if query is not None else None
        if query is None or not isinstance(message, Message):
            self.clear_buttons()
            return
        markup = message.reply_markup
        rows = markup.inline_keyboard if markup is not None else ()
        chosen = next((b.text for row in rows for b in row if b.callback_data == query.data), None)
        if chosen is None or (keep_text and not message.text):
            self.clear_buttons()
            return
        kept = message.text_html if keep_text else None
        self.in_place = Pressed(message.message_id, chosen, kept)

    async def queue_replies(self) -> list[OutgoingMessage]:
        """Write the queued replies to the outbox, in this turn's transaction.

        Return those taken for this process's sender, to send once the turn is committed: the
        replies to every chat with nothing else waiting to go. A chat's replies queue behind
        its earlier messages otherwise.
        """
        if self.in_place is not None:  # nothing was said to the chat: just remove the buttons
            self._remove_buttons(self.in_place.message_id)
            self.in_place = None
        sender = self.rt.sender
        elsewhere = {reply.channel for reply in self.replies} - {Channel.TELEGRAM}
        for channel in elsewhere:  # its own sender sends them, woken once they are stored
            wake = self.rt.channel_senders.get(channel)
            if wake is not None:
                self.committed.append(wake)
        if sender is None:
            await self.uow.outbox.add_many(self.replies, taken_by=None, at=self.now)
            return []
        taken: list[OutgoingMessage] = []
        waiting: list[OutgoingMessage] = []
        for chat_id in self.chats_written:
            replies = [reply for reply in self.replies if reply.chat_id == chat_id]
            if not replies:
                continue
            if replies[0].channel is not Channel.TELEGRAM:
                waiting.extend(replies)
                continue
            unsent = await self.uow.outbox.unsent(chat_id, limit=UNSENT_LOOKED_AT)
            (taken if sender.may_take(chat_id, unsent) else waiting).extend(replies)
        await self.uow.outbox.add_many(waiting, taken_by=None, at=self.now)
        return await self.uow.outbox.add_many(taken, taken_by=sender.name, at=self.now)

    def send_made_file(self, method: str, params: dict[str, Any]) -> None:
        """Queue a file the sender makes as it sends it: ``params`` name it, not hold it.

        See :class:`bot.sender.FileMaker` (a copy of a person's data: :mod:`bot.personal_copy`).
        """
        queued = {"chat_id": self.chat_id, **params}
        self.replies.append(OutgoingMessage(self.chat_id, method, queued, self.now))
