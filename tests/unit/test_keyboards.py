from __future__ import annotations

import pytest

from bot.keyboards import Button, in_rows, inline_keyboard


def test_callback_data_over_64_bytes_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="64"):
        Button("Phường", "n:1:pick:" + "đ" * 30)


def test_inline_keyboard_is_bot_api_json() -> None:
    markup = inline_keyboard([[Button("Có", "n:1:pick:yes"), Button("Không", "n:1:pick:no")]])
    assert markup == {
        "inline_keyboard": [
            [
                {"text": "Có", "callback_data": "n:1:pick:yes"},
                {"text": "Không", "callback_data": "n:1:pick:no"},
            ]
        ]
    }


def test_more_than_eight_buttons_in_a_row_are_refused() -> None:
    with pytest.raises(ValueError):
        inline_keyboard([[Button(str(i), f"x:{i}") for i in range(9)]])


def test_buttons_are_laid_out_in_rows() -> None:
    buttons = [Button(str(i), f"x:{i}") for i in range(5)]
    assert [len(row) for row in in_rows(buttons, 2)] == [2, 2, 1]
