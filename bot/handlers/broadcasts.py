"""The secretariat's announcements in chat: write one, launch a campaign, follow and stop them.

Only the secretariat and admins may (``core.broadcasts.may_broadcast``); the core services
check it again when a broadcast is stored or cancelled.
"""

from __future__ import annotations

from typing import Any

from bot.bulk import report_context
from bot.commands import OFFICE
from bot.conversations import broadcast
from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow
from bot.handlers.officer import refuse
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.broadcasting import cancel, recent, report
from core.broadcasts import (
    BroadcastFinishedError,
    BroadcastStatus,
    UnknownBroadcastError,
    may_broadcast,
)
from core.errors import DomainError
from core.review import actor_for

STOP = "bs"
STOP_LABEL = N_("⏹ Dừng gửi số %(id)s")
LIST_LIMIT = 10


async def _may_broadcast(turn: Turn) -> bool:
    """Tell whether the user may broadcast; say why not if they may not."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if may_broadcast(actor):
        return True
    turn.say("broadcasts/compose_not_allowed")
    return False


async def broadcast_command(turn: Turn) -> None:
    """``/broadcast``: write an announcement, choose who gets it, preview, send or schedule."""
    if await _may_broadcast(turn):
        await broadcast.start(turn, launch=False)


async def launch_command(turn: Turn) -> None:
    """``/launch``: launch a campaign with an announcement that offers to subscribe to it."""
    if await _may_broadcast(turn):
        await broadcast.start(turn, launch=True)


async def list_command(turn: Turn) -> None:
    """``/broadcasts``: the latest announcements, how far each got, and buttons to stop them."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_broadcast(actor):
        turn.say("broadcasts/compose_not_allowed")
        return
    items: list[dict[str, Any]] = []
    rows: list[list[Button]] = []
    for item in await recent(turn.uow, actor, limit=LIST_LIMIT):
        assert item.id is not None
        context = report_context(await report(turn.uow, item.id))
        context.update(
            broadcast.audience_words(turn.rt.directory, item.audience),
            created_at=item.created_at,
            finished_at=item.finished_at,
        )
        items.append(context)
        if item.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
            label = turn.label(STOP_LABEL, id=item.id)
            rows.append([Button(label, button_data(STOP, 0, "stop", str(item.id)))])
    turn.say(
        "broadcasts/list_recent", keyboard=inline_keyboard(rows) if rows else None, items=items
    )


async def on_stop(turn: Turn, incoming: Incoming) -> None:
    """Stop a scheduled or running announcement: what is not sent yet will not be."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not may_broadcast(actor):
        turn.answer_in_place(keep_text=True)
        turn.say("broadcasts/compose_not_allowed")
        return
    if incoming.action != "stop" or not (incoming.arg or "").isdigit():
        turn.answer_in_place(keep_text=True)
        turn.say("start/stale_button")
        return
    broadcast_id = int(incoming.arg or 0)
    try:
        stopped = await cancel(turn.uow, broadcast_id, actor=actor)
    except BroadcastFinishedError as finished:
        turn.callback_notice = "⛔"
        turn.say("broadcasts/list_refused", id=broadcast_id, status=finished.status.value)
        return
    except UnknownBroadcastError:
        turn.say("broadcasts/list_refused", id=broadcast_id, status=None)
        return
    except DomainError as error:
        await refuse(turn, error)
        return
    assert stopped.id is not None
    turn.say("broadcasts/list_stopped", **report_context(await report(turn.uow, stopped.id)))


def flow() -> Flow:
    """Return the broadcasts' flow: the standing office's commands and its dialog."""
    return Flow(
        "broadcast",
        key=broadcast.FLOW,
        commands=(
            Command(
                ("broadcast", "thongbao"),
                broadcast_command,
                N_("Soạn và gửi thông báo tới người đăng ký"),
                roles=OFFICE,
            ),
            Command(
                ("broadcasts",),
                list_command,
                N_("Các thông báo gần đây, tiến độ gửi"),
                roles=OFFICE,
            ),
            Command(
                ("launch", "phatdong"),
                launch_command,
                N_("Phát động đợt thi đua kèm thông báo"),
                roles=OFFICE,
            ),
        ),
        on_input=broadcast.handle,
        on_cancel=broadcast.cancel,
        ask_again=broadcast.ask_again,
    )


def stop_flow() -> Flow:
    """Return the flow of the “stop this announcement” buttons."""
    # Objecting to announcements needs no agreement to a new privacy notice first.
    return Flow("broadcast stop", key=STOP, on_button=on_stop, before_renewal=True)
