"""``/web``: an officer asks for a one-time link to the web desk, or signs out everywhere."""

from __future__ import annotations

from bot.commands import STAFF
from bot.conversations.incoming import Incoming, button_data
from bot.desk.links import link_token, signin_url
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.desk_services import issue_link, sign_out_everywhere
from core.review import actor_for

FLOW = "dk"
SIGN_OUT_EVERYWHERE = N_("🚪 Đăng xuất mọi phiên")


async def web_command(turn: Turn) -> None:
    """Send the officer a one-time link that signs them in to the web desk."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    if not actor.is_staff:
        turn.say("officer/not_staff")
        return
    base = turn.rt.settings.desk_url
    if base is None:
        turn.say("desk/not_set_up")
        return
    secret, link = await issue_link(turn.uow, actor, now=turn.now)
    url = signin_url(base, link_token(turn.rt.buttons, actor.user_id, secret))
    keyboard = inline_keyboard(
        [[Button(turn.label(SIGN_OUT_EVERYWHERE), button_data(FLOW, 0, "out"))]]
    )
    turn.say("desk/link", keyboard=keyboard, link=url, expires_at=link.expires_at)


async def _on_button(turn: Turn, incoming: Incoming) -> None:
    """End every desk session of the officer who pressed (anyone may, for themselves)."""
    if incoming.action != "out":
        stale_button(turn)
        return
    turn.clear_buttons()
    ended = await sign_out_everywhere(turn.uow, turn.user.id, now=turn.now)
    turn.say("desk/signed_out_everywhere", count=ended)


def flow() -> Flow:
    """Return the desk's flow: the ``/web`` command and its sign-out button."""
    return Flow(
        "web desk",
        key=FLOW,
        commands=(
            Command(
                ("web",),
                web_command,
                N_("Mở bàn làm việc trên web (đường dẫn đăng nhập dùng một lần)"),
                roles=STAFF,
            ),
        ),
        on_button=_on_button,
    )
