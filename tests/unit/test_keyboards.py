from __future__ import annotations

import pytest

from bot.app import button_signer
from bot.keyboards import (
    MAX_DATA_BYTES,
    SIGNATURE_CHARS,
    Button,
    ButtonSigner,
    fit_data,
    in_rows,
    inline_keyboard,
)
from bot.settings import Settings


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


def test_signed_data_comes_back_only_in_the_chat_it_was_signed_for() -> None:
    signer = ButtonSigner.from_secret("123456:token-of-the-bot")
    signed = signer.sign(42, "r:7:verify:9")
    assert len(signed) == len("r:7:verify:9") + SIGNATURE_CHARS
    assert signer.verify(42, signed) == "r:7:verify:9"
    assert signer.verify(43, signed) is None
    assert signer.verify(42, "r:7:verify:9") is None
    assert signer.verify(42, signed.replace(":9", ":8")) is None
    assert signer.verify(42, "") is None


def test_every_process_of_one_bot_signs_alike_and_another_secret_does_not() -> None:
    signed = ButtonSigner.from_secret("123456:token-of-the-bot").sign(42, "k:0:open:1")
    assert ButtonSigner.from_secret("123456:token-of-the-bot").verify(42, signed) is not None
    assert ButtonSigner.from_secret("654321:another-token").verify(42, signed) is None


def test_a_keyboard_is_signed_button_by_button_and_fits_telegrams_64_bytes() -> None:
    signer = ButtonSigner.random()
    longest = "x" * MAX_DATA_BYTES
    markup = signer.sign_markup(7, inline_keyboard([[Button("A", "a:0:go"), Button("B", longest)]]))
    (row,) = markup["inline_keyboard"]
    assert [signer.verify(7, b["callback_data"]) for b in row] == ["a:0:go", longest]
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    with pytest.raises(ValueError):
        Button("C", longest + "x")


def test_data_is_cut_to_whole_characters() -> None:
    assert fit_data("đđđ", 5) == "đđ"
    assert fit_data("abc", 5) == "abc"


def test_the_bot_and_its_command_line_tools_sign_alike() -> None:
    """``ntvt run`` gets the token as an argument, ``ntvt notices run-once`` from settings."""
    token = "123456:token-of-the-bot"
    running = button_signer(Settings(_env_file=None), token)  # type: ignore[call-arg]
    tool = button_signer(Settings(_env_file=None, telegram_token=token), None)  # type: ignore[call-arg]
    assert tool.verify(5, running.sign(5, "d:1:once:3")) == "d:1:once:3"
    secret = "a-long-random-button-secret"
    chosen = button_signer(Settings(_env_file=None, button_secret=secret), token)  # type: ignore[call-arg]
    assert chosen.verify(5, running.sign(5, "d:1:once:3")) is None
    assert chosen.verify(5, ButtonSigner.from_secret(secret).sign(5, "x:0:y")) == "x:0:y"
