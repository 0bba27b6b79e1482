"""Officers in chat: invitations, the queue, case cards and actions."""

from __future__ import annotations

from bot.commands import ADMINS, OFFICE, STAFF
from bot.conversations import answer, dossier, review
from bot.conversations.cases import ACT, CARD, card_data, refuse_case
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, OnButton, stale_button
from bot.keyboards import Button, fit_data, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.awards import DossierIncompleteError
from core.codes import parse_tracking_code
from core.dialog import Dialog
from core.errors import DomainError
from core.review import (
    InvitationInvalidError,
    UnknownNominationError,
    actor_for,
    display_name,
    invite,
    queue,
    redeem_invitation,
    search_scope,
    visible_case,
    who_saw,
)
from core.roles import INVITATION_PREFIX, NotAllowedError, Role, may_manage_roles, read_role
from core.text import fold
from core.workflow import ClaimedByOtherError

QUEUE = "q"
PAGE_SIZE = 8
FIND = "f"
FIND_PAGE = 5
# The folded query rides in the paging buttons' data: "f:<page>:" (8 bytes up to page 99,999)
# plus at most this much, within the 56 bytes a signed button's data may have.
FIND_QUERY_BYTES = 48
FIND_MIN_CHARS = 3
INVITE_DAYS = 7


async def redeem(turn: Turn, code: str) -> None:
    """Bind the user to the role an invitation link carries."""
    try:
        grant = await redeem_invitation(turn.uow, code, user_id=turn.user.id, now=turn.now)
    except InvitationInvalidError:
        turn.say("officer/invitation_invalid")
        return
    unit = turn.rt.directory.unit_name(grant.unit_key) if grant.unit_key else None
    turn.say("officer/welcome", role=grant.role.value, unit=unit)


def is_invitation(payload: str) -> bool:
    """Tell whether a /start payload is an invitation code."""
    return payload.startswith(INVITATION_PREFIX)


async def show_queue(turn: Turn, page: int = 0) -> None:
    """Show what waits for the officer's units, oldest first, a page at a time."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not actor.is_staff:
        turn.say("officer/not_staff")
        return
    result = await queue(turn.uow, actor, page=page, page_size=PAGE_SIZE)
    rows = [
        [
            Button(
                f"{item.code} · {item.nominee.name}"[:60],
                card_data(item.id),
            )
        ]
        for item in result.items
    ]
    paging = []
    if result.page > 0:
        paging.append(Button("◀️", button_data(QUEUE, 0, "page", str(result.page - 1))))
    if result.page + 1 < result.pages:
        paging.append(Button("▶️", button_data(QUEUE, 0, "page", str(result.page + 1))))
    rows.append(paging)
    turn.say(
        "officer/queue",
        keyboard=inline_keyboard(rows) if any(rows) else None,
        items=result.items,
        counts=result.counts,
        page=result.page + 1,
        pages=result.pages,
        unit_name=turn.rt.directory.unit_name,
    )


async def _queue_page(turn: Turn, incoming: Incoming) -> None:
    if incoming.action != "page" or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    turn.answer_in_place()  # the page pressed becomes the next one
    await show_queue(turn, int(incoming.arg or 0))


async def _open_card(turn: Turn, incoming: Incoming) -> None:
    if not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    case_id = int(incoming.arg or 0)
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if await visible_case(turn.uow, actor, case_id) is None:
        refuse_case(turn)
    elif incoming.action == "files":
        await review.send_files(turn, actor, case_id)
    else:
        await review.show_card(turn, actor, case_id)


async def _act(turn: Turn, incoming: Incoming) -> None:
    if not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    await review.on_action(turn, incoming)


async def _find_page(turn: Turn, incoming: Incoming) -> None:
    if incoming.token is None:
        stale_button(turn)
        return
    turn.answer_in_place()  # the page pressed becomes the next one
    query = f"{incoming.action}:{incoming.arg}" if incoming.arg else incoming.action
    await show_search(turn, query or "", page=incoming.token)


async def _answer_button(turn: Turn, incoming: Incoming) -> None:
    if incoming.action != "start" or not (incoming.arg or "").isdigit():
        stale_button(turn)
        return
    await answer.start(turn, int(incoming.arg or 0))


def _refusing(on_button: OnButton) -> OnButton:
    """Wrap a button handler: a domain refusal is explained, not turned into an apology."""

    async def guarded(turn: Turn, incoming: Incoming) -> None:
        try:
            await on_button(turn, incoming)
        except DomainError as error:
            await refuse(turn, error)

    return guarded


async def _review_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    try:
        await review.handle(turn, dialog, incoming)
    except DomainError as error:
        await refuse(turn, error)


async def _answer_input(turn: Turn, dialog: Dialog, incoming: Incoming) -> None:
    if incoming.kind == "button" and incoming.action == "start":
        await _refusing(_answer_button)(turn, incoming)  # another question, from another card
    else:
        await answer.handle(turn, dialog, incoming)


async def refuse(turn: Turn, error: DomainError) -> None:
    """Explain politely why an officer's request was refused."""
    if isinstance(error, ClaimedByOtherError):
        holder = await display_name(turn.uow, error.holder_id)
        turn.say("officer/claimed", since=error.since, holder=holder)
    elif isinstance(error, UnknownNominationError):
        refuse_case(turn)
    elif isinstance(error, NotAllowedError):
        turn.callback_notice = turn.label("⛔")
        turn.say("officer/not_allowed")
    elif isinstance(error, DossierIncompleteError):
        turn.say("officer/refused", problem=error.code, params={"items": error.names})
    else:
        turn.say("officer/refused", problem=error.code, params={})


async def queue_command(turn: Turn) -> None:
    """Show the officer's queue."""
    await show_queue(turn)


async def who_saw_command(turn: Turn) -> None:
    """``/truycap <code>``: the standing office reads who opened a case, for a resident."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    code = parse_tracking_code(turn.command_args)
    if code is None:
        turn.say("officer/who_saw_usage")
        return
    try:
        lines = await who_saw(turn.uow, actor, code)
    except NotAllowedError:
        turn.say("officer/not_allowed")
        return
    except UnknownNominationError:
        refuse_case(turn)
        return
    turn.say("officer/who_saw", code=str(code), lines=lines)


async def find_command(turn: Turn) -> None:
    """``/find <text>``: search the officer's cases by name, unit, deed or code."""
    await show_search(turn, turn.command_args, page=0)


async def show_search(turn: Turn, query: str, *, page: int) -> None:
    """Show one page of search results, with buttons to open each case."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    try:
        units = search_scope(actor)
    except NotAllowedError:
        turn.say("officer/not_staff")
        return
    key = fit_data(fold(query), FIND_QUERY_BYTES).strip()
    if len(key.replace(" ", "")) < FIND_MIN_CHARS:
        turn.say("officer/find_usage", example=turn.rt.directory.example_unit(turn.today))
        return
    result = await turn.rt.search.search(
        turn.uow, key, unit_keys=units, limit=FIND_PAGE, offset=page * FIND_PAGE
    )
    rows = [
        [
            Button(
                f"{hit.entry.code} · {hit.entry.nominee_name}"[:60],
                card_data(hit.entry.nomination_id),
            )
        ]
        for hit in result.hits
    ]
    pages = max(1, -(-result.total // FIND_PAGE))
    paging = []
    if page > 0:
        paging.append(Button("◀️", find_page_data(page - 1, key)))
    if page + 1 < pages:
        paging.append(Button("▶️", find_page_data(page + 1, key)))
    rows.append(paging)
    turn.say(
        "officer/find",
        keyboard=inline_keyboard(rows) if any(rows) else None,
        query=query,
        hits=result.hits,
        total=result.total,
        page=page + 1,
        pages=pages,
    )


def find_page_data(page: int, key: str) -> str:
    """Return the data of a button to another page of ``/find`` results for ``key``."""
    return f"{FIND}:{page}:{key}"


async def invite_command(turn: Turn) -> None:
    """``/invite <role> [unit]``: an admin creates an invitation link in chat."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_manage_roles(actor):
        turn.say("officer/not_allowed")
        return
    read = read_role(turn.command_args)
    if read is None:
        turn.say(
            "officer/invite_usage",
            roles=list(Role),
            example=turn.rt.directory.example_unit(turn.today),
        )
        return
    role, unit_words = read
    unit_key = None
    if role is Role.OFFICER:
        matched = turn.rt.directory.matcher_on(turn.today).match(unit_words)
        if matched.best is None:
            turn.say(
                "officer/invite_usage",
                roles=list(Role),
                example=turn.rt.directory.example_unit(turn.today),
            )
            return
        unit_key = matched.best.key
    code, invitation = await invite(
        turn.uow, actor, role=role, unit_key=unit_key, days=INVITE_DAYS, now=turn.now
    )
    username = turn.rt.bot_username
    turn.say(
        "officer/invitation",
        link=f"https://t.me/{username}?start={code}",
        role=role.value,
        unit=turn.rt.directory.unit_name(unit_key) if unit_key else None,
        expires_at=invitation.expires_at,
    )


def flows() -> list[Flow]:
    """Return the officers' flows: queue, cases, actions, review, dossiers, search, invites."""
    return [
        Flow(
            "queue",
            key=QUEUE,
            commands=(
                Command(("queue", "hoso"), queue_command, N_("Hồ sơ đang chờ xử lý"), roles=STAFF),
            ),
            on_button=_refusing(_queue_page),
        ),
        Flow("case card", key=CARD, on_button=_refusing(_open_card)),
        Flow("case action", key=ACT, on_button=_refusing(_act)),
        Flow("review", key=review.FLOW, on_input=_review_input, ask_again=review.ask_again),
        Flow(
            "dossier",
            key=dossier.FLOW,
            on_button=_refusing(dossier.start),
            on_input=dossier.handle,
            ask_again=dossier.ask_again,
        ),
        Flow(
            "search",
            key=FIND,
            commands=(
                Command(
                    ("find", "timkiem"),
                    find_command,
                    N_("Tìm hồ sơ theo tên, gõ sai vẫn tìm được"),
                    N_("TÊN"),
                    roles=STAFF,
                ),
            ),
            on_button=_refusing(_find_page),
        ),
        Flow(
            "answer",
            key=answer.FLOW,
            on_button=_refusing(_answer_button),
            on_input=_answer_input,
            ask_again=answer.ask_again,
        ),
        Flow(
            "access log",
            commands=(
                Command(
                    ("truycap", "whosaw"),
                    who_saw_command,
                    N_("Ai đã mở một hồ sơ (nhật ký truy cập)"),
                    N_("MÃ_HỒ_SƠ"),
                    roles=OFFICE,
                ),
            ),
        ),
        Flow(
            "invitations",
            commands=(
                Command(
                    ("invite",),
                    invite_command,
                    N_("Tạo đường dẫn mời nhận vai trò"),
                    N_("VAI_TRÒ [ĐƠN_VỊ]"),
                    roles=ADMINS,
                ),
            ),
        ),
    ]
