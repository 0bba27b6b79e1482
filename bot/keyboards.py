"""Inline and reply keyboards as Bot API JSON, checked against Telegram's limits when built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_CALLBACK_BYTES = 64
MAX_BUTTONS = 100
MAX_PER_ROW = 8


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a label and the data sent back when it is pressed."""

    label: str
    data: str

    def __post_init__(self) -> None:
        size = len(self.data.encode())
        if not 1 <= size <= MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data {self.data!r} is {size} bytes; Telegram allows 1-64")
        if not self.label.strip():
            raise ValueError("a button needs a label")


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any]:
    """Return ``reply_markup`` JSON for inline buttons, refusing what Telegram would refuse."""
    rows = [row for row in rows if row]
    if sum(len(row) for row in rows) > MAX_BUTTONS or any(len(r) > MAX_PER_ROW for r in rows):
        raise ValueError("too many inline buttons for Telegram")
    return {
        "inline_keyboard": [
            [{"text": button.label, "callback_data": button.data} for button in row] for row in rows
        ]
    }


def in_rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    """Lay buttons out ``per_row`` to a row."""
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def reply_keyboard(
    rows: Sequence[Sequence[str]], *, placeholder: str | None = None
) -> dict[str, Any]:
    """Return ``reply_markup`` JSON for a persistent reply keyboard (the main menu)."""
    markup: dict[str, Any] = {
        "keyboard": [[{"text": label} for label in row] for row in rows],
        "resize_keyboard": True,
        "is_persistent": True,
    }
    if placeholder:
        markup["input_field_placeholder"] = placeholder[:64]
    return markup
