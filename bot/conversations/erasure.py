"""``/xoadulieu`` (``/erase``): a person erases their data, after seeing what goes and what stays.

One message shows the plan (:func:`core.personal_data.plan_erasure`: which cases are erased,
which are kept for the council's record and why) with “🗑 Xóa dữ liệu của tôi” and “Giữ
nguyên”. The buttons carry the plan's fingerprint: pressed after the plan changed (a case
proposed to the council meanwhile, say), they erase nothing and the new plan is shown.

The answer to the erasure is the last thing the bot says to someone it no longer knows: it
is deleted from the outbox once sent, and then the database's files are scrubbed
(:meth:`storage.uow.Database.scrub`), so the person's id is nowhere in them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.conversations.incoming import Incoming, button_data
from bot.flows import Command, Flow
from bot.keyboards import Button, inline_keyboard
from bot.rendering import N_
from bot.retention import sweep_media
from bot.runtime import Turn
from bot.zalo.sender import RECIPIENT
from core.erasure import ErasureNotAllowedError, ErasurePlan, ErasurePlanChangedError
from core.personal_data import erase_personal_data, plan_erasure
from core.roles import NotAllowedError

FLOW = "x"
# A file of the media store younger than this stays until the daily purge (see below).
ERASURE_GRACE = timedelta(minutes=1)
CONFIRM = N_("🗑 Xóa dữ liệu của tôi")
KEEP = N_("Giữ nguyên")


async def start(turn: Turn) -> None:
    """Show what erasing would remove and keep, and ask to confirm it."""
    plan = await _plan(turn)
    if plan is not None:
        _ask(turn, plan)


async def on_button(turn: Turn, incoming: Incoming) -> None:
    """Erase as the plan shown said, or keep everything, as the person pressed."""
    turn.answer_in_place()
    if incoming.action != "yes":
        turn.say("erase/kept", keyboard=turn.main_menu())
        return
    try:
        receipt = await erase_personal_data(
            turn.uow,
            turn.user.id,
            chat_id=turn.chat_id,
            fingerprint=incoming.token or 0,
            now=turn.now,
        )
    except ErasurePlanChangedError:
        plan = await _plan(turn)
        if plan is not None:
            _ask(turn, plan, changed=True)
        return
    except (ErasureNotAllowedError, NotAllowedError):
        await _plan(turn)
        return
    turn.say("erase/done", receipt=receipt, at=turn.now)
    # Said to a chat the database no longer knows: nothing of it is kept once it went.
    # On Zalo the account this turn forgot is named in the answer itself, for its sender.
    named = {RECIPIENT: turn.external_id} if turn.external_id else {}
    turn.replies[:] = [
        replace(reply, forget_when_sent=True, params={**reply.params, **named})
        for reply in turn.replies
    ]
    erased = receipt.erased_case_ids
    if erased:
        turn.afterwards.append(lambda: turn.rt.search.forget(erased))
    if turn.rt.scrub is not None:
        turn.afterwards.append(turn.rt.scrub)
    # Their photos and files sent on Zalo leave the media store (those of the last minute at
    # the daily purge: a turn may be about to name them).
    turn.afterwards.append(lambda: sweep_media(turn.rt, grace=ERASURE_GRACE))


async def _plan(turn: Turn) -> ErasurePlan | None:
    """Return the person's erasure plan; None, having said why, when they may not erase."""
    try:
        plan = await plan_erasure(turn.uow, turn.user.id, chat_id=turn.chat_id)
    except NotAllowedError:  # not their private chat: commands are private, buttons signed
        plan = None
    if plan is None:
        turn.say("erase/nothing", keyboard=turn.main_menu())
        return None
    if not plan.allowed:
        turn.say("erase/role_holder", keyboard=turn.main_menu())
        return None
    return plan


def _ask(turn: Turn, plan: ErasurePlan, *, changed: bool = False) -> None:
    keyboard = inline_keyboard(
        [
            [
                Button(turn.label(CONFIRM), button_data(FLOW, plan.fingerprint, "yes")),
                Button(turn.label(KEEP), button_data(FLOW, plan.fingerprint, "no")),
            ]
        ]
    )
    turn.say("erase/ask", keyboard=keyboard, plan=plan, changed=changed)


def flow() -> Flow:
    """Return the erasure's flow: its command and its two buttons."""
    return Flow(
        "erasure",
        key=FLOW,
        commands=(Command(("xoadulieu", "erase"), start, N_("Xóa dữ liệu cá nhân của tôi")),),
        on_button=on_button,
        before_renewal=True,  # the right to erasure, whatever notice was agreed to
    )
