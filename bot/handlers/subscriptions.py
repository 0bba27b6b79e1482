"""Residents' subscriptions to announcements, and the bot being blocked or unblocked."""

from __future__ import annotations

from telegram import ChatMember

from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from bot.subscription_buttons import FLOW, campaign_button_data
from core.errors import DomainError
from core.services import note_blocked, subscribe, subscriptions_of, unsubscribe
from core.subscriptions import Scope

# Short actions leave room for long ward and campaign keys in the signed data (64 bytes).
SCOPE_ACTIONS = {"w": Scope.WARD, "c": Scope.CAMPAIGN}
ALL_LABEL = N_("🔔 Tất cả thông báo")
STOP_LABEL = N_("🔕 Hủy tất cả đăng ký")


async def subscribe_command(turn: Turn) -> None:
    """``/subscribe [ward]``: offer what to subscribe to, or subscribe to the ward typed."""
    typed = turn.command_args
    if typed:
        result = turn.rt.directory.matcher_on(turn.today).match(typed)
        if result.best is not None:
            await _subscribe(turn, Scope.WARD, result.best.key)
            return
        rows = [
            [Button(s.candidate.name, button_data(FLOW, 0, "w", s.candidate.key))]
            for s in result.candidates
        ]
        turn.say(
            "subscriptions/pick_ward",
            keyboard=inline_keyboard(rows) if rows else None,
            typed=typed[:60],
            found=bool(rows),
        )
        return
    rows = [[Button(turn.label(ALL_LABEL), button_data(FLOW, 0, "all"))]]
    for campaign in turn.rt.directory.campaigns_on(turn.today):
        rows.append([Button(campaign.title[:60], campaign_button_data(campaign.key))])
    directory = turn.rt.directory
    turn.say(
        "subscriptions/offer",
        keyboard=inline_keyboard(rows),
        example=directory.example_unit(turn.today),
        ward_level=directory.ward_level(turn.today),
    )


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """Handle the subscription buttons."""
    # What was pressed stays readable above the answer: an announcement launching a campaign
    # carries a subscribe button too (bot.bulk.render_broadcast).
    turn.answer_in_place(keep_text=True)
    if incoming.action == "stop":
        await unsubscribe_command(turn)
    elif incoming.action == "all":
        await _subscribe(turn, Scope.ALL, None)
    elif incoming.action in SCOPE_ACTIONS and incoming.arg:
        await _subscribe(turn, SCOPE_ACTIONS[incoming.action], incoming.arg)
    else:
        turn.say("start/stale_button")


async def _subscribe(turn: Turn, scope: Scope, target: str | None) -> None:
    try:
        fresh = await subscribe(turn.uow, turn.user.id, scope, target, now=turn.now)
    except DomainError as error:
        turn.say("subscriptions/refused", problem=error.code, params={})
        return
    name = None
    if scope is Scope.WARD and target:
        name = turn.rt.directory.unit_name(target)
    elif scope is Scope.CAMPAIGN and target:
        name = turn.rt.directory.campaign_title(target)
    turn.say("subscriptions/subscribed", scope=scope.value, name=name, already=not fresh)


async def unsubscribe_command(turn: Turn) -> None:
    """``/unsubscribe``: end every subscription at once."""
    ended = await unsubscribe(turn.uow, turn.user.id, now=turn.now)
    turn.say("subscriptions/unsubscribed", count=ended)


async def list_command(turn: Turn) -> None:
    """``/subscriptions``: what the resident is subscribed to, with a button to stop."""
    found = await subscriptions_of(turn.uow, turn.user.id)
    directory = turn.rt.directory
    items = [
        {
            "scope": s.scope.value,
            "name": directory.unit_name(s.target)
            if s.scope is Scope.WARD and s.target
            else directory.campaign_title(s.target)
            if s.target
            else None,
            "since": s.created_at,
        }
        for s in found
    ]
    keyboard = (
        inline_keyboard([[Button(turn.label(STOP_LABEL), button_data(FLOW, 0, "stop"))]])
        if items
        else None
    )
    turn.say("subscriptions/list", keyboard=keyboard, items=items)


async def member_changed(turn: Turn) -> None:
    """Remember that the user blocked the bot (no bulk message goes to them) or came back."""
    change = turn.update.my_chat_member if turn.update is not None else None
    if change is None:
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMember.BANNED, ChatMember.LEFT)
    await note_blocked(turn.uow, turn.user.id, blocked=blocked, now=turn.now)


def flow() -> Flow:
    """Return the subscriptions' flow: its commands, buttons, and the bot added to groups."""
    return Flow(
        "subscriptions",
        key=FLOW,
        commands=(
            Command(
                ("subscribe", "nhantin"),
                subscribe_command,
                N_("Đăng ký nhận thông báo"),
                N_("[PHƯỜNG]"),
            ),
            Command(
                ("unsubscribe", "huynhantin"),
                unsubscribe_command,
                N_("Hủy nhận thông báo"),
                before_renewal=True,  # objecting needs no agreement to a new notice first
            ),
            Command(
                ("subscriptions", "tincuatoi"), list_command, N_("Các thông báo tôi đang nhận")
            ),
        ),
        on_button=on_button,
        on_chat_member=member_changed,
    )
