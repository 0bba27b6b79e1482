"""The database schema as SQLAlchemy 2 typed row classes.

Rows are storage's own; repositories convert them to and from core's domain objects, which
never see SQLAlchemy. Enumerations are kept as their string values (no database enum types),
so adding a status is a code change, not a migration. The schema must match
``storage/migrations/versions``: a test compares them on both backends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names, so a later migration can drop or alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, always given back in UTC.

    PostgreSQL keeps ``timestamptz``. SQLite has no time zones: values are stored as UTC
    without an offset and read back as UTC. Naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Check the value is aware and convert it to UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; times must be aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# A 64-bit surrogate key on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is an alias of the
# rowid that autoincrements, so the same column is INTEGER there (SQLite integers are 64-bit).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """The declarative base of every row class."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class UserRow(Base):
    """A Telegram user the bot has met."""

    __tablename__ = "users"

    # Telegram ids exceed 2**31.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(256))
    language_code: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # When the person corrected the name kept (then Telegram's name no longer replaces it).
    name_chosen_at: Mapped[datetime | None]


class ConsentRow(Base):
    """One tap on "I agree" to one version of the privacy notice."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class NominationRow(Base):
    """A submitted nomination."""

    __tablename__ = "nominations"
    # The officers' queue: one unit's (or a few units') nominations in some states, oldest
    # first. It also serves every lookup by unit_key alone, so unit_key has no index of its own.
    __table_args__ = (
        Index("ix_nominations_unit_key_status_created_at", "unit_key", "status", "created_at"),
        # Every unit's queue in filing order (the office's), read a page at a time.
        Index("ix_nominations_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    nominee_kind: Mapped[str] = mapped_column(String(32))
    nominee_name: Mapped[str] = mapped_column(String(256))
    # core.text.fold of the name: the key that name searches match against.
    nominee_name_key: Mapped[str] = mapped_column(String(256), index=True)
    nominee_role: Mapped[str | None] = mapped_column(String(32))
    # Asked of a student nominee only: under 16 (a child: the name is kept from the public).
    nominee_under_16: Mapped[bool | None] = mapped_column(Boolean)
    unit_key: Mapped[str] = mapped_column(String(128))
    deed: Mapped[str] = mapped_column(Text)
    deed_date: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    nominator_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    nominator_phone: Mapped[str | None] = mapped_column(String(32))
    nominator_anonymous: Mapped[bool] = mapped_column(Boolean)
    campaign_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]
    # The officer handling the case ("claim") and since when; a Telegram user id that, like
    # role_grants.user_id, references no users row.
    handler_id: Mapped[int | None] = mapped_column(BigInteger)
    handled_since: Mapped[datetime | None]
    # Set when status is "merged": the nomination this one was merged into.
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("nominations.id"))
    contact_stopped_at: Mapped[datetime | None]
    # The key of the plan's award form the case is proposed for (core.awards); no foreign
    # key: plans are replaced by reloading their file, cases keep what they were proposed for.
    award_form_key: Mapped[str | None] = mapped_column(String(128))

    evidence: Mapped[list[EvidenceRow]] = relationship(
        order_by="EvidenceRow.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )


class EvidenceRow(Base):
    """A photo or document attached to a nomination, in the order it was sent."""

    __tablename__ = "nomination_evidence"
    __table_args__ = (UniqueConstraint("nomination_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(Text)
    file_unique_id: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str | None] = mapped_column(String(512))
    size: Mapped[int | None] = mapped_column(BigInteger)


class DossierDocumentRow(Base):
    """A file attached to one item of a case's dossier (core.awards.DossierDocument).

    The same file once per item: the unique triple also serves every read of a case's
    documents (it leads with ``nomination_id``). ``added_by`` is a staff member's user id,
    which like ``role_grants.user_id`` references no users row.
    """

    __tablename__ = "dossier_documents"
    __table_args__ = (UniqueConstraint("nomination_id", "item_key", "file_unique_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id", ondelete="CASCADE")
    )
    item_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(Text)
    file_unique_id: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str | None] = mapped_column(String(512))
    size: Mapped[int | None] = mapped_column(BigInteger)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime]


class DialogRow(Base):
    """The guided conversation a chat is in."""

    __tablename__ = "dialogs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    token: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None]


class InboundUpdateRow(Base):
    """A Telegram update as it arrived, kept until (and after) it is processed."""

    __tablename__ = "inbound_updates"
    # A turn looks for its chat's earlier updates still waiting (stored by another process).
    __table_args__ = (Index("ix_inbound_updates_chat_id_processed_at", "chat_id", "processed_at"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    # How many times processing it was tried and did not finish (a failure, a crash).
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set aside ("dead letter"): it cannot be read or failed too often; never retried by
    # itself, never blocking its chat. ``failure`` says why, without the update's content.
    set_aside_at: Mapped[datetime | None] = mapped_column(index=True)
    failure: Mapped[str | None] = mapped_column(Text)
    # The process that stored it and acknowledged it to Telegram (the outbox's
    # ``claimed_by``): if that process dies before processing it, another takes it over.
    received_by: Mapped[str | None] = mapped_column(String(128))


class OutboxRow(Base):
    """A Bot API call waiting to be made, or made."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_chat_id_id", "status", "chat_id", "id"),
        # One message per broadcast and chat: expanding twice cannot send anyone two copies.
        Index("ux_outbox_broadcast_id_chat_id", "broadcast_id", "chat_id", unique=True),
        Index("ix_outbox_broadcast_id_status", "broadcast_id", "status"),
        # Each channel's sender finds its own work; the Zalo edge reads a chat's latest.
        Index("ix_outbox_channel_status_chat_id_id", "channel", "status", "chat_id", "id"),
        Index("ix_outbox_chat_id_id", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    # When the last attempt was made, sent or failed: what a retry's back-off counts from.
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A broadcast's message (paced bulk sending); null for replies and notices.
    broadcast_id: Mapped[int | None] = mapped_column(BigInteger)
    # Why a failed message will never go: blocked, chat_not_found, bad_request, network.
    failure: Mapped[str | None] = mapped_column(String(32))
    # Not attempted again before this: the back-off after a network error.
    retry_at: Mapped[datetime | None]
    # The process ("host:pid") that took it for sending: a new process on the same host puts
    # back what a dead one held, at once, instead of after the stale-claim delay.
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    # Deleted once sent (or once it never can be): the answer to an erasure, which names
    # the chat of a person the database must no longer know.
    forget_when_sent: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Where it goes (core.channels.Channel): each channel's sender sends only its own.
    channel: Mapped[str] = mapped_column(String(16), server_default="telegram")


class AccessRow(Base):
    """One opening of a case's card or files by someone other than its nominator."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_nomination_id_at", "nomination_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    nomination_id: Mapped[int] = mapped_column(BigId)
    viewer_id: Mapped[int] = mapped_column(BigInteger)
    opened: Mapped[str] = mapped_column(String(16))
    contact_shown: Mapped[bool]
    at: Mapped[datetime]
    purpose: Mapped[str] = mapped_column(String(32))


class ErasureReceiptRow(Base):
    """What one erasure removed and kept, as counts and kept case codes: nobody named."""

    __tablename__ = "erasure_receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    erased_at: Mapped[datetime]
    summary: Mapped[dict[str, Any]]


class InquiryRow(Base):
    """A resident's question to the ward (``/lienhe``), and its answer once given."""

    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None]


class DataRequestRow(Base):
    """A resident's request to the standing office (``/yeucau``), its clocks and outcome."""

    __tablename__ = "data_requests"
    __table_args__ = (Index("ix_data_requests_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    acknowledge_due: Mapped[date] = mapped_column(Date)
    done_due: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)
    # The open requests are those without it: the reminders' and the office's list.
    done_at: Mapped[datetime | None] = mapped_column(index=True)
    done_by: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(Text)


class FailedLookupRow(Base):
    """A tracking code someone looked up and did not find: guessing codes is throttled."""

    __tablename__ = "failed_lookups"
    __table_args__ = (Index("ix_failed_lookups_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class BroadcastRow(Base):
    """An announcement to many chats; its messages are the outbox rows with its id."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    send_at: Mapped[datetime | None]
    urgent: Mapped[bool] = mapped_column(Boolean)
    campaign_key: Mapped[str | None] = mapped_column(String(128))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    recipients: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(BigInteger)


class LeaseRow(Base):
    """A job only one process may do at a time, held until ``expires_at`` unless renewed."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


# --- The review -------------------------------------------------------------------------
# User ids here reference no users row: a role can be granted (from the command line) to
# someone who has not written to the bot yet, and an invitation is created before anyone
# uses it.


class RoleGrantRow(Base):
    """A role held by a Telegram user, for one unit (officers) or for all, between two dates."""

    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    role: Mapped[str] = mapped_column(String(32))
    unit_key: Mapped[str | None] = mapped_column(String(128), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime]
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None]


class InvitationRow(Base):
    """A single-use invitation to a role, kept by the SHA-256 hex digest of its code."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    unit_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntryRow(Base):
    """One transition of a nomination: who, when, from, to, the notes and what else it took."""

    __tablename__ = "audit_entries"
    # A month's proposals, which the quota counts (core.compliance.proposed_in_month).
    __table_args__ = (Index("ix_audit_entries_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(BigId, ForeignKey("nominations.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]
    public_note: Mapped[str | None] = mapped_column(Text)
    private_note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


# --- Supporters -------------------------------------------------------------------------
# Unlike the review's user ids above, a supporter's user id references users: supporting is
# done in a conversation with the bot, so the bot has met them.


class SupporterRow(Base):
    """A resident backing a nomination with their own account of the deed and evidence.

    The unique pair is also the index of a nomination's supporters (it leads with
    ``nomination_id``), so that column has no index of its own. ``evidence`` is a JSON list
    of ``core.nomination.Evidence.to_dict()`` in the order the files were sent.
    """

    __tablename__ = "supporters"
    __table_args__ = (UniqueConstraint("nomination_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    nomination_id: Mapped[int] = mapped_column(BigId, ForeignKey("nominations.id"))
    # Serves "what do I support" and the foreign key.
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    account: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[Any]]
    created_at: Mapped[datetime]


# --- The organisation -------------------------------------------------------------------
# Each of units, clusters and campaigns keeps a ``position``: the Organisation lists them in
# the plan file's order, and load() gives them back in that order.


class CouncilRow(Base):
    """The emulation and commendation council (Hội đồng Thi đua - Khen thưởng)."""

    __tablename__ = "councils"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    secretariat_key: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # district or ward (core.org.CouncilLevel); null when the plan file does not say.
    level: Mapped[str | None] = mapped_column(String(16))


class UnitRow(Base):
    """A đơn vị under the council."""

    __tablename__ = "units"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    aliases: Mapped[list[Any]]
    parent_key: Mapped[str | None] = mapped_column(String(128))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # Who took over its area when it ended: a list of {"unit_key", "name", "share", "basis"}.
    successors: Mapped[list[Any]] = mapped_column(server_default=text("'[]'"))


class ClusterRow(Base):
    """A cụm thi đua."""

    __tablename__ = "clusters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(512))
    member_keys: Mapped[list[Any]]
    chief_key: Mapped[str | None] = mapped_column(String(128))
    deputy_key: Mapped[str | None] = mapped_column(String(128))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class CampaignRow(Base):
    """A phong trào thi đua."""

    __tablename__ = "campaigns"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(512))
    theme: Mapped[str] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # Who launched it in chat; null for the plan file's campaigns (a reload replaces those).
    launched_by: Mapped[int | None] = mapped_column(BigInteger)


# --- Plans --------------------------------------------------------------------------------


class PlanRow(Base):
    """A council's yearly plan (Kế hoạch)."""

    __tablename__ = "plans"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    council_key: Mapped[str] = mapped_column(String(128))
    # Its forms of commendation, each a JSON object (see storage.organisation).
    award_forms: Mapped[list[Any]] = mapped_column(server_default=text("'[]'"))

    tasks: Mapped[list[PlanTaskRow]] = relationship(
        order_by="PlanTaskRow.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class PlanTaskRow(Base):
    """One row of a plan's appendix.

    ``lead`` and ``coordinating`` are lists of ``{"unit_key": ...}`` or ``{"group": ...}``;
    ``due`` is the reading of ``due_as_written`` (see ``storage.organisation``), or null.
    """

    __tablename__ = "plan_tasks"

    plan_key: Mapped[str] = mapped_column(
        String(128), ForeignKey("plans.key", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    lead: Mapped[list[Any]]
    coordinating: Mapped[list[Any]]
    due_as_written: Mapped[str] = mapped_column(Text)
    due: Mapped[dict[str, Any] | None]


# --- Deadlines and the emulation plan -----------------------------------------------------
# Obligations are core.deadlines' key strings "plan:task:unit" and occurrences their labels
# ("once", "2018-03", "2018-Q1"); they reference no plan_tasks row, so reloading a plan file
# keeps what was entered and done. User ids reference no users row: an officer may be
# granted a role, and be sent notices, before writing to the bot.


class DeadlineEventRow(Base):
    """The expected date of the event a relative deadline counts back from, per obligation.

    One row per obligation: entering the date again replaces it, with who entered it when.
    """

    __tablename__ = "deadline_events"

    obligation: Mapped[str] = mapped_column(String(300), primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(128))
    event_day: Mapped[date] = mapped_column(Date)
    entered_by: Mapped[int] = mapped_column(BigInteger)
    entered_at: Mapped[datetime]


class DeadlineCompletionRow(Base):
    """One occurrence of an obligation marked done; the first mark is kept."""

    __tablename__ = "deadline_completions"

    obligation: Mapped[str] = mapped_column(String(300), primary_key=True)
    occurrence: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The notices read a whole plan's completions at once.
    plan_key: Mapped[str] = mapped_column(String(128), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    done_by: Mapped[int] = mapped_column(BigInteger)
    done_at: Mapped[datetime]


class TaskDocumentRow(Base):
    """A file a unit filed against one occurrence of a plan's task (core.task_documents).

    The same file once per unit's occurrence: the unique constraint leads with ``plan_key``
    and so also serves reading a plan's documents. Staff's documents, not a resident's
    personal data: erasure and retention leave them alone. ``added_by`` is a staff member's
    user id, which like ``role_grants.user_id`` references no users row.
    """

    __tablename__ = "task_documents"
    __table_args__ = (
        # Named by hand: the convention's name of five columns is longer than PostgreSQL's 63.
        UniqueConstraint(
            "plan_key",
            "task_number",
            "occurrence",
            "unit_key",
            "file_unique_id",
            name="uq_task_documents_file",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(128))
    task_number: Mapped[int] = mapped_column(Integer)
    occurrence: Mapped[str] = mapped_column(String(32))
    unit_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(Text)
    file_unique_id: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str | None] = mapped_column(String(512))
    size: Mapped[int | None] = mapped_column(BigInteger)
    added_by: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime]


class NoticeSentRow(Base):
    """A notice claimed for a recipient: the key that stops it being sent twice."""

    __tablename__ = "notices_sent"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    recipient_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime]


class DigestTimeRow(Base):
    """The local time an officer chose for their daily digest (none: the office time)."""

    __tablename__ = "digest_times"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    digest_at: Mapped[time] = mapped_column(Time)
    changed_at: Mapped[datetime]


class SubscriptionRow(Base):
    """A resident's opt-in to announcements: all, one ward, or one campaign."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class BlockedChatRow(Base):
    """A user who blocked the bot: nothing bulk is sent to them until they unblock it."""

    __tablename__ = "blocked_chats"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    blocked_at: Mapped[datetime]


class YearEndDossierRow(Base):
    """A unit's year-end commendation dossier: the titles it proposes for the year."""

    __tablename__ = "year_end_dossiers"

    unit_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    titles: Mapped[list[Any]]
    filed_by: Mapped[int] = mapped_column(BigInteger)
    filed_at: Mapped[datetime]


class EmulationRegistrationRow(Base):
    """A unit's registration of the emulation titles it aims for in a year (a JSON list)."""

    __tablename__ = "emulation_registrations"

    unit_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    titles: Mapped[list[Any]]
    registered_by: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[datetime]


class ChannelIdentityRow(Base):
    """A person's account on a channel other than Telegram, mapped to our user id.

    No foreign key to ``users``: the mapping is made when the person first writes, before
    the turn that creates their users row (see :mod:`core.identity`).
    """

    __tablename__ = "channel_identities"
    # One account per channel for a user; also the index of "where do I send to this user".
    __table_args__ = (UniqueConstraint("user_id", "channel"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    # When the person last wrote (Zalo's own timestamp): opens the free-messaging window.
    last_inbound_at: Mapped[datetime | None]


class MintedUserIdRow(Base):
    """The sequence minted user ids are made from (core.identity.minted_user_id).

    Never deleted, and AUTOINCREMENT on SQLite: no number is ever given twice, not even
    after the person it went to erased their data.
    """

    __tablename__ = "minted_user_ids"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (SQLAlchemy's own attribute)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    minted_at: Mapped[datetime]


class ZaloTokenRow(Base):
    """A Zalo OA's access token and its single-use refresh token."""

    __tablename__ = "zalo_tokens"

    oa_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime]


class ZaloEventRow(Base):
    """An event Zalo POSTed to the webhook, stored before the 200 (see core.zalo.event_id_of)."""

    __tablename__ = "zalo_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_name: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(index=True)


class CommentWindowRow(Base):
    """A list of cases published for comment before the council meets (core.publicity)."""

    __tablename__ = "comment_windows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    opened_on: Mapped[date]
    closes_on: Mapped[date] = mapped_column(index=True)
    days: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[datetime]


class CommentWindowCaseRow(Base):
    """A case a comment window lists."""

    __tablename__ = "comment_window_cases"
    __table_args__ = (Index("ix_comment_window_cases_nomination_id", "nomination_id"),)

    window_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("comment_windows.id", ondelete="CASCADE"), primary_key=True
    )
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True
    )


class PublicCommentRow(Base):
    """What someone wrote about a listed case: for the standing office only."""

    __tablename__ = "public_comments"
    __table_args__ = (
        Index("ix_public_comments_nomination_id", "nomination_id"),
        Index("ix_public_comments_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    window_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("comment_windows.id", ondelete="CASCADE")
    )
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class ExemplarRow(Base):
    """A commended case made known, with the nominee's consent given through the nominator."""

    __tablename__ = "exemplars"
    __table_args__ = (Index("ix_exemplars_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id", ondelete="CASCADE"), unique=True
    )
    published_at: Mapped[datetime]
    with_photo: Mapped[bool] = mapped_column(Boolean)


# --- The council's meetings and their secret ballot ---------------------------------------
# What is kept of a vote shows the tally and who voted, and nothing that ties the two: a
# ballot row says only that the member's ballot was cast; the counts say only how many chose
# each way. Neither has a time, an id drawn in sequence, or anything written when a vote came
# but the flag and the count (storage/meetings.py). Member ids reference no users row, like
# role_grants.user_id.


class MeetingRow(Base):
    """A sitting of the council: its day, how many members it had, who came, its status."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    council_key: Mapped[str] = mapped_column(String(128))
    day: Mapped[date] = mapped_column(Date)
    # How many members the council had on the day: what a threshold counts against.
    members: Mapped[int] = mapped_column(Integer)
    # The user ids of the members present, sorted.
    present: Mapped[list[Any]]
    opened_by: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)


class MeetingCaseRow(Base):
    """A case put to a meeting with the rule deciding it (exact fractions, "4/5")."""

    __tablename__ = "meeting_cases"

    meeting_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    nomination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("nominations.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[str] = mapped_column(String(32))
    quorum: Mapped[str] = mapped_column(String(32))


class MeetingBallotRow(Base):
    """A member's ballot on a case: cast or not. Never how, never when."""

    __tablename__ = "meeting_ballots"

    meeting_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    nomination_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    cast: Mapped[bool] = mapped_column(Boolean)


class MeetingVoteRow(Base):
    """How many votes a choice got on a case: counts only, with no one's id."""

    __tablename__ = "meeting_votes"

    meeting_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    nomination_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    choice: Mapped[str] = mapped_column(String(16), primary_key=True)
    votes: Mapped[int] = mapped_column(Integer)


class MeetingRecusalRow(Base):
    """A member who does not vote on a case, and why (the minutes name them)."""

    __tablename__ = "meeting_recusals"

    meeting_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    nomination_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(16))
    declared: Mapped[bool] = mapped_column(Boolean)


class MeetingReasonRow(Base):
    """A reason a member gave on a case: no member, no vote, no time; a random key.

    Without SQLite's rowid, so that not even the file's order of rows tells which came first.
    """

    __tablename__ = "meeting_reasons"
    __table_args__ = (
        Index("ix_meeting_reasons_meeting_id", "meeting_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(BigId, ForeignKey("meetings.id", ondelete="CASCADE"))
    nomination_id: Mapped[int] = mapped_column(BigId)
    text: Mapped[str] = mapped_column(Text)


# --- The web desk (core.desk) ---------------------------------------------------------
# Only the SHA-256 of each secret is kept: a link's, and a session's (its cookie's).


class DeskLinkRow(Base):
    """A one-time link to sign in to the web desk, asked for in chat with /web."""

    __tablename__ = "desk_links"
    __table_args__ = (Index("ix_desk_links_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A Telegram user id that, like role_grants.user_id, references no users row.
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DeskSessionRow(Base):
    """A browser signed in to the web desk, until it expires or is ended."""

    __tablename__ = "desk_sessions"
    __table_args__ = (Index("ix_desk_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
