"""The channels a resident can reach the bot on, what each can show, and when it may send.

Telegram is where the bot began; Zalo Official Accounts are where most residents are
(``../shared/REFERENCES.md``). A flow will speak through a channel's :class:`Capabilities`
instead of assuming Telegram: how long a text may be, whether it carries markup, how many
buttons fit and how large their payload, whether a sent message can be edited, whether the
person can be asked for their phone or location, and when a message may be sent at all.

Zalo's figures are as public sources give them, none confirmed by Zalo (the README's "Zalo"
section lists which to check before launch); every one that a ward might have to change is a
parameter of :func:`zalo_capabilities`, fed from the settings:

* no message to a resident between 22:00 and 06:00 Hà Nội time (the API refuses with -234);
* a resident who has not written for 7 days cannot be messaged freely (-230); only a ZNS
  template, approved by Zalo and paid, reaches them then, by their phone number;
* texts of at most 2,000 characters, plain (no markup); a button template of at most 5
  buttons whose ``oa.query.hide`` payload comes back as the resident's text; lists of at most
  5 elements; ``request_user_info`` asks for the phone with the person's consent; nothing
  asks for a location (the person may still send one); a sent message cannot be edited.
  (The text and button limits are assumptions from third-party code, not from Zalo.)

Pure: no I/O, no clock; "now" and the time zone are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum


class Channel(StrEnum):
    """A messaging service a person talks to the bot through."""

    TELEGRAM = "telegram"
    ZALO = "zalo"


class Markup(StrEnum):
    """How a channel reads the text of a message."""

    HTML = "html"  # Telegram's parse_mode=HTML subset
    PLAIN = "plain"  # shown as typed: no tags, no entities


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours during which a channel forbids sending: ``start`` up to ``end``.

    ``start`` is inside the quiet hours, ``end`` is not (22:00 is quiet, 06:00 is not). The
    hours may wrap midnight (22:00–06:00) or not (12:00–13:00); equal hours mean none.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        """Refuse times with a zone: the hours are local wall-clock times."""
        for moment in (self.start, self.end):
            if moment.tzinfo is not None:
                raise ValueError("quiet hours are local times, without a time zone")

    def contains(self, local: time) -> bool:
        """Tell whether the local wall-clock time ``local`` falls in the quiet hours."""
        moment = local.replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def end_after(self, local: datetime) -> datetime:
        """Return the first end of the quiet hours after ``local`` (an aware local datetime)."""
        candidate = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), self.end, tzinfo=local.tzinfo
            )
        return candidate


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one channel can carry, and its rules for when a message may go.

    ``max_buttons``: buttons one message carries (more choices become a numbered list whose
    number or label is typed back). ``max_button_payload``: bytes of the data a button
    carries back. ``max_list_elements``: elements of a list message (0: no such message).
    ``quiet_hours``: local hours nothing may be sent (None: any time). ``free_window``: how
    long after the person's last message the bot may write to them freely (None: no limit);
    after it, only ``template_id`` (a ZNS template, when a ward configured one) reaches them.
    """

    channel: Channel
    max_text_length: int
    markup: Markup
    max_buttons: int
    max_button_label: int
    max_button_payload: int
    max_list_elements: int
    can_edit: bool
    can_request_contact: bool
    can_request_location: bool
    quiet_hours: QuietHours | None = None
    free_window: timedelta | None = None
    template_id: str | None = None

    @property
    def reaches_silent_people(self) -> bool:
        """Tell whether someone outside the free window can still be reached (by template)."""
        return self.free_window is None or self.template_id is not None


# Telegram's limits (REFERENCES.md): 4096 characters, 100 inline buttons, callback_data 1-64
# bytes, a button's text is not limited by the API; the bot keeps labels short anyway.
TELEGRAM = Capabilities(
    channel=Channel.TELEGRAM,
    max_text_length=4096,
    markup=Markup.HTML,
    max_buttons=100,
    max_button_label=64,
    max_button_payload=64,
    max_list_elements=0,
    can_edit=True,
    can_request_contact=True,
    can_request_location=True,
)

ZALO_QUIET_HOURS = QuietHours(time(22, 0), time(6, 0))
ZALO_FREE_WINDOW_DAYS = 7
# Assumptions (third-party client code, not Zalo's documentation): check before launch.
ZALO_MAX_TEXT = 2000
ZALO_MAX_BUTTONS = 5
ZALO_MAX_BUTTON_LABEL = 100
ZALO_MAX_BUTTON_PAYLOAD = 1000
ZALO_MAX_LIST_ELEMENTS = 5


def zalo_capabilities(
    *,
    quiet_hours: QuietHours | None = ZALO_QUIET_HOURS,
    free_window_days: int | None = ZALO_FREE_WINDOW_DAYS,
    template_id: str | None = None,
) -> Capabilities:
    """Return a Zalo OA's capabilities with the ward's (or Zalo's updated) sending rules."""
    if free_window_days is not None and free_window_days < 1:
        raise ValueError("the free window is at least one day")
    return Capabilities(
        channel=Channel.ZALO,
        max_text_length=ZALO_MAX_TEXT,
        markup=Markup.PLAIN,
        max_buttons=ZALO_MAX_BUTTONS,
        max_button_label=ZALO_MAX_BUTTON_LABEL,
        max_button_payload=ZALO_MAX_BUTTON_PAYLOAD,
        max_list_elements=ZALO_MAX_LIST_ELEMENTS,
        can_edit=False,
        can_request_contact=True,  # request_user_info: the person chooses to share
        can_request_location=False,
        quiet_hours=quiet_hours,
        free_window=timedelta(days=free_window_days) if free_window_days is not None else None,
        template_id=template_id or None,
    )


@dataclass(frozen=True, slots=True)
class ChannelIdentity:
    """A person's account on one channel, and our user id for them.

    ``last_inbound_at``: when they last wrote on this channel (from the channel's own
    timestamp), which opens the channel's free-messaging window (:func:`earliest_send`).
    """

    channel: Channel
    external_id: str
    user_id: int
    created_at: datetime
    last_inbound_at: datetime | None = None


def free_window_end(
    last_user_message_at: datetime | None, capabilities: Capabilities
) -> datetime | None:
    """Return the first moment the bot may no longer write freely (None: no such limit).

    A person who never wrote has no window: the moment is the epoch, long past.
    """
    if capabilities.free_window is None:
        return None
    if last_user_message_at is None:
        return datetime.min.replace(tzinfo=UTC)
    _require_aware(last_user_message_at, "last_user_message_at")
    return last_user_message_at + capabilities.free_window


def earliest_send(
    now: datetime,
    last_user_message_at: datetime | None,
    capabilities: Capabilities,
    tz: tzinfo,
) -> datetime | None:
    """Return when a free message to the person may go: ``now``, later, or None.

    Later is the end of the quiet hours (06:00 the next morning on Zalo, in ``tz``: a decision
    taken at 23:00 reaches the resident at 06:00). None means it cannot go freely at all: the
    person's last message is older than the channel's free window (or they never wrote), or
    the window closes before the quiet hours end; it waits until they write again, or goes as
    a template when ``capabilities.template_id`` says one is configured (:func:`route`).

    The window is half-open: a message at exactly ``last + window`` is too late.
    """
    _require_aware(now, "now")
    moment = now
    if capabilities.quiet_hours is not None:
        local = now.astimezone(tz)
        if capabilities.quiet_hours.contains(local.time()):
            moment = capabilities.quiet_hours.end_after(local)
    window_end = free_window_end(last_user_message_at, capabilities)
    if window_end is not None and moment >= window_end:
        return None
    return moment


class Route(StrEnum):
    """How a message to a person goes, given the channel's rules and their last message."""

    NOW = "now"  # free, at once
    LATER = "later"  # free, when the quiet hours end
    TEMPLATE = "template"  # outside the free window: by the configured template (ZNS)
    WAIT = "wait"  # outside the window, no template: kept until the person writes again


def route(
    now: datetime,
    last_user_message_at: datetime | None,
    capabilities: Capabilities,
    tz: tzinfo,
) -> Route:
    """Tell how a message to the person goes now (see :func:`earliest_send`)."""
    when = earliest_send(now, last_user_message_at, capabilities, tz)
    if when is None:
        return Route.TEMPLATE if capabilities.template_id is not None else Route.WAIT
    return Route.NOW if when == now else Route.LATER


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
