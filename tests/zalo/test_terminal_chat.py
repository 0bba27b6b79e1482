"""``ntvt chat --channel zalo``'s window, typed at in-process: what it prints is what Zalo got.

The window (:class:`bot.zalo.chat.ZaloChat`) runs against the bot's server and a local Zalo
OA, as ``ntvt chat --channel zalo`` does. A resident agrees to the notice by typing the
button's number, starts a nomination and answers a numbered list; every message the OA
accepted is printed as it was sent, and each typed number was a tap of the button it named,
or the number itself when no button had it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.plans import TODAY_PLAN
from bot.settings import Settings
from bot.zalo.chat import (
    ASKS_PHONE,
    FILE_NOTE,
    PHOTO_NOTE,
    RETURNING,
    ZaloChat,
    as_shown,
    numbered_buttons,
    zalo_window,
)
from bot.zalo.local_api import SentMessage

NOMINEE = "Nguyễn Văn Bình"


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite")])
def database_backend(request: pytest.FixtureRequest) -> str:
    """SQLite only: the window is the same whatever the store (the Zalo turns and sender
    are tested on both in test_resident_on_zalo.py)."""
    backend: str = request.param
    return backend


@pytest.fixture
def settings(migrated_database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=migrated_database_url)  # type: ignore[call-arg]


def opened(settings: Settings) -> AbstractAsyncContextManager[ZaloChat]:
    """A session of ``ntvt chat --channel zalo`` on the test's database, today's plan loaded."""
    return zalo_window(settings, user_name="Lan", language="vi", plan=TODAY_PLAN)


@pytest.fixture
async def window(settings: Settings) -> AsyncIterator[ZaloChat]:
    async with opened(settings) as chat:
        yield chat


def recording(
    calls: list[str], real: Callable[[str, str], Awaitable[int]]
) -> Callable[[str, str], Awaitable[int]]:
    """Wrap one of the OA's resident actions so that what it sent is noted first."""

    async def spy(user_id: str, text: str) -> int:
        calls.append(text)
        return await real(user_id, text)

    return spy


def as_zalo_sent(message: SentMessage) -> str:
    """The message as the test expects it printed: its text, then its buttons numbered."""
    lines = [message.text]
    if message.buttons:
        lines.append("  ".join(f"[{n}] {title}" for n, (title, _) in enumerate(message.buttons, 1)))
    return "\n".join(lines)


async def test_a_resident_on_zalo_agrees_by_number_and_starts_a_nomination(
    window: ZaloChat, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    zalo = window.zalo
    tapped: list[str] = []
    typed: list[str] = []  # what reached the OA as the resident's text (a tap is one too)
    monkeypatch.setattr(zalo, "send_text", recording(typed, zalo.send_text))
    monkeypatch.setattr(zalo, "press", recording(tapped, zalo.press))

    await window.start()
    welcome, notice = zalo.messages_to(window.user_id)
    assert "Xin chào" in welcome.text and "dữ liệu cá nhân" in notice.text
    assert window.numbered == ["✅ Tôi đồng ý", "Không đồng ý"]

    assert await window.handle("1")
    thanks = zalo.messages_to(window.user_id)[-1]
    assert "đã đồng ý" in thanks.text
    assert await window.handle("1")  # 📝 Đề cử người tốt, việc tốt
    kind = zalo.messages_to(window.user_id)[-1]
    assert "Bước 1/10" in kind.text
    assert window.numbered == ["👤 Cá nhân", "👥 Tập thể", "✖️ Hủy"]
    assert await window.handle("1")  # 👤 Cá nhân
    assert await window.handle(NOMINEE)
    role = zalo.messages_to(window.user_id)[-1]
    # More choices than Zalo's five buttons: a numbered list, answered by typing its number.
    assert "Bước 3/10" in role.text and "\n1. Người dân\n" in role.text and not role.buttons
    assert window.numbered == []
    assert await window.handle("1")
    deed = zalo.messages_to(window.user_id)[-1]
    assert "Bước 4/10" in deed.text

    agree = notice.buttons[0][1]
    nominate = thanks.buttons[0][1]
    individual = kind.buttons[0][1]
    assert tapped == [agree, nominate, individual]
    assert typed == ["Xin chào", agree, nominate, individual, NOMINEE, "1"]
    sent = zalo.messages_to(window.user_id)
    assert all(message.template_type is None for message in sent)
    assert capsys.readouterr().out == "".join(f"\n{as_zalo_sent(m)}\n" for m in sent)


async def test_a_later_session_greets_nobody_and_goes_on_where_the_last_one_stopped(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with opened(settings) as first:
        await first.start()
        assert await first.handle("1")  # ✅ Tôi đồng ý
        assert await first.handle("1")  # 📝 Đề cử người tốt, việc tốt
        assert "Bước 1/10" in first.zalo.messages_to(first.user_id)[-1].text
    capsys.readouterr()

    async with opened(settings) as again:
        typed: list[str] = []
        monkeypatch.setattr(again.zalo, "send_text", recording(typed, again.zalo.send_text))
        await again.start()
        # "Xin chào" would be taken for the nominee's kind: the window types nothing for them.
        assert typed == []
        assert capsys.readouterr().out == f"\n{RETURNING}\n"
        assert await again.handle("1")  # the kind the last session asked: 👤 Cá nhân
        (asked,) = again.zalo.messages_to(again.user_id)
        assert "Bước 2/10" in asked.text, asked.text


def sent(message: dict[str, Any]) -> SentMessage:
    return SentMessage("1", message, "m1", datetime(2026, 11, 20, 3, 0, tzinfo=UTC))


def test_the_request_for_the_phone_a_photo_and_a_file_are_one_line_each() -> None:
    ask = sent(
        {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "request_user_info",
                    "elements": [{"title": "📱 Gửi số điện thoại của tôi", "subtitle": "Bước 9"}],
                },
            }
        }
    )
    assert as_shown(ask) == ASKS_PHONE
    assert ASKS_PHONE == "📱 (Zalo hỏi số điện thoại của Anh/Chị: gõ :sdt để chia sẻ)"
    photo = sent(
        {
            "text": "Ảnh Anh/Chị gửi",
            "attachment": {
                "type": "template",
                "payload": {"template_type": "media", "elements": [{"attachment_id": "a1"}]},
            },
        }
    )
    assert as_shown(photo) == f"{PHOTO_NOTE}\nẢnh Anh/Chị gửi"
    document = sent({"attachment": {"type": "file", "payload": {"token": "t1"}}})
    assert as_shown(document) == FILE_NOTE


def test_a_number_taps_the_last_choices_offered_unless_they_are_a_numbered_list() -> None:
    menu = sent(
        {
            "text": "📍 Đã nhận vị trí Anh/Chị gửi.",
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [{"type": "oa.query.hide", "title": "📝 Đề cử", "payload": "#menu"}]
                },
            },
        }
    )
    listed = sent({"text": "Xin Anh/Chị chọn đơn vị:\n\n1. Phường Hoàn Kiếm\n2. Tổ dân phố số 1"})
    ask = sent(
        {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "request_user_info", "elements": [{"title": "📱"}]},
            }
        }
    )
    assert numbered_buttons([menu, listed]) == []
    assert numbered_buttons([listed, menu]) == [("📝 Đề cử", "#menu")]
    # The request for the phone offers no choice: the question's buttons above it stay.
    assert numbered_buttons([menu, ask]) == [("📝 Đề cử", "#menu")]
    assert numbered_buttons([ask]) == []
