"""The secretariat writes an announcement, or launches a campaign with one, step by step.

The dialog's state lives in its row (``bot.conversations.dialogs``): the text or photo, the
audience as a spec (``ward:KEY,ward:KEY``), the urgency, the time chosen and, for a launch,
the campaign's details. Nothing is stored as a broadcast, and no campaign is added, until the
officer confirms the preview: then both are written in the turn's transaction.

Every button carries the dialog's token: a button of an earlier step is refused and the
current question is asked again.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.bulk import quiet_hours, render_broadcast
from bot.conversations.common import (
    BACK,
    SKIP,
    TODAY,
    Problem,
    cancel_button,
    nav_button,
    typed_text,
)
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Directory, Turn
from core.broadcasting import announce, recipients
from core.broadcasts import (
    MAX_CAPTION,
    MAX_TEXT,
    Audience,
    AudienceKind,
    Broadcast,
    CampaignDraft,
    EmptyMessageError,
    check_text,
    may_broadcast,
)
from core.dialog import Dialog
from core.errors import DomainError
from core.org import Campaign, Cluster
from core.outbox import OutgoingMessage
from core.review import actor_for
from core.text import clean_text, fold

FLOW = "bc"

ALL_LABEL = N_("👥 Tất cả người đăng ký")
WARD_LABEL = N_("🏘 Người đăng ký theo phường")
CAMPAIGN_LABEL = N_("🏁 Người đăng ký theo phong trào")
OFFICERS_LABEL = N_("🧑‍💼 Cán bộ của đơn vị")
CLUSTER_LABEL = N_("🤝 Cán bộ của cụm thi đua")
SEND_NOW = N_("📤 Gửi ngay")
CONFIRM_SCHEDULE = N_("✅ Xác nhận hẹn giờ")
SCHEDULE = N_("🕘 Hẹn giờ")
URGENT = N_("⚠️ Khẩn (gửi cả giờ nghỉ)")
NOT_URGENT = N_("☑️ Khẩn: bỏ đánh dấu")
CHANGE_AUDIENCE = N_("👥 Đổi người nhận")
STALE = N_("Nút này thuộc một bước đã qua.")

AUDIENCE_LABELS = {
    AudienceKind.SUBSCRIBERS: ALL_LABEL,
    AudienceKind.WARD: WARD_LABEL,
    AudienceKind.CAMPAIGN: CAMPAIGN_LABEL,
    AudienceKind.OFFICERS: OFFICERS_LABEL,
    AudienceKind.CLUSTER: CLUSTER_LABEL,
}
# Steps of a launch, before the announcement itself.
LAUNCH_STEPS = ("title", "theme", "starts", "ends", "description")
TITLE_MAX = 200
THEME_MAX = 100
DESCRIPTION_MAX = 1000
PICK_MAX = 20  # campaigns or clusters offered as buttons
MAX_NAMES = 20  # wards or units typed in one audience

_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_MOMENT = re.compile(r"^(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s+)?(\d{1,2})\s*[:hg.]\s*(\d{2})$")


async def start(turn: Turn, *, launch: bool) -> None:
    """Open the dialog: the announcement's text, or first the campaign to launch."""
    data: dict[str, Any] = {
        "text": None,
        "photo": None,
        "audience": None,
        "urgent": False,
        "send_at": None,
        "campaign": {} if launch else None,
    }
    dialog = await open_dialog(turn, FLOW, LAUNCH_STEPS[0] if launch else "text", data)
    await _ask(turn, dialog, problem=None)


async def cancel(turn: Turn, dialog: Dialog) -> None:
    """Leave the dialog without storing anything (``/cancel`` or the ✖️ button)."""
    kept = await close_dialog(turn, dialog)
    turn.say("broadcasts/compose_cancelled", draft_kept=kept)


async def handle(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the answer to the current step, then ask the next question (or send)."""
    if incoming.kind == "button":
        if incoming.token != dialog.token:
            turn.callback_notice = turn.label(STALE)
            # Not in place: the pressed message is an earlier step's, not the last one.
            turn.clear_buttons()
            await _ask(turn, dialog, problem="input.stale_button")
            return
        # What was sent stays readable above its number; a preview changed (urgent or not)
        # simply replaces the one pressed.
        turn.answer_in_place(keep_text=dialog.step == "preview" and incoming.action == "send")
        if incoming.action == "cancel":
            await cancel(turn, dialog)
            return
        if incoming.action == "send" and dialog.step == "preview":
            await _send(turn, dialog)
            return
    try:
        show_announcement = _take(turn, dialog, incoming)
    except Problem as problem:
        await _ask(turn, dialog, problem=problem.code, params=problem.params)
        return
    dialog.move_to(dialog.step, turn.now)
    await turn.uow.dialogs.save(dialog)
    await _ask(turn, dialog, problem=None, show_announcement=show_announcement)


# taking answers ---------------------------------------------------------------------------


def _take(turn: Turn, dialog: Dialog, incoming: Incoming) -> bool:
    """Store the answer and move ``dialog.step`` on; return whether to show the preview anew."""
    step, data = dialog.step, dialog.data
    button = incoming.action if incoming.kind == "button" else None
    if step in LAUNCH_STEPS:
        _take_launch(turn, dialog, incoming, button)
        return False
    if step == "text":
        _take_text(turn, data, incoming)
        if data["audience"] is None and data["campaign"] is None:
            dialog.step = "audience"
            return False
        data["audience"] = data["audience"] or AudienceKind.SUBSCRIBERS.value
        dialog.step = "preview"
        return True
    if step == "audience":
        return _take_audience_kind(turn, dialog, button, incoming.arg)
    if button == "back":
        dialog.step = "preview" if step == "when" else "audience"
        return False
    if step in ("wards", "units"):
        kind = AudienceKind.WARD if step == "wards" else AudienceKind.OFFICERS
        keys = _typed_units(turn, typed_text(incoming))
        data["audience"] = ",".join(f"{kind.value}:{key}" for key in keys)
        dialog.step = "preview"
        return True
    if step in ("campaign", "cluster"):
        if button != "pick" or not (incoming.arg or "").isdigit():
            raise Problem("input.use_buttons")
        choices = _campaigns(turn) if step == "campaign" else _clusters(turn)
        index = int(incoming.arg or 0)
        if index >= len(choices):
            raise Problem("input.use_buttons")
        kind = AudienceKind.CAMPAIGN if step == "campaign" else AudienceKind.CLUSTER
        data["audience"] = f"{kind.value}:{choices[index].key}"
        dialog.step = "preview"
        return True
    if step == "when":
        moment = _parse_moment(typed_text(incoming), turn)
        data["send_at"] = moment.isoformat()
        dialog.step = "preview"
        return False
    if step == "preview":
        if button == "urgent":
            data["urgent"] = not data["urgent"]
            return False
        if button == "schedule":
            dialog.step = "when"
            return False
        if button == "audience":
            dialog.step = "audience"
            return False
    raise Problem("input.use_buttons")


def _take_launch(turn: Turn, dialog: Dialog, incoming: Incoming, button: str | None) -> None:
    step, campaign = dialog.step, dialog.data["campaign"]
    if step == "theme" and button == "skip":
        campaign["theme"] = ""
    elif step == "ends" and button == "skip":
        campaign["ends"] = None
    elif step == "starts" and button == "today":
        campaign["starts"] = turn.today.isoformat()
    elif step == "title":
        campaign["title"] = _short_text(incoming, TITLE_MAX, minimum=3, code="campaign.title")
    elif step == "theme":
        campaign["theme"] = _short_text(incoming, THEME_MAX)
    elif step == "starts":
        campaign["starts"] = _parse_day(typed_text(incoming), turn.today).isoformat()
    elif step == "ends":
        ends = _parse_day(typed_text(incoming), turn.today)
        starts = date.fromisoformat(campaign["starts"])
        if ends < starts:
            raise Problem("campaign.ends_before", day=starts)
        if ends < turn.today:
            raise Problem("campaign.ends_past")
        campaign["ends"] = ends.isoformat()
    elif step == "description":
        campaign["description"] = _short_text(incoming, DESCRIPTION_MAX)
    else:
        raise Problem("input.use_buttons")
    following = LAUNCH_STEPS.index(step) + 1
    dialog.step = LAUNCH_STEPS[following] if following < len(LAUNCH_STEPS) else "text"


def _take_text(turn: Turn, data: dict[str, Any], incoming: Incoming) -> None:
    if incoming.kind == "photo" and incoming.evidence is not None:
        message = turn.update.effective_message if turn.update is not None else None
        caption = clean_text((message.caption if message else None) or "", max_len=MAX_CAPTION)
        data["text"] = _checked(caption.text, with_photo=True)
        data["photo"] = incoming.evidence.file_id
    elif incoming.kind == "text" and incoming.text is not None:
        message = turn.update.effective_message if turn.update is not None else None
        # What was read is cut past the longest answer; say how long the message really was.
        typed = message.text if message and message.text else incoming.text
        if len(typed.strip()) > MAX_TEXT:
            raise Problem("broadcast.too_long", length=len(typed.strip()), limit=MAX_TEXT)
        data["text"] = _checked(incoming.text, with_photo=False)
        data["photo"] = None
    else:
        raise Problem("broadcast.text_or_photo", text=MAX_TEXT, caption=MAX_CAPTION)


def _checked(text: str, *, with_photo: bool) -> str:
    try:
        return check_text(text, with_photo=with_photo)
    except EmptyMessageError as error:
        length = len(text.strip())
        if not length:
            raise Problem("broadcast.empty") from error
        limit = MAX_CAPTION if with_photo else MAX_TEXT
        raise Problem("broadcast.too_long", length=length, limit=limit) from error


def _take_audience_kind(turn: Turn, dialog: Dialog, button: str | None, arg: str | None) -> bool:
    if button != "kind" or arg not in {kind.value for kind in AudienceKind}:
        raise Problem("input.use_buttons")
    kind = AudienceKind(arg)
    if kind is AudienceKind.SUBSCRIBERS:
        dialog.data["audience"] = kind.value
        dialog.step = "preview"
        return True
    if kind is AudienceKind.CAMPAIGN and not _campaigns(turn):
        raise Problem("audience.no_campaigns")
    if kind is AudienceKind.CLUSTER and not _clusters(turn):
        raise Problem("audience.no_clusters")
    dialog.step = {
        AudienceKind.WARD: "wards",
        AudienceKind.OFFICERS: "units",
        AudienceKind.CAMPAIGN: "campaign",
        AudienceKind.CLUSTER: "cluster",
    }[kind]
    return False


def _typed_units(turn: Turn, typed: str) -> list[str]:
    """Return the keys of the units typed, comma separated; name what matched nothing."""
    names = [name.strip() for name in re.split(r"[,;\n]", typed) if name.strip()]
    if not names:
        raise Problem("input.text_expected")
    if len(names) > MAX_NAMES:
        raise Problem("audience.too_many", limit=MAX_NAMES)
    matcher = turn.rt.directory.matcher_on(turn.today)
    keys: list[str] = []
    missing: list[str] = []
    close: list[str] = []
    for name in names:
        result = matcher.match(name)
        if result.best is not None:
            if result.best.key not in keys:
                keys.append(result.best.key)
            continue
        missing.append(f"“{name[:60]}”")
        close.extend(
            s.candidate.name for s in result.candidates[:3] if s.candidate.name not in close
        )
    if missing:
        raise Problem("audience.not_found", missing=", ".join(missing), close=", ".join(close))
    return keys


def _short_text(incoming: Incoming, limit: int, *, minimum: int = 1, code: str = "") -> str:
    text = typed_text(incoming).strip()
    if len(text) > limit:
        raise Problem("input.too_long", length=len(text))
    if len(text) < minimum:
        raise Problem(code or "input.text_expected", limit=limit)
    return text


def _parse_day(typed: str, today: date) -> date:
    """Read ``dd/mm/yyyy`` or "hôm nay"."""
    if fold(typed) == "hom nay":
        return today
    found = _DAY.match(typed.strip())
    if found is None:
        raise Problem("day.format")
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise Problem("date.calendar") from error


def _parse_moment(typed: str, turn: Turn) -> datetime:
    """Read ``dd/mm/yyyy hh:mm`` or ``hh:mm`` (today, or tomorrow when past) in Hà Nội time."""
    found = _MOMENT.match(typed.strip().lower())
    if found is None:
        raise Problem("schedule.format")
    day, month, year, hour, minute = found.groups()
    tz = turn.rt.settings.tz
    local_now = turn.now.astimezone(tz)
    try:
        on = date(int(year), int(month), int(day)) if year else local_now.date()
        moment = datetime(on.year, on.month, on.day, int(hour), int(minute), tzinfo=tz)
    except ValueError as error:
        raise Problem("schedule.format") from error
    if not year and moment <= local_now:
        moment += timedelta(days=1)
    if moment <= turn.now:
        raise Problem("schedule.past", moment=moment)
    return moment


def _campaigns(turn: Turn) -> tuple[Campaign, ...]:
    """Return the campaigns offered: those running today, else the latest ones."""
    organisation = turn.rt.directory.organisation
    if organisation is None:
        return ()
    running = organisation.active_campaigns(turn.today)
    return (running or organisation.campaigns[-PICK_MAX:])[:PICK_MAX]


def _clusters(turn: Turn) -> tuple[Cluster, ...]:
    """Return the clusters offered: those of today, else every one the plan has had."""
    organisation = turn.rt.directory.organisation
    if organisation is None:
        return ()
    current = tuple(c for c in organisation.clusters if c.active_on(turn.today))
    return (current or organisation.clusters)[:PICK_MAX]


# asking -----------------------------------------------------------------------------------


async def ask_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask the current step's question (or show the preview) again, after ``problem``."""
    await _ask(turn, dialog, problem=problem)


async def _ask(
    turn: Turn,
    dialog: Dialog,
    *,
    problem: str | None,
    params: dict[str, Any] | None = None,
    show_announcement: bool = False,
) -> None:
    """Ask the current step's question (or show the preview), with its buttons."""
    step, token = dialog.step, dialog.token
    if step == "preview":
        await _preview(turn, dialog, problem=problem, params=params or {}, full=show_announcement)
        return
    rows: list[list[Button]] = []
    if step == "theme" or step == "ends":
        rows.append([nav_button(turn, FLOW, token, SKIP, "skip")])
    if step == "starts":
        rows.append([nav_button(turn, FLOW, token, TODAY, "today")])
    if step == "audience":
        rows.extend(
            [Button(turn.label(label), button_data(FLOW, token, "kind", kind.value))]
            for kind, label in AUDIENCE_LABELS.items()
        )
    if step in ("campaign", "cluster"):
        choices: tuple[Campaign | Cluster, ...] = (
            _campaigns(turn) if step == "campaign" else _clusters(turn)
        )
        rows.extend(
            [Button(_title(choice)[:60], button_data(FLOW, token, "pick", str(index)))]
            for index, choice in enumerate(choices)
        )
    if step in ("wards", "units", "campaign", "cluster", "when"):
        rows.append([nav_button(turn, FLOW, token, BACK, "back")])
    rows.append([cancel_button(turn, FLOW, token)])
    campaign = dialog.data["campaign"]
    turn.say(
        "broadcasts/compose_ask",
        keyboard=inline_keyboard(rows),
        example=turn.rt.directory.example_unit(turn.today),
        ward_level=turn.rt.directory.ward_level(turn.today),
        step=step,
        launch=campaign is not None,
        title=(campaign or {}).get("title", ""),
        text_limit=MAX_TEXT,
        caption_limit=MAX_CAPTION,
        limit={"title": TITLE_MAX, "theme": THEME_MAX, "description": DESCRIPTION_MAX}.get(step),
        problem=problem,
        params=params or {},
    )


def _title(choice: Campaign | Cluster) -> str:
    return choice.title if isinstance(choice, Campaign) else choice.name


async def _preview(
    turn: Turn, dialog: Dialog, *, problem: str | None, params: dict[str, Any], full: bool
) -> None:
    """Show the announcement as recipients will get it, then who, how many and when."""
    data, token = dialog.data, dialog.token
    organisation = turn.rt.directory.organisation
    typed = _campaign(data, turn)
    campaign = typed.campaign_in(organisation) if typed and organisation else None
    broadcast = replace(_broadcast(turn, data), campaign_key=campaign.key if campaign else None)
    if full:
        # The announcement comes first, as a new message (it may be a photo): what follows it
        # cannot be an edit of the message pressed above it.
        if turn.in_place is not None:
            turn.in_place = None
            turn.clear_buttons()
        method, call = render_broadcast(turn.rt, broadcast, turn.locale)
        markup = call.get("reply_markup")
        if isinstance(markup, dict):
            call["reply_markup"] = turn.rt.buttons.sign_markup(turn.chat_id, markup)
        turn.replies.append(
            OutgoingMessage(turn.chat_id, method, {"chat_id": turn.chat_id, **call}, turn.now)
        )
    count = (
        len(await recipients(turn.uow, broadcast.audience, organisation, turn.today))
        if organisation is not None
        else 0
    )
    quiet = quiet_hours(turn.rt)
    starts = broadcast.send_at or turn.now
    in_quiet = quiet.contains(starts)
    first = SEND_NOW if broadcast.send_at is None else CONFIRM_SCHEDULE
    rows = [
        [Button(turn.label(first), button_data(FLOW, token, "send"))],
        [Button(turn.label(SCHEDULE), button_data(FLOW, token, "schedule"))],
        [
            Button(
                turn.label(NOT_URGENT if broadcast.urgent else URGENT),
                button_data(FLOW, token, "urgent"),
            )
        ],
        [Button(turn.label(CHANGE_AUDIENCE), button_data(FLOW, token, "audience"))],
        [cancel_button(turn, FLOW, token)],
    ]
    turn.say(
        "broadcasts/compose_summary",
        keyboard=inline_keyboard(rows),
        **audience_words(turn.rt.directory, broadcast.audience),
        count=count,
        send_at=broadcast.send_at,
        urgent=broadcast.urgent,
        in_quiet=in_quiet,
        waits_until=quiet.next_end(starts) if in_quiet and not broadcast.urgent else None,
        quiet_start=f"{quiet.start:%H:%M}",
        quiet_end=f"{quiet.end:%H:%M}",
        campaign=campaign,
        problem=problem,
        params=params,
    )


def audience_words(directory: Directory, audience: Audience) -> dict[str, str]:
    """Return what the templates say of an audience: its kind and the names of its targets."""
    organisation = directory.organisation
    names: list[str] = []
    for part in audience.parts:
        if part.target is None:
            continue
        if part.kind in (AudienceKind.WARD, AudienceKind.OFFICERS):
            names.append(directory.unit_name(part.target))
        elif part.kind is AudienceKind.CAMPAIGN:
            names.append(directory.campaign_title(part.target))
        else:
            cluster = organisation.find_cluster(part.target) if organisation else None
            names.append(cluster.name if cluster else part.target)
    return {"audience_kind": audience.parts[0].kind.value, "audience_names": ", ".join(names)}


def _campaign(data: dict[str, Any], turn: Turn) -> CampaignDraft | None:
    details = data["campaign"]
    if details is None:
        return None
    ends = details.get("ends")
    return CampaignDraft(
        title=details["title"],
        theme=details.get("theme", ""),
        description=details.get("description", ""),
        starts=date.fromisoformat(details.get("starts") or turn.today.isoformat()),
        ends=date.fromisoformat(ends) if ends else None,
    )


def _broadcast(turn: Turn, data: dict[str, Any]) -> Broadcast:
    send_at = data.get("send_at")
    return Broadcast(
        data["text"] or "",
        Audience.parse(data["audience"] or AudienceKind.SUBSCRIBERS.value),
        turn.now,
        created_by=turn.user.id,
        send_at=datetime.fromisoformat(send_at) if send_at else None,
        urgent=bool(data["urgent"]),
        photo_file_id=data["photo"],
    )


# sending ----------------------------------------------------------------------------------


async def _send(turn: Turn, dialog: Dialog) -> None:
    """Store the broadcast (and the campaign it launches) in this turn's transaction."""
    data = dialog.data
    send_at = data.get("send_at")
    if send_at and datetime.fromisoformat(send_at) <= turn.now:
        dialog.step = "when"
        dialog.move_to(dialog.step, turn.now)
        await turn.uow.dialogs.save(dialog)
        moment = datetime.fromisoformat(send_at)
        await _ask(turn, dialog, problem="schedule.past", params={"moment": moment})
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_broadcast(actor):
        await close_dialog(turn, dialog)
        turn.say("broadcasts/compose_not_allowed")
        return
    try:
        announced = await announce(
            turn.uow,
            actor,
            _broadcast(turn, data),
            campaign=_campaign(data, turn),
            today=turn.today,
        )
    except DomainError as error:
        await _ask(turn, dialog, problem=error.code)
        return
    broadcast, campaign = announced.broadcast, announced.campaign
    kept = await close_dialog(turn, dialog)
    if campaign is not None and announced.organisation is not None:
        launched = Directory(announced.organisation, turn.rt.directory.plan)
        turn.committed.append(lambda: setattr(turn.rt, "directory", launched))
    count = announced.recipients
    quiet = quiet_hours(turn.rt)
    starts = broadcast.send_at or turn.now
    turn.say(
        "broadcasts/compose_sent",
        id=broadcast.id,
        count=count,
        send_at=broadcast.send_at,
        waits_until=quiet.next_end(starts)
        if quiet.contains(starts) and not broadcast.urgent
        else None,
        campaign_title=campaign.title if campaign else None,
        draft_kept=kept,
    )
    if turn.rt.bulk is not None:
        turn.rt.bulk.wake()
