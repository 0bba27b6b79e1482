"""``/rutdongy``: a resident takes back their consent, after one sentence on what that stops.

Two buttons, no dialog: “✅ Rút lại đồng ý” withdraws at once, “Giữ nguyên” keeps it. What
withdrawing stops is :func:`core.services.withdraw_consent`'s to decide.
"""

from __future__ import annotations

from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow, stale_button
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.runtime import Turn
from core.review import consent_in_effect
from core.services import withdraw_consent

FLOW = "w"
CONFIRM = N_("✅ Rút lại đồng ý")
KEEP = N_("Giữ nguyên")


async def start(turn: Turn) -> None:
    """Say what withdrawing stops, and ask to confirm it (the buttons name this consent)."""
    consent = await consent_in_effect(turn.uow, turn.user.id)
    if consent is None:
        turn.say("consent/withdraw_nothing", keyboard=turn.main_menu())
        return
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(CONFIRM), button_data(FLOW, consent.token, "yes")),
                Button(turn.label(KEEP), button_data(FLOW, consent.token, "no")),
            ]
        ]
    )
    turn.say("consent/withdraw_ask", keyboard=keyboard)


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """Withdraw the consent, or keep it, as the resident pressed.

    A button shown for an earlier consent (the person agreed again since) is stale: it must
    not withdraw the consent given after it.
    """
    consent = await consent_in_effect(turn.uow, turn.user.id)
    if consent is not None and incoming.token != consent.token:
        stale_button(turn)
        return
    # Left at three Bot API calls: every answer brings the menu back, and a reply keyboard
    # comes only with a new message.
    turn.clear_buttons()
    if incoming.action != "yes":
        turn.say("consent/withdraw_kept", keyboard=turn.main_menu())
        return
    done = await withdraw_consent(turn.uow, turn.user.id, chat_id=turn.chat_id, now=turn.now)
    if done is None:  # withdrawn meanwhile, from another message
        turn.say("consent/withdraw_nothing", keyboard=turn.main_menu())
        return
    turn.say(
        "consent/withdrawn",
        keyboard=turn.main_menu(),
        at=turn.now,
        subscriptions=done.subscriptions,
        draft_dropped=done.draft_dropped,
        open_cases=done.open_cases,
    )


def flow() -> Flow:
    """Return the withdrawal's flow: its command and its two buttons."""
    return Flow(
        "withdrawal",
        key=FLOW,
        commands=(
            Command(("rutdongy", "withdraw"), start, N_("Rút lại đồng ý xử lý dữ liệu cá nhân")),
        ),
        on_button=on_button,
        before_renewal=True,  # withdrawing needs no agreement to the new notice first
    )
