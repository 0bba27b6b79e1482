"""What every flow shares: the navigation buttons, an answer's problem, reading typed text."""

from __future__ import annotations

from typing import Any

from bot.conversations.incoming import Incoming, button_data
from bot.keyboards import Button
from bot.rendering import N_
from bot.runtime import Turn

BACK = N_("⬅️ Quay lại")
CANCEL = N_("✖️ Hủy")
SKIP = N_("Bỏ qua")
TODAY = N_("Hôm nay")


class Problem(Exception):
    """An answer the step cannot take; ``code`` picks the explanation shown, ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def typed_text(
    incoming: Incoming, max_chars: int | None = None, *, expected: str = "input.text_expected"
) -> str:
    """Return what was typed, or raise :class:`Problem` (``expected``, or ``input.too_long``)."""
    if incoming.kind != "text" or not incoming.text:
        raise Problem(expected)
    if max_chars is not None and len(incoming.text) > max_chars:
        raise Problem("input.too_long", length=len(incoming.text))
    return incoming.text


def nav_button(turn: Turn, flow: str, token: int, label: str, action: str) -> Button:
    """Build a button of the flow's dialog that carries no argument: back, cancel, skip."""
    return Button(turn.label(label), button_data(flow, token, action))


def cancel_button(turn: Turn, flow: str, token: int) -> Button:
    """Build the dialog's “✖️ Hủy” button."""
    return nav_button(turn, flow, token, CANCEL, "cancel")
