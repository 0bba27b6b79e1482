"""Zalo events as turns of the flows: what a person did on Zalo, answered like on Telegram.

The webhook stores each event before answering Zalo (:mod:`bot.zalo.webhook`); this module
processes the stored events, each in one transaction (as Telegram's turns): it claims the
event, maps the person to our user id (:func:`bot.zalo.inbound.take_event`), reads what they
did as an :class:`~bot.conversations.incoming.Incoming` and hands it to the same flows
(:meth:`bot.flows.Flows.take`), whose replies are queued in the outbox for the Zalo sender.

What a Zalo person sends becomes the flows' input:

* a text; a tapped button's payload (``#`` and the button's data, signed for this chat as
  on Telegram: a forged or foreign one is a stale press); the number or the label of one of
  the choices last offered, when Zalo could not show them all as buttons
  (:func:`bot.zalo.render.choice_typed`);
* a photo or a file, copied at once into the media store (Zalo's URLs expire) and named by
  a media file id; nothing is downloaded for a person who has not agreed to the notice;
* a location; their phone shared through ``request_user_info`` (a contact of their own);
* the first thing a person the bot never met sends is ``/start``; following the OA says
  nothing, unfollowing stops bulk messages to them.

One person's events are processed one after another in Zalo's order; different persons'
at once. An event whose turn keeps failing is set aside (claimed, with an apology), never
retried forever; one the database could not take stays stored for the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.conversations.incoming import Incoming, read_button, typed
from bot.failures import code_trace, describe, is_database_outage
from bot.flows import Flows
from bot.runtime import Runtime, Turn
from bot.waiting import woken
from bot.zalo.client import ZaloClient, ZaloError, ZaloMediaGone
from bot.zalo.inbound import InputKind, MediaRef, ZaloInput, read_input, take_event
from bot.zalo.media import MediaStore, StoredMedia, media_file_id
from bot.zalo.render import Choice, choice_typed, choices_of, data_of_payload
from core.channels import Channel
from core.inbound import TURN_RETRY_PAUSES, turn_failed
from core.nomination import Evidence, EvidenceKind, GeoPoint
from core.outbox import OutgoingMessage
from core.people import User
from core.ports import UnitOfWork
from core.services import has_consent, meet_user, note_blocked
from core.zalo import FOLLOW, UNFOLLOW, ZaloEvent

log = logging.getLogger(__name__)

# Events read per pass; persons served at once.
BATCH = 200
CONCURRENT_PEOPLE = 8
# How often stored events are looked for without a wake-up (another process stored them).
POLL_SECONDS = 1.0
# The messages looked through for the choices last offered.
RECENT_MESSAGES = 10
# Zalo gives no language: the council's default serves until the person picks one (/lang).
ZALO_LANGUAGE: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """The media of an event, copied into the store before its turn (None: not copied)."""

    stored: StoredMedia | None
    kind: EvidenceKind


class ZaloTurns:
    """Processes stored Zalo events as turns, and wakes the Zalo sender for their replies.

    ``client`` downloads what people send (None: nothing is downloaded; a photo is read
    as something the bot cannot take); ``media`` keeps it; ``max_bytes`` caps one file.
    """

    def __init__(
        self,
        rt: Runtime,
        flows: Flows,
        *,
        client: ZaloClient | None,
        media: MediaStore,
        max_bytes: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._rt = rt
        self._flows = flows
        self._client = client
        self._media = media
        self._max_bytes = max_bytes
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._people = asyncio.Semaphore(CONCURRENT_PEOPLE)

    def wake(self) -> None:
        """Look for stored events now (the webhook stored one)."""
        self._wake.set()

    async def run(self) -> None:
        """Process stored events until cancelled: at each wake-up, else every second."""
        while True:
            self._wake.clear()
            try:
                while await self.process_waiting() >= BATCH:
                    pass
            except Exception as error:  # the database is away: the next pass tries again
                log.warning("Zalo events could not be processed now: %s", describe(error))
            await woken(self._wake, POLL_SECONDS)

    async def process_waiting(self) -> int:
        """Process the events stored and not processed yet; return how many were read."""
        async with self._rt.uow() as uow:
            events = await uow.zalo_events.waiting(limit=BATCH)
        by_person: dict[str, list[ZaloEvent]] = {}
        for event in events:
            by_person.setdefault(event.sender_id or event.event_id, []).append(event)
        await asyncio.gather(*(self._person(queue) for queue in by_person.values()))
        return len(events)

    async def _person(self, events: Sequence[ZaloEvent]) -> None:
        async with self._people:
            for event in events:
                if not await self.process(event):
                    return  # the database is away: their later events wait with it

    async def process(self, event: ZaloEvent) -> bool:
        """Process one stored event; False if the database could not be reached.

        A turn that raises is tried again after short pauses, then set aside with one
        apology; the event then counts as processed.
        """
        started = time.perf_counter()
        fetched = await self._fetch(event)
        tries = len(TURN_RETRY_PAUSES) + 1
        for attempt in range(1, tries + 1):
            try:
                await self._turn(event, fetched)
                self._ended(event, "ok", started)
                return True
            except Exception as error:
                failure = error
                if attempt < tries:
                    log.warning(
                        "Zalo event %s failed (try %d of %d: %s)",
                        event.event_id,
                        attempt,
                        tries,
                        describe(error),
                    )
                    await self._sleep(TURN_RETRY_PAUSES[attempt - 1])
        if is_database_outage(failure):
            log.error("Zalo event %s stays stored: %s", event.event_id, describe(failure))
            self._ended(event, "failed", started)
            return False
        reason = turn_failed(tries, describe(failure))
        log.error("Zalo event %s set aside: %s\n%s", event.event_id, reason, code_trace(failure))
        await self._set_aside(event)
        self._ended(event, "set_aside", started)
        return True

    def _ended(self, event: ZaloEvent, outcome: str, started: float) -> None:
        """Log the event's turn (JSON logs: :mod:`bot.turn_log`)."""
        chat = self._rt.buttons.pseudonym(event.sender_id or event.event_id)
        seconds = time.perf_counter() - started
        self._rt.turn_log.done(event.event_id, chat, "zalo", outcome, seconds)

    async def _turn(self, event: ZaloEvent, fetched: Fetched | None) -> None:
        rt = self._rt
        async with rt.uow() as uow:
            now = rt.clock()
            given = await take_event(uow, event)
            if given is None:
                await uow.zalo_events.claim(event.event_id, at=now)
                await uow.commit()
                return
            await uow.lock_chat(given.user_id)
            if await uow.zalo_events.earlier_waiting(event):
                return  # another process holds their earlier one: this waits for the next pass
            if not await uow.zalo_events.claim(event.event_id, at=now):
                return  # another process did it
            if event.event_name in (FOLLOW, UNFOLLOW):
                # Nothing is said (Zalo may not let the OA write before the person did);
                # unfollowing stops bulk messages, following again lets them go.
                blocked = event.event_name == UNFOLLOW
                await note_blocked(uow, given.user_id, blocked=blocked, now=now)
                await uow.commit()
                return
            # They wrote: what waited for them (Zalo's free window had closed) may go; the
            # sender is woken once the turn is committed, as for its replies.
            await uow.outbox.release_waiting(given.user_id)
            first = await uow.users.get(given.user_id) is None
            user = await self._meet(uow, given, now)
            incoming = await self._incoming(uow, given, fetched)
            turn = Turn(
                rt,
                None,
                uow,
                user,
                now,
                given.user_id,
                channel=Channel.ZALO,
                given=incoming,
                said=given.text,
                external_id=given.external_id,
            )
            await rt.turn_log.note(uow, event.event_id, given.user_id, event.event_name)
            await self._step(turn, first=first)
            await turn.queue_replies()
            await uow.commit()
        for then in turn.committed:
            then()
        wake = rt.channel_senders.get(Channel.ZALO)
        if wake is not None:
            wake()
        await self._flush_telegram(turn)
        for after in turn.afterwards:
            try:
                await after()
            except Exception as error:  # the turn is done; the daily purge retries
                log.warning("after Zalo event %s: %s", event.event_id, describe(error))

    async def _step(self, turn: Turn, *, first: bool) -> None:
        """Run the flows' routing, or ``/start`` for someone new.

        Zalo has no ``/start``: whatever a person the bot never met sends first is answered
        with the welcome and the privacy notice.
        """
        start = self._flows.command_step("start") if first else None
        await (start or self._flows.take)(turn)

    async def _flush_telegram(self, turn: Turn) -> None:
        """Send what the turn queued for Telegram chats (an officer told of a question)."""
        sender = self._rt.sender
        if sender is None:
            return
        for chat_id in turn.chats_written:
            if any(r.chat_id == chat_id and r.channel is Channel.TELEGRAM for r in turn.replies):
                await sender.flush_chat(chat_id, wait=0.0)

    async def _meet(self, uow: UnitOfWork, given: ZaloInput, now: datetime) -> User:
        """Return the user; Zalo gives a name only with a shared phone (kept after consent)."""
        stored = await uow.users.get(given.user_id)
        name = given.name or (stored.display_name if stored else "")
        return await meet_user(
            uow, user_id=given.user_id, display_name=name, language_code=ZALO_LANGUAGE, now=now
        )

    async def _incoming(
        self, uow: UnitOfWork, given: ZaloInput, fetched: Fetched | None
    ) -> Incoming:
        """Return what the person did as the flows read it."""
        if given.kind is InputKind.TEXT:
            return await self._typed(uow, given)
        if given.kind in (InputKind.PHOTO, InputKind.FILE):
            if fetched is None or fetched.stored is None:
                return Incoming("other")
            stored = fetched.stored
            evidence = Evidence(
                fetched.kind, media_file_id(stored.key), stored.key, stored.name, stored.size
            )
            if fetched.kind is EvidenceKind.PHOTO:
                return Incoming("photo", evidence=evidence)
            return Incoming("document", evidence=evidence)
        if given.kind is InputKind.LOCATION and given.latitude is not None:
            assert given.longitude is not None
            return Incoming("location", location=GeoPoint(given.latitude, given.longitude))
        if given.kind is InputKind.CONTACT and given.phone:
            return Incoming("contact", phone=given.phone, contact_is_own=True)
        return Incoming("other")

    async def _typed(self, uow: UnitOfWork, given: ZaloInput) -> Incoming:
        """Return a text: a tapped button's press, a choice typed back, or what was typed."""
        data = data_of_payload(given.text)
        if data is not None:
            verified = self._rt.buttons.verify(given.user_id, data)
            return read_button(verified) if verified is not None else Incoming("button")
        offered = await self._offered(uow, given.user_id)
        choice = choice_typed(given.text, offered) if offered else None
        if choice is None:
            return typed(given.text)
        if choice.data is None:
            return typed(choice.label)
        verified = self._rt.buttons.verify(given.user_id, choice.data)
        return read_button(verified) if verified is not None else Incoming("button")

    @staticmethod
    async def _offered(uow: UnitOfWork, chat_id: int) -> list[Choice]:
        """Return the choices of the latest message to the chat that offered any."""
        recent: Sequence[OutgoingMessage] = await uow.outbox.recent(chat_id, limit=RECENT_MESSAGES)
        for message in recent:
            if message.method in ("sendMessage", "editMessageText"):
                choices = choices_of(message.params)
                if choices:
                    return choices
        return []

    async def _fetch(self, event: ZaloEvent) -> Fetched | None:
        """Copy the event's photo or file into the media store, if the person agreed.

        Nothing is downloaded for a person who has not agreed to the privacy notice (the
        flows ask for it first), nor for an event that carries no media.
        """
        if self._client is None or event.sender_id is None:
            return None
        given = read_input(event, 0)  # who they are is not needed to read the media
        if given.kind not in (InputKind.PHOTO, InputKind.FILE) or not given.media:
            return None
        kind = EvidenceKind.PHOTO if given.kind is InputKind.PHOTO else EvidenceKind.DOCUMENT
        async with self._rt.uow() as uow:
            known = await uow.identities.get(Channel.ZALO, event.sender_id)
            agreed = known is not None and await has_consent(uow, known.user_id)
        if not agreed:
            return Fetched(None, kind)
        return Fetched(await self._download(given.media[0]), kind)

    async def _download(self, ref: MediaRef) -> StoredMedia | None:
        """Download one photo or file, trying again after a failure; None if it cannot be."""
        assert self._client is not None
        for pause in (*TURN_RETRY_PAUSES, None):
            try:
                return await self._client.download(
                    ref.url, self._media, name=ref.name, max_bytes=self._max_bytes
                )
            except ZaloError as error:
                log.warning("a Zalo file could not be copied: %s", describe(error))
                if pause is None or isinstance(error, ZaloMediaGone):
                    return None
                await self._sleep(pause)
        return None

    async def _set_aside(self, event: ZaloEvent) -> None:
        """Count the event processed and say sorry once; nothing if the database is away."""
        rt = self._rt
        try:
            async with rt.uow() as uow:
                now = rt.clock()
                given = await take_event(uow, event)
                if not await uow.zalo_events.claim(event.event_id, at=now) or given is None:
                    await uow.commit()
                    return
                user = await uow.users.get(given.user_id) or User(
                    given.user_id, "", None, None, now
                )
                turn = Turn(
                    rt,
                    None,
                    uow,
                    user,
                    now,
                    given.user_id,
                    channel=Channel.ZALO,
                    given=Incoming("other"),
                )
                turn.say("errors/unexpected")
                await turn.queue_replies()
                await uow.commit()
            for then in turn.committed:
                then()
        except Exception as error:
            log.error("could not set Zalo event %s aside: %s", event.event_id, describe(error))
