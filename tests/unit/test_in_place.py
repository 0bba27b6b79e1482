"""A reply replacing a pressed question: one edit, its first line what was chosen."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.keyboards import Button, ButtonSigner, inline_keyboard, reply_keyboard
from bot.messages import Pressed, text_message
from bot.rendering import MAX_TEXT_CHARS, Renderer
from bot.sender import as_new_message

NOW = datetime(2026, 12, 5, tzinfo=UTC)
CHAT = 501


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(timezone=ZoneInfo("Asia/Ho_Chi_Minh"))


def _question(renderer: Renderer, replacing: Pressed) -> dict[str, object]:
    keyboard = inline_keyboard([[Button("Người dân", "n:1:pick:resident")]])
    return text_message(
        renderer,
        CHAT,
        "vi",
        "nominate/ask_role",
        now=NOW,
        keyboard=keyboard,
        buttons=ButtonSigner.random(),
        replacing=replacing,
        step=3,
        total=10,
        problem=None,
        params={},
    ).params


def test_the_pressed_question_is_edited_into_the_next_with_what_was_chosen_first(
    renderer: Renderer,
) -> None:
    message = text_message(
        renderer,
        CHAT,
        "vi",
        "nominate/cancelled",
        now=NOW,
        replacing=Pressed(42, "<✖️ Hủy>"),
    )

    assert message.method == "editMessageText"
    assert message.params["message_id"] == 42
    assert message.params["text"].startswith("✓ &lt;✖️ Hủy&gt;\n\nĐã hủy bản nháp đề cử.")
    assert "reply_markup" not in message.params  # the pressed buttons go with the edit


def test_the_next_questions_buttons_ride_on_the_edit_signed(renderer: Renderer) -> None:
    params = _question(renderer, Pressed(42, "👤 Cá nhân"))

    markup = params["reply_markup"]
    assert isinstance(markup, dict)
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("n:1:pick:resident") and data != "n:1:pick:resident"


def test_a_kept_text_stays_above_unless_both_would_not_fit(renderer: Renderer) -> None:
    kept = _question(renderer, Pressed(42, "✅ Gửi", kept="<b>Tóm tắt</b>"))["text"]
    assert isinstance(kept, str) and kept.startswith("<b>Tóm tắt</b>\n\n✓ ✅ Gửi\n\n")

    long = "x" * (MAX_TEXT_CHARS - 100)
    dropped = _question(renderer, Pressed(42, "✅ Gửi", kept=long))["text"]
    assert isinstance(dropped, str) and dropped.startswith("✓ ✅ Gửi\n\n")


def test_a_reply_keyboard_cannot_replace_a_pressed_message(renderer: Renderer) -> None:
    with pytest.raises(ValueError, match="inline"):
        text_message(
            renderer,
            CHAT,
            "vi",
            "nominate/cancelled",
            now=NOW,
            keyboard=reply_keyboard([["📝"]]),
            replacing=Pressed(42, "✖️ Hủy"),
        )


def test_a_refused_edit_is_sent_as_a_new_message_of_the_same_row(renderer: Renderer) -> None:
    edit = text_message(
        renderer, CHAT, "vi", "nominate/cancelled", now=NOW, replacing=Pressed(42, "✖️ Hủy")
    )
    edit.id = 7

    new = as_new_message(edit)

    assert (new.method, new.id) == ("sendMessage", 7)
    assert "message_id" not in new.params
    assert new.params["text"] == edit.params["text"]
    assert edit.params["message_id"] == 42, "the row itself is unchanged"
