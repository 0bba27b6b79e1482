"""``ntvt chat``'s desk: served beside the terminal chat, with a link for the demo's office.

The whole ``run_chat`` runs in process; the window's input is a stand-in that, as a person
would, opens the link the chat printed in a "browser" (httpx) before typing anything.
"""

from __future__ import annotations

import io
import re
import socket

import httpx
import pytest
from PIL import Image

import bot.chat
from bot.chat import demo_photo, run_chat
from bot.desk.evidence import image_type
from bot.desk.local import desk_socket
from bot.settings import Settings, SettingsError

LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/desk/signin/\S+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def database_backend() -> str:
    """The terminal chat runs on SQLite."""
    return "sqlite"


async def test_the_chat_prints_the_desk_and_a_link_that_signs_the_office_in(
    migrated_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seen: dict[str, object] = {}

    def first_line() -> str | None:
        printed = capsys.readouterr().out
        found = LINK.search(printed)
        assert found is not None, printed
        seen["printed"] = printed
        with httpx.Client(base_url=f"http://127.0.0.1:{found.group(1)}") as browser:
            page = browser.get(found.group(0))
            token = found.group(0).rsplit("/", 1)[1]
            csrf = CSRF.search(page.text)
            assert csrf is not None, page.text
            pressed = browser.post("/desk/signin", data={"token": token, "csrf": csrf.group(1)})
            seen["pressed"] = pressed.status_code
            seen["overview"] = browser.get("/desk/").text
        return None  # the end of input: the chat ends

    monkeypatch.setattr(bot.chat, "_read_line", first_line)
    settings = Settings(_env_file=None, database_url=migrated_database_url)  # type: ignore[call-arg]

    await run_chat(settings, user_name="Bạn", language="vi")

    assert "Bàn làm việc trên web (Web desk): http://127.0.0.1:" in str(seen["printed"])
    assert "Thường trực Hội đồng Lê Văn Nam" in str(seen["printed"])
    assert seen["pressed"] == 303
    assert "Tổng quan" in str(seen["overview"]) and "Lê Văn Nam" in str(seen["overview"])


def test_a_desk_port_in_use_is_one_line() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(SettingsError, match=f"NTVT_DESK_PORT={port}"):
            desk_socket(port)
    finally:
        taken.close()


def test_the_chats_photo_is_a_picture_the_desk_shows() -> None:
    photo = demo_photo()
    assert image_type(photo) == "image/png"
    with Image.open(io.BytesIO(photo)) as picture:
        assert picture.size == (320, 240)
