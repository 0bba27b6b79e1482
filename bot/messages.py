"""Outgoing messages rendered for their reader: one place for the Bot API parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.keyboards import ButtonSigner
from bot.rendering import Renderer
from core.identity import channel_of_chat
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork


def text_message(
    renderer: Renderer,
    chat_id: int,
    locale: str,
    template: str,
    *,
    now: datetime,
    keyboard: dict[str, Any] | None = None,
    buttons: ButtonSigner | None = None,
    **context: Any,
) -> OutgoingMessage:
    """Return a ``sendMessage`` rendered from ``template`` in ``locale`` (Telegram HTML).

    Inline buttons are signed for ``chat_id`` with ``buttons``: a message with inline buttons
    and no signer is a mistake, refused here rather than sent with buttons nobody can press.
    """
    context.setdefault("channel", channel_of_chat(chat_id).value)
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": renderer.render(locale, template, **context),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if keyboard is not None and "inline_keyboard" in keyboard:
        if buttons is None:
            raise ValueError(f"{template}: inline buttons need a signer")
        keyboard = buttons.sign_markup(chat_id, keyboard)
    if keyboard is not None:
        params["reply_markup"] = keyboard
    return OutgoingMessage(chat_id, "sendMessage", params, now)


async def locale_of(uow: UnitOfWork, user_id: int, default: str) -> str:
    """Return the language a user reads (their choice, else Telegram's, else the default)."""
    person = await uow.users.get(user_id)
    return person.resolved_locale(default) if person else default
