"""Outgoing messages rendered for their reader: one place for the Bot API parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from bot.keyboards import ButtonSigner
from bot.rendering import MAX_TEXT_CHARS, Renderer
from core.identity import channel_of_chat
from core.outbox import OutgoingMessage
from core.ports import UnitOfWork

# Room left in an edited text for the line saying what was chosen (see ``_in_place.j2``).
_CHOSEN_ROOM = 200


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message whose inline button was pressed, to be turned into the next reply.

    ``chosen``: the pressed button's label, kept as the edited text's first line.
    ``kept``: the message's own text (Telegram HTML), kept above it (a summary), if any.
    """

    message_id: int
    chosen: str
    kept: str | None = None


def text_message(
    renderer: Renderer,
    chat_id: int,
    locale: str,
    template: str,
    *,
    now: datetime,
    keyboard: dict[str, Any] | None = None,
    buttons: ButtonSigner | None = None,
    replacing: Pressed | None = None,
    **context: Any,
) -> OutgoingMessage:
    """Return a ``sendMessage`` rendered from ``template`` in ``locale`` (Telegram HTML).

    Inline buttons are signed for ``chat_id`` with ``buttons``: a message with inline buttons
    and no signer is a mistake, refused here rather than sent with buttons nobody can press.

    ``replacing``: the message is an ``editMessageText`` of the pressed message instead, its
    first line what was chosen ("✓ 👤 Cá nhân"), then the text. Only an inline keyboard (or
    none) can ride on an edit. The sender sends it as a new message if Telegram refuses the
    edit (:meth:`bot.sender.OutboxSender._attempt`).
    """
    context.setdefault("channel", channel_of_chat(chat_id).value)
    text = renderer.render(locale, template, **context)
    params: dict[str, Any] = {"chat_id": chat_id}
    method = "sendMessage"
    if replacing is not None:
        if keyboard is not None and "inline_keyboard" not in keyboard:
            raise ValueError(f"{template}: only inline buttons can replace a pressed message")
        method = "editMessageText"
        params["message_id"] = replacing.message_id
        kept = replacing.kept
        if kept is not None and len(kept) + len(text) + _CHOSEN_ROOM > MAX_TEXT_CHARS:
            kept = None  # the new text matters more than the old one
        text = renderer.render(
            locale,
            "_in_place",
            chosen=replacing.chosen,
            kept=Markup(kept) if kept else None,
            question=Markup(text),
        )
    params |= {
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if keyboard is not None and "inline_keyboard" in keyboard:
        if buttons is None:
            raise ValueError(f"{template}: inline buttons need a signer")
        keyboard = buttons.sign_markup(chat_id, keyboard)
    if keyboard is not None:
        params["reply_markup"] = keyboard
    return OutgoingMessage(chat_id, method, params, now)


async def locale_of(uow: UnitOfWork, user_id: int, default: str) -> str:
    """Return the language a user reads (their choice, else Telegram's, else the default)."""
    person = await uow.users.get(user_id)
    return person.resolved_locale(default) if person else default
