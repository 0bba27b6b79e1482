"""What the domain needs from storage: repositories and a unit of work.

``storage/`` implements these with SQLAlchemy; tests may implement them in memory. A unit of
work is one transaction: nothing it wrote is kept unless :meth:`UnitOfWork.commit` is called.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from core.codes import TrackingCode
from core.dialog import Dialog
from core.inbound import DeadLetter, StoredUpdate
from core.inquiries import Inquiry
from core.nomination import Nomination, NominationStatus
from core.org import Organisation
from core.outbox import OutgoingMessage
from core.people import Consent, ConsentPurpose, User
from core.plan import Plan
from core.roles import Invitation, RoleGrant
from core.search import SearchEntry

if TYPE_CHECKING:
    from core.broadcasts import Broadcast, Outcome
    from core.org import Campaign
    from core.subscriptions import Scope, Subscription
from core.support import Supporter
from core.workflow import AuditEntry


class UserRepository(abc.ABC):
    """Telegram users the bot has met."""

    @abc.abstractmethod
    async def get(self, user_id: int) -> User | None:
        """Return the user, or None if the bot never met them."""

    @abc.abstractmethod
    async def save(self, user: User) -> None:
        """Insert or update the user."""

    @abc.abstractmethod
    async def locales(self, user_ids: Sequence[int]) -> dict[int, str | None]:
        """Return the language each known user reads (None: the default)."""


class ConsentRepository(abc.ABC):
    """Consents given to the privacy notice."""

    @abc.abstractmethod
    async def add(self, consent: Consent) -> None:
        """Record a consent."""

    @abc.abstractmethod
    async def latest(self, user_id: int, purpose: ConsentPurpose) -> Consent | None:
        """Return the user's most recent consent for ``purpose``."""


class NominationRepository(abc.ABC):
    """Submitted nominations."""

    @abc.abstractmethod
    async def add(self, nomination: Nomination) -> Nomination:
        """Store a new nomination; return it with its id set."""

    @abc.abstractmethod
    async def get_by_code(self, code: TrackingCode) -> Nomination | None:
        """Return the nomination with this tracking code, if any."""

    @abc.abstractmethod
    async def code_exists(self, code: TrackingCode) -> bool:
        """Tell whether a tracking code is already taken."""

    @abc.abstractmethod
    async def list_by_nominator(self, user_id: int, *, limit: int) -> Sequence[Nomination]:
        """Return a resident's own nominations, newest first."""

    @abc.abstractmethod
    async def get(self, nomination_id: int, *, for_update: bool = False) -> Nomination | None:
        """Return a nomination by id; ``for_update`` locks its row until the transaction ends."""

    @abc.abstractmethod
    async def save(self, nomination: Nomination) -> None:
        """Store the changes of an existing nomination (status, handler, merge, evidence)."""

    @abc.abstractmethod
    async def queue(
        self,
        *,
        unit_keys: frozenset[str] | None,
        statuses: frozenset[NominationStatus],
        limit: int,
        offset: int = 0,
    ) -> Sequence[Nomination]:
        """Return nominations of these units (None: all) in these states, oldest first."""

    @abc.abstractmethod
    async def count_by_status(self, *, unit_keys: frozenset[str] | None) -> dict[str, int]:
        """Count nominations per status for these units (None: all)."""

    @abc.abstractmethod
    async def same_nominee(self, *, name_key: str, unit_key: str) -> Sequence[Nomination]:
        """Return nominations whose folded nominee name and unit are these, newest first."""

    @abc.abstractmethod
    async def count_by_unit(self, *, since: datetime, until: datetime) -> dict[str, int]:
        """Count nominations per unit submitted in [since, until)."""

    @abc.abstractmethod
    async def search_entries(self, *, after_id: int, limit: int) -> Sequence[SearchEntry]:
        """Return what the search index needs of nominations with ids above ``after_id``.

        In id order, with each unit's name (or its key if no unit has it), at most ``limit``.
        """

    @abc.abstractmethod
    async def search_entries_by_ids(self, ids: Collection[int]) -> Sequence[SearchEntry]:
        """Return the search entries of these nominations, in any order; unknown ids are left out.

        The same entries as :meth:`search_entries` gives, for showing a page of search hits.
        """

    @abc.abstractmethod
    async def ids_by_code(self, codes: Collection[TrackingCode]) -> dict[TrackingCode, int]:
        """Return the id of the nomination with each of these tracking codes that exists."""


class DialogRepository(abc.ABC):
    """The state of each chat's guided conversation."""

    @abc.abstractmethod
    async def get(self, chat_id: int) -> Dialog | None:
        """Return the chat's dialog, if one is open."""

    @abc.abstractmethod
    async def save(self, dialog: Dialog) -> None:
        """Insert or update the chat's dialog."""

    @abc.abstractmethod
    async def delete(self, chat_id: int) -> None:
        """Close the chat's dialog."""


class OrganisationRepository(abc.ABC):
    """The council, its units, clusters and campaigns, and its plans."""

    @abc.abstractmethod
    async def load(self) -> Organisation | None:
        """Return the organisation, or None before a plan file was loaded."""

    @abc.abstractmethod
    async def replace(self, organisation: Organisation) -> None:
        """Store ``organisation`` in place of the one before (units are updated by key)."""

    @abc.abstractmethod
    async def save_plan(self, plan: Plan) -> None:
        """Insert or replace a plan and its tasks."""

    @abc.abstractmethod
    async def get_plan(self, key: str) -> Plan | None:
        """Return a plan by key."""

    @abc.abstractmethod
    async def current_plan(self) -> Plan | None:
        """Return the plan of the latest year (the last issued if several), or None."""

    @abc.abstractmethod
    async def add_campaign(self, campaign: Campaign, *, launched_by: int | None) -> None:
        """Add a campaign launched in chat; reloading the plan file keeps it."""


class InboundUpdateRepository(abc.ABC):
    """Telegram updates as they arrived: kept before they are processed."""

    @abc.abstractmethod
    async def record(
        self,
        update_id: int,
        payload: dict[str, Any],
        received_at: datetime,
        *,
        chat_id: int | None = None,
    ) -> bool:
        """Store an update (of ``chat_id``); return False if its ``update_id`` was stored."""

    @abc.abstractmethod
    async def record_many(
        self,
        updates: Sequence[tuple[int, dict[str, Any], int | None]],
        received_at: datetime,
        *,
        set_aside: Mapping[int, str] | None = None,
    ) -> set[int]:
        """Store ``(update_id, payload, chat_id)`` updates at once; return the ids new here.

        An update whose ``update_id`` was stored already (or comes earlier in ``updates``)
        is left as it is and its id is not returned. Those in ``set_aside`` (id to reason)
        are stored set aside already: they cannot be read.
        """

    @abc.abstractmethod
    async def earlier_unprocessed(self, chat_id: int, update_id: int) -> bool:
        """Tell whether an update of the chat before ``update_id`` waits to be processed.

        One set aside does not wait: it never blocks its chat.
        """

    @abc.abstractmethod
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Mark the update processed; return False if it already was, or was set aside.

        Called first in the transaction that applies the update's effects, so effects and the
        mark are kept or lost together, and two deliveries of one update apply it once.
        """

    @abc.abstractmethod
    async def unprocessed(self, *, limit: int) -> Sequence[dict[str, Any]]:
        """Return stored updates waiting to be processed (not set aside), oldest first."""

    @abc.abstractmethod
    async def waiting(
        self, *, limit: int, received_before: datetime | None = None
    ) -> Sequence[StoredUpdate]:
        """Return updates waiting to be processed, oldest first, with their attempts.

        Only those received before ``received_before``, if given.
        """

    @abc.abstractmethod
    async def count_attempt(self, update_ids: Sequence[int]) -> None:
        """Count one more attempt at processing each update."""

    @abc.abstractmethod
    async def set_aside(self, update_id: int, now: datetime, reason: str) -> bool:
        """Set a waiting update aside with ``reason``; False if processed or set aside."""

    @abc.abstractmethod
    async def set_aside_updates(self, *, limit: int) -> Sequence[DeadLetter]:
        """Return the updates set aside and not processed since, oldest first."""

    @abc.abstractmethod
    async def count_set_aside(self) -> int:
        """Return how many updates are set aside and not processed since."""

    @abc.abstractmethod
    async def put_back(self, update_id: int) -> bool:
        """Clear an update's set-aside mark (and its attempts); False if it was not set aside."""


class OutboxRepository(abc.ABC):
    """Outgoing Bot API calls, written with the change that causes them."""

    @abc.abstractmethod
    async def add(self, message: OutgoingMessage) -> OutgoingMessage:
        """Queue a message; return it with its id set."""

    @abc.abstractmethod
    async def add_many(
        self, messages: Sequence[OutgoingMessage], *, taken_by: str | None, at: datetime
    ) -> list[OutgoingMessage]:
        """Queue messages in order; return them with their ids set.

        ``taken_by`` (a sender) takes them for sending at ``at`` in the same statement, so
        the sender that will send them at once needs no transaction of its own to claim them.
        """

    @abc.abstractmethod
    async def unsent(self, chat_id: int, *, limit: int) -> list[int]:
        """Return the ids of the chat's messages (not broadcasts') pending or being sent."""

    @abc.abstractmethod
    async def pending(self, *, limit: int, chat_id: int | None = None) -> Sequence[OutgoingMessage]:
        """Return pending messages in id order, for one chat or for all."""

    @abc.abstractmethod
    async def mark_sent(
        self, message_id: int, *, at: datetime, sent_message_id: int | None
    ) -> None:
        """Record that Telegram accepted the message."""

    @abc.abstractmethod
    async def mark_failed(self, message_id: int, *, at: datetime, error: str, final: bool) -> None:
        """Record a failed attempt; ``final`` stops further attempts."""

    @abc.abstractmethod
    async def claim(self, message_id: int, *, at: datetime, by: str | None = None) -> bool:
        """Take a pending message for sending (``by``: the process); False if taken or done.

        Two processes flushing the same chat therefore never send one message twice.
        """

    @abc.abstractmethod
    async def claimers(self) -> set[str]:
        """Return the processes holding messages (not broadcasts') for sending now."""

    @abc.abstractmethod
    async def release_claims(
        self, claimers: Collection[str], *, taken_before: datetime | None = None
    ) -> int:
        """Put back the messages these processes took (they are gone); return how many.

        ``taken_before``: only those taken before then.
        """

    @abc.abstractmethod
    async def sendable(
        self, chat_id: int, *, limit: int, done: Collection[int] = ()
    ) -> Sequence[OutgoingMessage]:
        """Return the chat's pending messages (not broadcasts') in id order.

        None at all while a sender holds one of them: it sends the rest after it, in order.
        ``done``: messages the asking sender has sent but not yet recorded as sent.
        """

    @abc.abstractmethod
    async def release_stale(self, *, older_than: datetime) -> int:
        """Put back messages taken for sending before ``older_than`` (their sender died)."""

    @abc.abstractmethod
    async def add_bulk(self, broadcast_id: int, messages: Sequence[OutgoingMessage]) -> int:
        """Queue one message per chat for a broadcast; return how many rows were written.

        A chat already queued for the broadcast is not queued again.
        """

    @abc.abstractmethod
    async def pending_bulk(
        self, *, limit: int, now: datetime, urgent_only: bool
    ) -> Sequence[OutgoingMessage]:
        """Return pending messages of running broadcasts due for an attempt, in id order."""

    @abc.abstractmethod
    async def claim_many(self, message_ids: Sequence[int], *, at: datetime) -> list[int]:
        """Take pending messages for sending; return the ids taken."""

    @abc.abstractmethod
    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], *, at: datetime) -> None:
        """Record that Telegram accepted each (message id, Telegram's message id)."""

    @abc.abstractmethod
    async def retry_later(self, message_id: int, *, at: datetime, error: str) -> None:
        """Put a message back for another attempt at ``at`` (a network error's back-off)."""

    @abc.abstractmethod
    async def mark_undeliverable(
        self, message_id: int, *, at: datetime, failure: str, error: str
    ) -> None:
        """Record that the message will never go (``failure``: blocked, chat_not_found...)."""

    @abc.abstractmethod
    async def mark_expired(self, message_id: int, *, at: datetime, error: str) -> None:
        """Record that the message is given up: Telegram could not be reached for too long."""

    @abc.abstractmethod
    async def retry_bulk_now(self) -> int:
        """Make the broadcasts' messages waiting out a back-off due now; return how many.

        Telegram answers again after an outage: what waited for it need not wait longer.
        """

    @abc.abstractmethod
    async def release_bulk(self) -> int:
        """Put back every broadcast message taken for sending (its sender is gone)."""

    @abc.abstractmethod
    async def unclaim(self, message_ids: Sequence[int]) -> None:
        """Put back messages taken but not attempted (a pause for flood control)."""

    @abc.abstractmethod
    async def cancel_broadcast(self, broadcast_id: int) -> int:
        """Stop the broadcast's messages not sent yet; return how many."""

    @abc.abstractmethod
    async def broadcast_outcomes(self, broadcast_id: int) -> dict[Outcome, int]:
        """Count the broadcast's messages by outcome."""

    @abc.abstractmethod
    async def broadcast_last_attempt(self, broadcast_id: int) -> datetime | None:
        """Return when the broadcast's last message was attempted."""

    @abc.abstractmethod
    async def backlog(self, *, broadcasts: bool) -> tuple[int, datetime | None]:
        """Return how many messages are unsent and when the oldest of them was queued.

        ``broadcasts``: count the broadcasts' messages; otherwise replies and notices.
        """


class BroadcastRepository(abc.ABC):
    """Announcements to many chats."""

    @abc.abstractmethod
    async def add(self, broadcast: Broadcast) -> Broadcast:
        """Store a broadcast; return it with its id."""

    @abc.abstractmethod
    async def get(self, broadcast_id: int, *, for_update: bool = False) -> Broadcast | None:
        """Return a broadcast, or None."""

    @abc.abstractmethod
    async def save(self, broadcast: Broadcast) -> None:
        """Store the broadcast's status, counts, times and photo file id."""

    @abc.abstractmethod
    async def due(self, now: datetime) -> Sequence[Broadcast]:
        """Return the scheduled broadcasts whose time has come, oldest first."""

    @abc.abstractmethod
    async def running(self) -> Sequence[Broadcast]:
        """Return the broadcasts being delivered."""

    @abc.abstractmethod
    async def recent(self, *, limit: int) -> Sequence[Broadcast]:
        """Return the latest broadcasts, newest first."""


class LeaseRepository(abc.ABC):
    """Named leases: one process at a time does a job (sending bulk messages)."""

    @abc.abstractmethod
    async def acquire(self, name: str, holder: str, *, now: datetime, seconds: float) -> bool:
        """Take or renew the lease until ``now + seconds``; False if another holder has it."""

    @abc.abstractmethod
    async def release(self, name: str, holder: str) -> None:
        """Give the lease up if ``holder`` has it."""

    @abc.abstractmethod
    async def holders(self, prefix: str, *, now: datetime) -> set[str]:
        """Return the holders of the leases named ``prefix…`` that have not expired at ``now``."""


class FailedLookupRepository(abc.ABC):
    """Tracking codes each user looked up and did not find: guessing codes is throttled."""

    @abc.abstractmethod
    async def add(self, user_id: int, at: datetime) -> None:
        """Record that ``user_id`` looked up a code that does not exist."""

    @abc.abstractmethod
    async def since(self, user_id: int, since: datetime) -> list[datetime]:
        """Return when the user's failed lookups after ``since`` happened, oldest first."""

    @abc.abstractmethod
    async def purge(self, *, before: datetime) -> int:
        """Forget every failed lookup before ``before``; return how many."""


class InquiryRepository(abc.ABC):
    """Residents' questions to the ward (``/lienhe``) and their answers."""

    @abc.abstractmethod
    async def add(self, inquiry: Inquiry) -> Inquiry:
        """Store a new question; return it with its number."""

    @abc.abstractmethod
    async def get(self, inquiry_id: int, *, for_update: bool = False) -> Inquiry | None:
        """Return a question by number (locked until the transaction ends if ``for_update``)."""

    @abc.abstractmethod
    async def save(self, inquiry: Inquiry) -> None:
        """Store the answer given to a question."""


class RoleRepository(abc.ABC):
    """Roles granted to users."""

    @abc.abstractmethod
    async def grants_of(self, user_id: int) -> tuple[RoleGrant, ...]:
        """Return every grant of the user, revoked ones included."""

    @abc.abstractmethod
    async def add(self, grant: RoleGrant) -> RoleGrant:
        """Store a grant; return it with its id."""

    @abc.abstractmethod
    async def revoke(self, grant_id: int, *, at: datetime) -> bool:
        """Revoke a grant; return False if it did not exist or was revoked already."""

    @abc.abstractmethod
    async def all(self) -> Sequence[RoleGrant]:
        """Return every grant, newest first."""

    @abc.abstractmethod
    async def holders(self, *, unit_key: str | None) -> Sequence[RoleGrant]:
        """Return grants for ``unit_key`` (officers), or all-unit grants when None."""


class InvitationRepository(abc.ABC):
    """Single-use invitations to a role, stored by the hash of their code."""

    @abc.abstractmethod
    async def add(self, invitation: Invitation) -> Invitation:
        """Store an invitation; return it with its id."""

    @abc.abstractmethod
    async def by_hash(self, code_hash: str) -> Invitation | None:
        """Return the invitation with this code hash, its row locked until the transaction ends."""

    @abc.abstractmethod
    async def mark_used(self, invitation_id: int, *, by: int, at: datetime) -> bool:
        """Mark it used; return False if it already was (a race lost)."""


class AuditRepository(abc.ABC):
    """The history of every nomination."""

    @abc.abstractmethod
    async def add(self, entry: AuditEntry) -> AuditEntry:
        """Store an audit entry; return it with its id."""

    @abc.abstractmethod
    async def history(self, nomination_id: int) -> Sequence[AuditEntry]:
        """Return a nomination's entries, oldest first."""


class SupporterRepository(abc.ABC):
    """Residents backing a nomination."""

    @abc.abstractmethod
    async def add(self, supporter: Supporter) -> Supporter | None:
        """Store a supporter; return None if this user already supports the nomination."""

    @abc.abstractmethod
    async def of(self, nomination_id: int) -> Sequence[Supporter]:
        """Return a nomination's supporters, oldest first."""

    @abc.abstractmethod
    async def is_supporter(self, nomination_id: int, user_id: int) -> bool:
        """Tell whether the user supports the nomination."""

    @abc.abstractmethod
    async def move(self, from_nomination_id: int, to_nomination_id: int) -> int:
        """Re-point supporters to another nomination (a merge); return how many moved.

        A user who already supports the target is dropped from the source instead.
        """

    @abc.abstractmethod
    async def supported_by(self, user_id: int, *, limit: int) -> Sequence[int]:
        """Return the ids of nominations the user supports, newest first."""


class DeadlineRepository(abc.ABC):
    """What the deadline notices need to remember: event dates, completions, notices sent.

    Obligations are named by their key string ``plan:task:unit`` and occurrences by their
    label (``once``, ``2018-03``...), as :mod:`core.deadlines` makes them.
    """

    @abc.abstractmethod
    async def event_days(self, plan_key: str) -> dict[str, date]:
        """Return the expected event dates entered for relative deadlines, by obligation."""

    @abc.abstractmethod
    async def set_event_day(
        self, plan_key: str, obligation: str, day: date, *, by: int, at: datetime
    ) -> None:
        """Enter or change the expected event date of an obligation."""

    @abc.abstractmethod
    async def completions(self, plan_key: str) -> dict[tuple[str, str], date]:
        """Return the day each (obligation, occurrence) was marked done."""

    @abc.abstractmethod
    async def complete(
        self, plan_key: str, obligation: str, occurrence: str, *, on: date, by: int, at: datetime
    ) -> bool:
        """Mark an occurrence done; return False if it already was."""

    @abc.abstractmethod
    async def claim_notice(self, key: str, *, recipient_id: int, at: datetime) -> bool:
        """Record that a notice goes to a recipient; return False if it already went.

        The unique (key, recipient) row is what keeps two processes, or a restart, from
        sending the same notice twice.
        """

    @abc.abstractmethod
    async def register(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record (or replace) a unit's emulation registration for a year."""

    @abc.abstractmethod
    async def registrations(self, year: int) -> dict[str, tuple[tuple[str, ...], datetime]]:
        """Return each registered unit's titles and registration time for a year."""

    @abc.abstractmethod
    async def file_dossier(
        self, unit_key: str, year: int, titles: Sequence[str], *, by: int, at: datetime
    ) -> None:
        """Record (or replace) a unit's year-end commendation dossier for a year."""

    @abc.abstractmethod
    async def dossiers(self, year: int) -> dict[str, tuple[str, ...]]:
        """Return the titles of each unit's year-end dossier for a year."""


class SubscriptionRepository(abc.ABC):
    """Residents' opt-ins to announcements, and chats that blocked the bot."""

    @abc.abstractmethod
    async def add(self, subscription: Subscription) -> bool:
        """Store an opt-in; return False if the same active one exists."""

    @abc.abstractmethod
    async def active_of(self, user_id: int) -> Sequence[Subscription]:
        """Return a user's active subscriptions, oldest first."""

    @abc.abstractmethod
    async def end_all(self, user_id: int, *, at: datetime) -> int:
        """End a user's active subscriptions; return how many."""

    @abc.abstractmethod
    async def set_blocked(self, user_id: int, *, at: datetime | None) -> None:
        """Record that the user blocked the bot (``at``) or unblocked it (None)."""

    @abc.abstractmethod
    async def is_blocked(self, user_id: int) -> bool:
        """Tell whether the user blocked the bot."""

    @abc.abstractmethod
    async def subscribers(self, scopes: Sequence[tuple[Scope, str | None]]) -> set[int]:
        """Return users with an active subscription to any of ``scopes``, blocked ones left out."""

    @abc.abstractmethod
    async def blocked_among(self, user_ids: Sequence[int]) -> set[int]:
        """Return which of the users blocked the bot."""


class UnitOfWork(abc.ABC):
    """One transaction over every repository; rolled back unless committed."""

    users: UserRepository
    consents: ConsentRepository
    nominations: NominationRepository
    dialogs: DialogRepository
    organisation: OrganisationRepository
    inbound: InboundUpdateRepository
    outbox: OutboxRepository
    roles: RoleRepository
    invitations: InvitationRepository
    audit: AuditRepository
    supporters: SupporterRepository
    deadlines: DeadlineRepository
    subscriptions: SubscriptionRepository
    broadcasts: BroadcastRepository
    leases: LeaseRepository
    failed_lookups: FailedLookupRepository
    inquiries: InquiryRepository

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def lock_chat(self, chat_id: int) -> bool:
        """Hold the chat until this transaction ends, so its turns never overlap.

        Return whether other processes may serve the store too (then a turn also looks for
        the chat's earlier updates they stored). Stores one process serves (SQLite, memory)
        need do nothing: the process keeps each chat's order itself.
        """
        return False

    @abc.abstractmethod
    async def probe_write(self, at: datetime) -> None:
        """Write a row and roll the transaction back: raise if the store cannot take a write.

        Everything the transaction wrote before is dropped too. ``at`` dates the probe row.
        """

    @abc.abstractmethod
    async def commit(self) -> None:
        """Keep everything written since the transaction began."""

    @abc.abstractmethod
    async def rollback(self) -> None:
        """Drop everything not committed."""
