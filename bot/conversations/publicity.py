"""Public comment before the council, and the exemplars made known after it.

* ``/congkhai`` (the standing office): the cases before the council are published for comment
  for the working days chosen; the list goes to the ward's public channel
  (``NTVT_PUBLIC_CHANNEL``, where the bot is an admin) or back to the office to forward.
* ``/gopy [MÃ]`` (anyone who agreed to the notice): a comment on a listed case, for the
  standing office only.
* After a case is commended, its nominator is asked whether the nominee agrees to be made
  known (with the photo sent or without); the story goes to the public channel and to
  ``/guong``, as :mod:`core.publicity` lets the public know the case (never the nominator, a
  child by initials).

What may be done, by whom, and what the public may see is :mod:`core.publicity`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands import OFFICE
from bot.conversations.common import Problem, cancel_button, typed_text
from bot.conversations.dialogs import close_dialog, open_dialog
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, in_rows, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.codes import parse_tracking_code
from core.compliance import MONTHLY_QUOTA
from core.dialog import Dialog
from core.nomination import EvidenceKind, Nomination
from core.publicity import (
    MAX_DAYS,
    MIN_DAYS,
    CommentTooLongError,
    NotListedError,
    NotPublishableError,
    add_comment,
    award_form_of,
    exemplars,
    forms_comment_days,
    listable,
    listed_case,
    open_window,
    publish,
    year_summary,
)
from core.review import actor_for, secretariat_ids
from core.roles import NotAllowedError, Role
from core.services import has_consent
from core.text import fold

WINDOW_FLOW = "pw"  # the office's choice of days
COMMENT_FLOW = "pc"  # a resident's comment
EXEMPLAR_FLOW = "ex"  # the nominator's answer, and /guong's pages
DAY_CHOICES = (5, 10, 15)
LISTED_AT_MOST = 30  # cases one window lists
PAGE_SIZE = 5
CAPTION_DEED = 600  # characters of the deed in a photo's caption (Telegram: 1024 in all)
POST_DEED = 1500
WITH_PHOTO = N_("✅ Đồng ý, kèm ảnh")
WITHOUT_PHOTO = N_("✅ Đồng ý, không kèm ảnh")
AGREE = N_("✅ Đồng ý công bố")
DECLINE = N_("Không công bố")
NEXT, PREVIOUS = N_("Trang sau ▶️"), N_("◀️ Trang trước")


# ---- the office opens a comment window -----------------------------------------------------


async def open_list(turn: Turn) -> None:
    """``/congkhai``: show the cases before the council and ask for how many working days."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not actor.has(Role.SECRETARIAT):
        turn.say("publicity/staff_only")
        return
    cases = await listable(turn.uow, actor, turn.today, limit=LISTED_AT_MOST)
    if not cases:
        turn.say("publicity/nothing")
        return
    buttons = [
        Button(
            turn.label(N_("%(days)s ngày làm việc"), days=days),
            button_data(WINDOW_FLOW, 0, "open", str(days)),
        )
        for days in DAY_CHOICES
    ]
    rows = in_rows(buttons, 3)
    by_form = await forms_comment_days(turn.uow, cases)
    if MIN_DAYS <= by_form <= MAX_DAYS:  # what the cases' award forms set, offered first
        label = turn.label(N_("%(days)s ngày làm việc (theo hình thức khen thưởng)"), days=by_form)
        rows.insert(0, [Button(label, button_data(WINDOW_FLOW, 0, "open", str(by_form)))])
    turn.say("publicity/choose_days", keyboard=inline_keyboard(rows), cases=cases)


async def on_window_button(turn: Turn, incoming: Incoming) -> None:
    """Open the window for the days pressed over the cases listable now, and post it."""
    turn.answer_in_place()
    arg = incoming.arg or ""
    days = int(arg) if incoming.action == "open" and arg.isdigit() else 0
    if not MIN_DAYS <= days <= MAX_DAYS:  # the data is signed: only the bot's own choices
        stale_button(turn)
        return
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    cases = await listable(turn.uow, actor, turn.today, limit=LISTED_AT_MOST)
    if not cases:
        turn.say("publicity/nothing")
        return
    try:
        window, public = await open_window(
            turn.uow,
            actor,
            [case.id for case in cases if case.id is not None],
            days=days,
            now=turn.now,
            today=turn.today,
            calendar=turn.rt.calendar,
        )
    except NotAllowedError:
        turn.say("publicity/staff_only")
        return
    channel = turn.rt.settings.public_channel
    listing: dict[str, Any] = {
        "cases": public,
        "window": window,
        "unit_name": turn.rt.directory.unit_name,
    }
    turn.say("publicity/opened", window=window, posted=channel is not None)
    if channel is not None:
        turn.say_to(channel, turn.rt.settings.default_locale, "publicity/list", **listing)
    else:
        turn.say("publicity/list", **listing)


# ---- anyone comments on a listed case ------------------------------------------------------


async def comment(turn: Turn) -> None:
    """``/gopy [MÃ]``: ask for the code (unless given), then the comment."""
    if not await has_consent(turn.uow, turn.user.id):
        turn.say("publicity/comment_consent_first", keyboard=turn.main_menu())
        return
    dialog = await open_dialog(turn, COMMENT_FLOW, "code", {})
    if turn.command_args:
        await _take_code(turn, dialog, turn.command_args)
        return
    await _ask_comment(turn, dialog)


async def on_comment_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    """Take the code or the comment typed; the cancel button ends the dialog."""
    if incoming.kind == "button":
        turn.answer_in_place()
        if incoming.action == "cancel":
            kept = await close_dialog(turn, dialog)
            turn.say("publicity/comment_cancelled", keyboard=turn.main_menu(), draft_kept=kept)
        else:
            await _ask_comment(turn, dialog, problem="input.stale_button")
        return
    try:
        text = typed_text(incoming)
    except Problem as problem:
        await _ask_comment(turn, dialog, problem=problem.code)
        return
    if dialog.step == "code":
        await _take_code(turn, dialog, text)
    else:
        await _take_comment(turn, dialog, text)


async def _take_code(turn: Turn, dialog: Dialog, text: str) -> None:
    code = parse_tracking_code(text)
    try:
        if code is None:
            raise NotListedError(text[:20])
        case = await listed_case(turn.uow, code, turn.today)
    except NotListedError:
        await _ask_comment(turn, dialog, problem="not_listed")
        return
    dialog.data["code"] = str(case.code)
    dialog.move_to("text", turn.now)
    await turn.uow.dialogs.save(dialog)
    await _ask_comment(turn, dialog, case=case)


async def _take_comment(turn: Turn, dialog: Dialog, text: str) -> None:
    code = parse_tracking_code(str(dialog.data.get("code", "")))
    assert code is not None
    try:
        kept, case = await add_comment(
            turn.uow, turn.user.id, code, text, now=turn.now, today=turn.today
        )
    except CommentTooLongError:
        await _ask_comment(turn, dialog, problem="too_long", length=len(text))
        return
    except NotListedError:  # the window closed meanwhile
        dialog.move_to("code", turn.now)
        await turn.uow.dialogs.save(dialog)
        await _ask_comment(turn, dialog, problem="not_listed")
        return
    except NotAllowedError:
        await close_dialog(turn, dialog)
        turn.say("publicity/comment_consent_first", keyboard=turn.main_menu())
        return
    draft_kept = await close_dialog(turn, dialog)
    turn.say(
        "publicity/comment_sent",
        keyboard=turn.main_menu(),
        code=str(case.code),
        draft_kept=draft_kept,
    )
    for reader in await secretariat_ids(turn.uow, turn.today):
        await turn.notify(
            reader,
            "publicity/comment_new",
            code=str(case.code),
            name=case.nominee.public_name,
            text=kept.text,
        )


async def _ask_comment(
    turn: Turn,
    dialog: Dialog,
    *,
    problem: str | None = None,
    case: Nomination | None = None,
    length: int = 0,
) -> None:
    if case is None and dialog.step == "text":
        code = parse_tracking_code(str(dialog.data.get("code", "")))
        try:
            case = await listed_case(turn.uow, code, turn.today) if code else None
        except NotListedError:
            case = None
    turn.say(
        "publicity/comment_ask",
        keyboard=inline_keyboard([[cancel_button(turn, COMMENT_FLOW, dialog.token)]]),
        case=case,
        problem=problem,
        params={"length": length},
        length=length,
    )


async def ask_comment_again(turn: Turn, dialog: Dialog, problem: str) -> None:
    """Ask for the code or the comment again, after explaining ``problem``."""
    await _ask_comment(turn, dialog, problem=problem)


# ---- exemplars -----------------------------------------------------------------------------


async def ask_to_publish(turn: Turn, case: Nomination) -> None:
    """After a commendation: ask the nominator whether the nominee agrees to be made known."""
    assert case.id is not None
    if case.contact_stopped_at is not None or not await has_consent(
        turn.uow, case.nominator.user_id
    ):
        return
    has_photo = any(item.kind is EvidenceKind.PHOTO for item in case.evidence)
    arg = str(case.id)
    agree = (
        [
            Button(turn.label(WITH_PHOTO), button_data(EXEMPLAR_FLOW, 0, "photo", arg)),
            Button(turn.label(WITHOUT_PHOTO), button_data(EXEMPLAR_FLOW, 0, "text", arg)),
        ]
        if has_photo
        else [Button(turn.label(AGREE), button_data(EXEMPLAR_FLOW, 0, "text", arg))]
    )
    decline = Button(turn.label(DECLINE), button_data(EXEMPLAR_FLOW, 0, "no", arg))
    await turn.notify(
        case.nominator.user_id,
        "publicity/ask_publish",
        keyboard=inline_keyboard([*in_rows(agree, 1), [decline]]),
        name=case.as_public().nominee.public_name,
        code=str(case.code),
        has_photo=has_photo,
    )


async def on_exemplar_button(turn: Turn, incoming: Incoming) -> None:
    """Take the nominator's answer, or show a page of ``/guong``."""
    number, _, chosen = (incoming.arg or "").partition(".")
    if incoming.action == "page" and number.isdigit():
        await _show_exemplars(turn, int(number), chosen)
        return
    turn.answer_in_place()
    if incoming.action not in ("photo", "text", "no") or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    if incoming.action == "no":
        turn.say("publicity/not_published")
        return
    try:
        exemplar, case = await publish(
            turn.uow,
            turn.user.id,
            int(incoming.arg or 0),
            with_photo=incoming.action == "photo",
            now=turn.now,
        )
    except NotPublishableError:
        stale_button(turn)
        return
    channel = turn.rt.settings.public_channel
    if channel is not None:
        await _post(turn, channel, case, with_photo=exemplar.with_photo)
    turn.say("publicity/published", name=case.nominee.public_name, posted=channel is not None)


async def _post(turn: Turn, channel: int, case: Nomination, *, with_photo: bool) -> None:
    """Queue the exemplar's story to the public channel, with its first photo if agreed."""
    assert case.id is not None
    locale = turn.rt.settings.default_locale
    form = await award_form_of(turn.uow, case.id)
    photo = next((e for e in case.evidence if e.kind is EvidenceKind.PHOTO), None)
    context: dict[str, Any] = {
        "case": case,
        "form": form,
        "unit_name": turn.rt.directory.unit_name,
    }
    if with_photo and photo is not None:
        caption = turn.rt.renderer.render(locale, "publicity/post", limit=CAPTION_DEED, **context)
        params = {"photo": photo.file_id, "caption": caption, "parse_mode": "HTML"}
        turn.send_file_to(channel, "sendPhoto", params)
        return
    turn.say_to(channel, locale, "publicity/post", limit=POST_DEED, **context)


async def show_exemplars(turn: Turn) -> None:
    """``/guong [PHƯỜNG | PHONG TRÀO]``: the exemplars made known, newest first, paged.

    What follows the command picks a unit (as a resident types a ward) or a campaign (a word
    of its title); the page buttons keep the choice.
    """
    words = turn.command_args
    chosen = _filter_of(turn, words) if words else ""
    if chosen is None:
        turn.say("publicity/exemplars_unknown", words=words[:60])
        return
    await _show_exemplars(turn, 0, chosen)


def _filter_of(turn: Turn, words: str) -> str | None:
    """Return the filter the words name: ``u<index>`` a unit, ``c<index>`` a campaign."""
    directory = turn.rt.directory
    match = directory.find(words, turn.today).result
    if match.kind in ("exact", "confident") and match.best is not None:
        return f"u{directory.unit_index(match.best.key)}"
    folded = fold(words)
    campaigns = directory.organisation.campaigns if directory.organisation else ()
    for index, campaign in enumerate(campaigns):
        if folded and folded in fold(campaign.title):
            return f"c{index}"
    return None


async def _show_exemplars(turn: Turn, page: int, chosen: str = "") -> None:
    directory = turn.rt.directory
    unit = directory.unit_at(int(chosen[1:])) if chosen.startswith("u") else None
    campaigns = directory.organisation.campaigns if directory.organisation else ()
    index = int(chosen[1:]) if chosen.startswith("c") else -1
    campaign = campaigns[index] if 0 <= index < len(campaigns) else None
    shown, total = await exemplars(
        turn.uow,
        page=page,
        page_size=PAGE_SIZE,
        unit_key=unit.key if unit else None,
        campaign_key=campaign.key if campaign else None,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    buttons = []
    if page > 0:
        previous = f"{page - 1}.{chosen}"
        buttons.append(
            Button(turn.label(PREVIOUS), button_data(EXEMPLAR_FLOW, 0, "page", previous))
        )
    if page + 1 < pages:
        following = f"{page + 1}.{chosen}"
        buttons.append(Button(turn.label(NEXT), button_data(EXEMPLAR_FLOW, 0, "page", following)))
    turn.say(
        "publicity/exemplars",
        keyboard=inline_keyboard([buttons]) if buttons else None,
        shown=shown,
        page=page,
        pages=pages,
        unit_name=directory.unit_name,
        of_unit=unit.name if unit else None,
        of_campaign=campaign.title if campaign else None,
    )


async def summary(turn: Turn) -> None:
    """``/tongket [NĂM]``: the year's exemplars by unit, campaign and form, for the office."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    args = turn.command_args
    year = int(args) if args.isdigit() and 2000 <= int(args) <= turn.today.year else turn.today.year
    try:
        counted = await year_summary(turn.uow, actor, year, quota=12 * MONTHLY_QUOTA)
    except NotAllowedError:
        turn.say("publicity/staff_only")
        return
    council = turn.rt.directory.council_on(date(year, 12, 31))
    office = council.secretariat_key if council else None
    units = [u for u in turn.rt.directory.units_on(date(year, 12, 31)) if u.key != office]
    turn.say(
        "publicity/year",
        summary=counted,
        units=units,
        campaign_title=turn.rt.directory.campaign_title,
    )


def flows() -> list[Flow]:
    """Return the flows of public comment and exemplars."""
    return [
        Flow(
            "comment window",
            key=WINDOW_FLOW,
            commands=(
                Command(
                    ("congkhai", "publish_list"),
                    open_list,
                    N_("Đăng danh sách lấy ý kiến nhân dân"),
                    roles=OFFICE,
                ),
                Command(
                    ("tongket", "year_summary"),
                    summary,
                    N_("Tổng kết gương người tốt, việc tốt trong năm"),
                    N_("[NĂM]"),
                    roles=OFFICE,
                ),
            ),
            on_button=on_window_button,
        ),
        Flow(
            "public comment",
            key=COMMENT_FLOW,
            commands=(
                Command(
                    ("gopy", "comment"),
                    comment,
                    N_("Góp ý về một trường hợp đang lấy ý kiến"),
                    N_("[MÃ_ĐỀ_CỬ]"),
                ),
            ),
            on_input=on_comment_input,
            ask_again=ask_comment_again,
        ),
        Flow(
            "exemplars",
            key=EXEMPLAR_FLOW,
            commands=(
                Command(
                    ("guong", "exemplars"),
                    show_exemplars,
                    N_("Gương người tốt, việc tốt"),
                    N_("[PHƯỜNG hoặc PHONG TRÀO]"),
                ),
            ),
            on_button=on_exemplar_button,
        ),
    ]
