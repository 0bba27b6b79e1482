"""What ``ntvt broadcast`` does: write an announcement for the running bot, follow it, cancel it.

The command line only stores the broadcast (and reports on it); the paced sender inside the
running bot (``ntvt run`` or ``ntvt serve``) expands and delivers it, so there is one sender
at Telegram's rate however many commands are typed. The commands act as the operator
(:meth:`core.roles.Actor.operator`), through the services that check the secretariat in chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.settings import Settings
from core.broadcasting import cancel, create, recipients, report
from core.broadcasts import (
    MAX_CAPTION,
    MAX_PHOTO_BYTES,
    MAX_TEXT,
    Audience,
    AudienceError,
    AudienceKind,
    AudiencePart,
    Broadcast,
    BroadcastFinishedError,
    EmptyMessageError,
    Outcome,
    QuietHours,
    Report,
    UnknownBroadcastError,
    check_text,
    resolve_audience,
)
from core.org import Organisation
from core.roles import Actor
from storage.uow import Database, open_database

LIST_LIMIT = 20
PREVIEW_CHARS = 50

# The photo formats Telegram shows as a photo, by their first bytes.
_PHOTO_MAGIC: tuple[tuple[str, bytes, int], ...] = (
    ("JPEG", b"\xff\xd8\xff", 0),
    ("PNG", b"\x89PNG\r\n\x1a\n", 0),
    ("WebP", b"WEBP", 8),  # after "RIFF" and the size
)


class BroadcastCommandError(Exception):
    """A refusal, as one line for the operator, with the command's exit code.

    2: what was typed cannot be used (a file, an audience, a time); 1: the broadcast's state
    says no (unknown number, finished already).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class NewBroadcast:
    """What the operator typed to create a broadcast."""

    text_file: Path
    audiences: list[str]
    photo_file: Path | None = None
    at: str | None = None
    urgent: bool = False
    campaign: str | None = None


def read_text(path: Path, *, with_photo: bool) -> str:
    """Return the announcement in a UTF-8 file, stripped; refuse an empty or over-long one."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BroadcastCommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte order mark from Notepad is not text
    except UnicodeDecodeError:
        raise BroadcastCommandError(f"{path} is not UTF-8 text") from None
    try:
        return check_text(text, with_photo=with_photo)
    except EmptyMessageError:
        limit = MAX_CAPTION if with_photo else MAX_TEXT
        if not text.strip():
            raise BroadcastCommandError(f"{path} is empty: write the announcement in it") from None
        what = "a photo's caption" if with_photo else "an announcement"
        raise BroadcastCommandError(
            f"{path} has {len(text.strip())} characters; {what} may have at most {limit}"
        ) from None


def read_photo(path: Path) -> bytes:
    """Return a photo's bytes: JPEG, PNG or WebP, at most 10 MB."""
    try:
        size = path.stat().st_size
        if size > MAX_PHOTO_BYTES:
            raise BroadcastCommandError(
                f"{path} is {size / 1024 / 1024:.1f} MB; a photo may be at most "
                f"{MAX_PHOTO_BYTES // 1024 // 1024} MB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BroadcastCommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data:
        raise BroadcastCommandError(f"{path} is empty")
    if not any(data[at : at + len(magic)] == magic for _, magic, at in _PHOTO_MAGIC):
        formats = ", ".join(name for name, _, _ in _PHOTO_MAGIC)
        raise BroadcastCommandError(f"{path} is not a photo Telegram shows: use {formats}")
    return data


def parse_when(text: str, settings: Settings, now: datetime) -> datetime:
    """Read ``--at`` (ISO 8601; local time when it has no offset); refuse the past."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BroadcastCommandError(
            f"--at {text!r} is not a date and time like 2026-05-01T08:00 (ISO 8601)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=settings.tz)
    if when <= now:
        raise BroadcastCommandError(
            f"--at {text} is in the past (it is {_local(now, settings)} in {settings.timezone})"
        )
    return when


async def create_broadcast(settings: Settings, typed: NewBroadcast, *, now: datetime) -> list[str]:
    """Store a broadcast for the running bot to send; return the lines to print."""
    photo = read_photo(typed.photo_file) if typed.photo_file is not None else None
    text = read_text(typed.text_file, with_photo=photo is not None)
    send_at = parse_when(typed.at, settings, now) if typed.at else None
    db = await open_database(settings.database_url)
    try:
        organisation = await _organisation(db)
        audience = _resolve(typed.audiences, organisation)
        campaign_key = _campaign_key(typed.campaign, organisation) if typed.campaign else None
        today = now.astimezone(settings.tz).date()
        async with db.uow() as uow:
            stored = await create(
                uow,
                Broadcast(
                    text,
                    audience,
                    created_at=now,
                    send_at=send_at,
                    urgent=typed.urgent,
                    campaign_key=campaign_key,
                    photo=photo,
                ),
                actor=Actor.operator(),
                today=today,
            )
            reached = await recipients(uow, audience, organisation, today)
            await uow.commit()
    finally:
        await db.dispose()
    quiet = QuietHours(settings.quiet_start, settings.quiet_end, settings.tz)
    return [
        f"ntvt: broadcast {stored.id} created",
        f"audience: {_describe(audience, organisation)}",
        f"recipients now: {len(reached)}",
        f"goes: {_when_it_goes(send_at or now, send_at is None, typed.urgent, quiet, settings)}",
        "the running bot sends it: keep 'ntvt run' or 'ntvt serve' running",
    ]


async def status_lines(settings: Settings, broadcast_id: int) -> list[str]:
    """Return a broadcast's status, counts and times, one fact a line."""
    db = await open_database(settings.database_url)
    try:
        async with db.uow() as uow:
            try:
                result = await report(uow, broadcast_id)
            except UnknownBroadcastError:
                raise BroadcastCommandError(f"no broadcast {broadcast_id}", 1) from None
            organisation = await uow.organisation.load()
    finally:
        await db.dispose()
    b = result.broadcast
    duration = "—"
    if result.duration is not None:
        minutes, seconds = divmod(round(result.duration.total_seconds()), 60)
        duration = f"{minutes} min {seconds} s"
    when = "as soon as possible" if b.send_at is None else _local(b.send_at, settings)
    return [
        f"broadcast {b.id}: {b.status.value}",
        f"text: {_preview(b.text)}" + (" (with a photo)" if b.has_photo else ""),
        f"audience: {_describe(b.audience, organisation)}",
        f"send: {when}" + (" (urgent: also in the quiet hours)" if b.urgent else ""),
        f"recipients: {b.recipients}",
        "  ".join(f"{outcome.value}: {result.count(outcome)}" for outcome in Outcome),
        f"created: {_local(b.created_at, settings)}",
        f"started: {_local(b.started_at, settings)}",
        f"finished: {_local(b.finished_at, settings)}",
        f"duration: {duration}",
    ]


async def cancel_broadcast(settings: Settings, broadcast_id: int) -> list[str]:
    """Cancel a scheduled or running broadcast; return what became of its messages."""
    db = await open_database(settings.database_url)
    try:
        async with db.uow() as uow:
            try:
                cancelled = await cancel(uow, broadcast_id, actor=Actor.operator())
            except UnknownBroadcastError:
                raise BroadcastCommandError(f"no broadcast {broadcast_id}", 1) from None
            except BroadcastFinishedError:
                found = await uow.broadcasts.get(broadcast_id)
                state = found.status.value if found is not None else "finished"
                raise BroadcastCommandError(
                    f"broadcast {broadcast_id} is {state} already: nothing left to cancel", 1
                ) from None
            await uow.commit()
        async with db.uow() as uow:
            counts = await report(uow, broadcast_id)
    finally:
        await db.dispose()
    if cancelled.started_at is None:
        return [f"ntvt: broadcast {broadcast_id} cancelled before it started: nothing was sent"]
    return [f"ntvt: broadcast {broadcast_id} cancelled: {_cancel_counts(counts)}"]


async def list_lines(settings: Settings) -> list[str]:
    """Return the latest broadcasts, newest first, one a line."""
    db = await open_database(settings.database_url)
    try:
        async with db.uow() as uow:
            latest = await uow.broadcasts.recent(limit=LIST_LIMIT)
    finally:
        await db.dispose()
    lines = []
    for b in latest:
        when = b.started_at or b.send_at or b.created_at
        lines.append(
            f"{b.id}\t{b.status.value}\t{_local(when, settings)}\t{b.audience.spec()}\t"
            f"{b.recipients} recipients\t{_preview(b.text)}"
        )
    return lines or ["no broadcasts yet"]


# helpers ------------------------------------------------------------------------------------


async def _organisation(db: Database) -> Organisation:
    async with db.uow() as uow:
        organisation = await uow.organisation.load()
    if organisation is None:
        raise BroadcastCommandError("no plan loaded: run 'ntvt plan load FILE' first")
    return organisation


def _resolve(specs: list[str], organisation: Organisation) -> Audience:
    """Resolve every ``--audience`` (each may hold comma-separated parts) into one audience."""
    try:
        return resolve_audience(",".join(specs), organisation)
    except AudienceError as exc:
        raise BroadcastCommandError(
            f"audience: {exc} (use all, ward:NAME, campaign:KEY, officers:UNIT or cluster:KEY)"
        ) from None


def _campaign_key(typed: str, organisation: Organisation) -> str:
    try:
        part = resolve_audience(f"campaign:{typed}", organisation).parts[0]
    except AudienceError:
        known = ", ".join(c.key for c in organisation.campaigns) or "none"
        raise BroadcastCommandError(f"--campaign: no campaign {typed!r} (known: {known})") from None
    assert part.target is not None
    return part.target


def _describe(audience: Audience, organisation: Organisation | None) -> str:
    return ", ".join(_describe_part(part, organisation) for part in audience.parts)


def _describe_part(part: AudiencePart, organisation: Organisation | None) -> str:
    if part.kind is AudienceKind.SUBSCRIBERS or part.target is None or organisation is None:
        return part.spec()
    name: str | None = None
    if part.kind in (AudienceKind.WARD, AudienceKind.OFFICERS):
        unit = organisation.find_unit(part.target)
        name = unit.name if unit else None
    elif part.kind is AudienceKind.CAMPAIGN:
        campaign = organisation.find_campaign(part.target)
        name = campaign.title if campaign else None
    else:
        cluster = organisation.find_cluster(part.target)
        name = cluster.name if cluster else None
    return part.spec() if name is None else f"{part.spec()} ({name})"


def _when_it_goes(
    at: datetime, now: bool, urgent: bool, quiet: QuietHours, settings: Settings
) -> str:
    if not urgent and quiet.contains(at):
        end = quiet.next_end(at)
        local = end.astimezone(settings.tz)
        return f"after the quiet hours end at {local:%H:%M} on {local:%d/%m/%Y}"
    return "now" if now else f"at {_local(at, settings)}"


def _cancel_counts(result: Report) -> str:
    counted = [
        f"{result.count(Outcome.DELIVERED)} delivered",
        f"{result.count(Outcome.BLOCKED)} blocked",
        f"{result.count(Outcome.FAILED)} failed",
        f"{result.count(Outcome.CANCELLED)} will not be sent",
    ]
    if result.count(Outcome.PENDING):  # taken by the sender just before: may still go
        counted.append(f"{result.count(Outcome.PENDING)} in flight")
    return ", ".join(counted)


def _local(moment: datetime | None, settings: Settings) -> str:
    return "—" if moment is None else f"{moment.astimezone(settings.tz):%d/%m/%Y %H:%M}"


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"
