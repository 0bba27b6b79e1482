"""``ntvt chat``: talk to the real bot in a terminal, with no Telegram token.

The bot runs exactly as in production (PTB, our update processor, the database), but talks to
the local Bot API server in this process instead of Telegram. Inline buttons are shown
numbered; type the number to press one.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from pathlib import Path

from bot.app import running_bot
from bot.budget import SendBudget
from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.settings import Settings

CHAT_USER_ID = 100_001
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"</?(b|strong)>")

HELP = """\
Gõ tin nhắn như trong Telegram. Nút bấm hiện kèm số: gõ số để bấm.
Lệnh riêng của cửa sổ này: :anh (gửi một ảnh), :tep (gửi một tệp), :vitri (gửi vị trí),
:sdt (chia sẻ số điện thoại), :thoat (thoát).
Type as you would in Telegram; type a button's number to press it; :thoat quits."""


def to_terminal(text: str, *, color: bool) -> str:
    """Render Telegram HTML for a terminal: bold kept where the terminal can show it."""
    if color:
        text = _BOLD.sub(lambda m: "\033[0m" if m.group(0).startswith("</") else "\033[1m", text)
    return html.unescape(_TAG.sub("", text))


FIRST_REPLY_WAIT = 3.0


class TerminalChat:
    """Shows the bot's messages and turns typed lines into a simulated user's actions."""

    def __init__(self, api: LocalBotApi, user: SimUser, *, color: bool) -> None:
        self._api = api
        self._user = user
        self._color = color
        self._shown = 0
        self._buttons: list[str] = []
        self._menu: list[list[str]] | None = None

    async def show_new(self) -> None:
        """Print the bot's messages that arrived since the last call.

        Waits for the first new message (up to ``FIRST_REPLY_WAIT``: a busy bot may take a
        moment between taking the update and answering), then until the bot is idle.
        """
        shown = self._shown
        await self._api.state.signal.wait_for(
            lambda: len(self._user.messages) > shown, FIRST_REPLY_WAIT
        )
        await self._api.wait_until_idle(timeout=10)
        messages = self._user.messages
        for message in messages[self._shown :]:
            self._print(message)
        self._shown = len(messages)

    def _print(self, message: BotMessage) -> None:
        print()
        print(to_terminal(message.html, color=self._color))
        labels = [label for row in message.buttons for label in row]
        if labels:
            self._buttons = labels
            print("  ".join(f"[{number}] {label}" for number, label in enumerate(labels, 1)))
        menu = self._user.reply_keyboard
        if menu and menu != self._menu:
            self._menu = menu
            print("Menu: " + " | ".join(label for row in menu for label in row))

    async def handle(self, line: str) -> bool:
        """Act on one typed line; return False to quit."""
        line = line.strip()
        if line in (":thoat", ":quit", ":q"):
            return False
        if line.isdigit() and 1 <= int(line) <= len(self._buttons):
            await self._user.press(self._buttons[int(line) - 1])
        elif line == ":anh":
            await self._user.send_photo(file_size=350_000)
        elif line == ":tep":
            await self._user.send_document("bien-ban.pdf", "application/pdf", 120_000)
        elif line == ":vitri":
            await self._user.send_location(21.0333, 105.8520)
        elif line == ":sdt":
            await self._user.send_contact("0912345678", own=True)
        elif line.startswith("/"):
            command, _, payload = line.partition(" ")
            await self._user.send_command(command, payload or None)
        elif line:
            await self._user.send_text(line)
        await self.show_new()
        return True


async def run_chat(
    settings: Settings, *, user_name: str, language: str, plan: Path | None = None
) -> None:
    """Run the bot against an in-process Bot API and chat with it on stdin/stdout.

    ``plan``: a plan file loaded at start (``ntvt chat`` gives today's organisation).
    """
    async with LocalBotApi() as api:
        local = settings.model_copy(
            update={"telegram_api_url": api.base_url, "telegram_file_url": api.file_base_url}
        )
        # One person at a keyboard, no Telegram: a turn's replies (a step's answer taken,
        # then the next question) are shown together, not one a second.
        unpaced = SendBudget(chat_burst=1_000_000)
        async with running_bot(
            local, token=api.token, polling=True, poll_timeout=1, plan_file=plan, budget=unpaced
        ):
            user = api.user(CHAT_USER_ID, first_name=user_name, language_code=language)
            chat = TerminalChat(api, user, color=sys.stdout.isatty())
            print(HELP)
            await user.send_command("/start")
            await chat.show_new()
            while True:
                line = await asyncio.to_thread(_read_line)
                if line is None or not await chat.handle(line):
                    break


def _read_line() -> str | None:
    try:
        return input("\n> ")
    except EOFError:
        return None
