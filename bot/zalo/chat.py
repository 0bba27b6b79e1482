"""``ntvt chat --channel zalo``: be a resident writing to the ward's Zalo OA, in a terminal.

The bot runs as ``ntvt serve`` runs it: :func:`bot.webhook.create_app` under uvicorn on
127.0.0.1, with the local Bot API standing in for Telegram and a local Zalo OA
(:class:`bot.zalo.local_api.LocalZaloOA`) whose webhook is that server's ``/zalo/webhook``.
What the person types becomes Zalo's events; what the bot sent and the OA accepted is
printed as Zalo shows it: plain text, its buttons numbered (type the number to tap one),
the request for their phone and a photo or a file as one line each.

Zalo has no ``/start``: the window says "Xin chào" for a person the bot never met, who is
answered with the welcome and the privacy notice. The person is the same in every session,
as on Telegram: a later session on the same database goes on where the last one stopped.
Zalo's night ban (22:00-06:00) is lifted on both sides, so that the window answers at any
hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, time, timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from bot.failures import one_line
from bot.local_api import LocalBotApi
from bot.runtime import Runtime
from bot.settings import Settings
from bot.webhook import WEBHOOK_PATH, create_app
from bot.zalo.cli import install_lines
from bot.zalo.local_api import LocalZaloOA, SentMessage
from bot.zalo.webhook import ZALO_WEBHOOK_PATH
from core.channels import Channel
from core.outbox import OutboxStatus, OutgoingMessage
from core.people import SUPPORTED_LOCALES

ZALO_HELP = """\
Gõ tin nhắn như trong Zalo: Anh/Chị là người dân nhắn cho Zalo OA của phường. Nút bấm hiện
kèm số: gõ số để bấm. Zalo không có /start: lần đầu, cửa sổ gửi “Xin chào” thay Anh/Chị.
Lệnh riêng của cửa sổ này: :anh (gửi một ảnh), :tep (gửi một tệp), :vitri (gửi vị trí),
:sdt (chia sẻ số điện thoại khi Zalo hỏi), :thoat (thoát).
Type as you would in Zalo, as a resident writing to the ward's OA; type a button's number to
tap it; the first time, the window says "Xin chào" for you (Zalo has no /start); :thoat quits."""

GREETING = "Xin chào"
ASKS_PHONE = "📱 (Zalo hỏi số điện thoại của Anh/Chị: gõ :sdt để chia sẻ)"
PHOTO_NOTE = "🖼️ (Một ảnh)"
FILE_NOTE = "📎 (Một tệp đính kèm)"
RETURNING = (
    "(Anh/Chị đã nhắn cho OA này ở lần chat trước: cuộc trò chuyện tiếp tục từ chỗ đã dừng.)"
)
STAFF_ONLY_ON_TELEGRAM = "(Trên Zalo Anh/Chị là người dân: đổi vai chỉ có khi chat qua Telegram.)"

# The resident's id at the local OA: the same in every session, as the Telegram chat's is.
CHAT_ZALO_ID = "7100000000000000001"
DEMO_PHONE = "0912345678"
HOAN_KIEM_LAKE = (21.0288, 105.8524)
# The smallest files that say what they are: the bot keeps them, it does not open them.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

# How long the window waits for the bot to be done with what was sent, and how often it looks.
REPLY_WAIT = 10.0
LOOK_EVERY = 0.03
# The chat's latest messages looked at for one still on its way.
RECENT = 20
# A choice list appended to a text: more choices than Zalo's buttons (bot.zalo.render).
_CHOICE_LIST = re.compile(r"^1\. .+\n2\. ", re.MULTILINE)


def as_shown(message: SentMessage) -> str:
    """Return how the window shows one message the OA sent: as Zalo does, in plain text."""
    lines = [message.text] if message.text else []
    attachment = message.message.get("attachment") or {}
    kind = message.template_type
    if kind == "media":
        lines.insert(0, PHOTO_NOTE)
    elif attachment.get("type") == "file":
        lines.insert(0, FILE_NOTE)
    elif kind == "request_user_info":
        lines.append(ASKS_PHONE)
    elif kind == "list":
        elements = (attachment.get("payload") or {}).get("elements") or []
        lines.extend(f"• {element.get('title', '')}" for element in elements)
    if message.buttons:
        numbered = enumerate(message.buttons, 1)
        lines.append("  ".join(f"[{number}] {title}" for number, (title, _payload) in numbered))
    return "\n".join(lines)


def numbered_buttons(answer: Sequence[SentMessage]) -> list[tuple[str, str]]:
    """Return the buttons a typed number taps after ``answer``, the messages of one turn.

    Those of its last message that offers choices; none when that message lists them
    numbered in its text (Zalo's way past five buttons): a number then answers the list.
    """
    for message in reversed(answer):
        if message.buttons:
            return list(message.buttons)
        if _CHOICE_LIST.search(message.text):
            return []
    return []


class ZaloChat:
    """Shows what the OA sent the resident and turns typed lines into their Zalo actions.

    ``zalo``: the local OA the resident writes to; ``rt``: the running bot's runtime, asked
    whether the bot is done with what was sent; ``name``: the name ``:sdt`` shares.
    """

    def __init__(
        self, zalo: LocalZaloOA, rt: Runtime, *, name: str, user_id: str = CHAT_ZALO_ID
    ) -> None:
        self.zalo = zalo
        self.user_id = user_id
        self._rt = rt
        self._name = name
        self._shown = 0
        self._buttons: list[tuple[str, str]] = []

    @property
    def numbered(self) -> list[str]:
        """Return the titles of the buttons last numbered, in their numbers' order."""
        return [title for title, _payload in self._buttons]

    async def start(self) -> None:
        """Say "Xin chào" as a person new to the OA would (Zalo has no /start); show the answer.

        A person the bot met in an earlier session on this database is greeted by nobody:
        a step they left open would take the greeting for its answer.
        """
        if await self._known():
            print(f"\n{RETURNING}")
            return
        await self._sent(await self.zalo.send_text(self.user_id, GREETING))
        await self.show_new()

    async def _known(self) -> bool:
        async with self._rt.uow() as uow:
            return await uow.identities.get(Channel.ZALO, self.user_id) is not None

    async def handle(self, line: str) -> bool:
        """Act on one typed line; return False to quit. Nothing typed raises."""
        line = line.strip()
        if line in (":thoat", ":quit", ":q"):
            return False
        if not line:
            return True  # Zalo sends no empty message
        if line == ":vai" or line.startswith((":vai ", ":as ")):
            print(f"\n{STAFF_ONLY_ON_TELEGRAM}")
            return True
        try:
            await self._sent(await self._send(line))
            await self.show_new()
        except Exception as error:  # the window outlives any one line
            print(f"\n(Cửa sổ chat: chưa làm được “{line[:40]}”: {one_line(error)})")
        return True

    async def _send(self, line: str) -> int:
        """Do what ``line`` says at the OA; return the HTTP status of the bot's webhook."""
        payload = self._payload(line)
        if payload is not None:
            return await self.zalo.press(self.user_id, payload)
        if line == ":anh":
            return await self.zalo.send_image(self.user_id, PHOTO)
        if line == ":tep":
            return await self.zalo.send_file(self.user_id, PDF, "bien-ban.pdf")
        if line == ":vitri":
            return await self.zalo.send_location(self.user_id, *HOAN_KIEM_LAKE)
        if line == ":sdt":
            return await self.zalo.submit_info(self.user_id, name=self._name, phone=DEMO_PHONE)
        return await self.zalo.send_text(self.user_id, line)

    @staticmethod
    async def _sent(status: int) -> None:
        if status != 200:
            raise RuntimeError(f"the bot's webhook answered HTTP {status}")

    def _payload(self, line: str) -> str | None:
        """Return the payload of the button a typed number taps, if one is numbered so.

        A number past the buttons goes as text: it may answer a numbered list, which is how
        Zalo shows more choices than its five buttons.
        """
        if not (line.isascii() and line.isdigit()):
            return None
        number = int(line)
        return self._buttons[number - 1][1] if 1 <= number <= len(self._buttons) else None

    async def show_new(self) -> None:
        """Print what the OA sent since the last call, once the bot is done with its turn."""
        await self._wait_until_answered()
        messages = self.zalo.messages_to(self.user_id)
        new = messages[self._shown :]
        self._shown = len(messages)
        for message in new:
            print()
            print(as_shown(message))
        if new:
            self._buttons = numbered_buttons(new)

    async def _wait_until_answered(self) -> None:
        """Wait until the bot took what was sent and every reply due went (``REPLY_WAIT``)."""
        for _look in range(round(REPLY_WAIT / LOOK_EVERY)):
            if not await self._busy():
                return
            await asyncio.sleep(LOOK_EVERY)

    async def _busy(self) -> bool:
        """Tell whether an event waits for its turn, or a reply to the resident is due."""
        rt = self._rt
        async with rt.uow() as uow:
            if await uow.zalo_events.waiting(limit=1):
                return True
            identity = await uow.identities.get(Channel.ZALO, self.user_id)
            recent = await uow.outbox.recent(identity.user_id, limit=RECENT) if identity else []
        now = rt.clock()
        return any(_on_its_way(message, now) for message in recent)


def _on_its_way(message: OutgoingMessage, now: datetime) -> bool:
    """Tell whether the sender will send the message now (not held, not waiting to retry)."""
    unsent = message.status in (OutboxStatus.PENDING, OutboxStatus.SENDING)
    return unsent and (message.retry_at is None or message.retry_at <= now)


@asynccontextmanager
async def zalo_window(
    settings: Settings, *, user_name: str, language: str, plan: Path | None = None
) -> AsyncIterator[ZaloChat]:
    """Run the bot's server with a local Zalo OA; yield the window of a resident on Zalo.

    ``plan``: a plan file loaded at start; ``language``: the bot's default language, which
    is what a person on Zalo gets (Zalo tells none).
    """
    async with LocalBotApi() as telegram, LocalZaloOA(quiet_hours=None) as zalo:
        with tempfile.TemporaryDirectory(prefix="ntvt-zalo-") as media, _loopback() as sock:
            port = int(sock.getsockname()[1])
            local = _local_settings(
                settings, telegram, zalo, media=media, port=port, language=language
            )
            zalo.webhook_url = f"http://127.0.0.1:{port}{ZALO_WEBHOOK_PATH}"
            await _install_tokens(local, zalo)
            app = create_app(local, token=telegram.token, plan_file=plan)
            async with app.router.lifespan_context(app), _serving(app, sock):
                yield ZaloChat(zalo, app.state.runtime, name=user_name)


def _local_settings(
    settings: Settings,
    telegram: LocalBotApi,
    zalo: LocalZaloOA,
    *,
    media: str,
    port: int,
    language: str,
) -> Settings:
    """Return ``settings`` talking to the local Bot API and OA, served on ``port``."""
    return settings.model_copy(
        update={
            "default_locale": (
                language if language in SUPPORTED_LOCALES else settings.default_locale
            ),
            "telegram_api_url": telegram.base_url,
            "telegram_file_url": telegram.file_base_url,
            "webhook_url": f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
            "webhook_secret": SecretStr(secrets.token_urlsafe(24)),
            "zalo_app_id": zalo.app_id,
            "zalo_app_secret": SecretStr(zalo.app_secret),
            "zalo_secret_key": SecretStr(zalo.secret_key),
            "zalo_oa_id": zalo.oa_id,
            "zalo_api_url": zalo.url,
            "zalo_oauth_url": zalo.url,
            # The session's photos and files go with it, as the local Bot API's do; a
            # configured media directory (a real OA's) is left alone.
            "zalo_media_dir": media,
            # No night ban (equal ends): someone trying the bot at 23:00 gets an answer too.
            "zalo_quiet_start": time(0, 0),
            "zalo_quiet_end": time(0, 0),
        }
    )


async def _install_tokens(settings: Settings, zalo: LocalZaloOA) -> None:
    """Store the OA's first tokens, as ``ntvt zalo tokens`` does after an admin's consent."""
    pair = zalo.issue_tokens()
    await install_lines(  # its lines are for an operator; the window says nothing of it
        settings,
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        lifetime=timedelta(seconds=int(pair["expires_in"])),
    )


@contextlib.contextmanager
def _loopback() -> Iterator[socket.socket]:
    """Yield a socket bound to a free port of 127.0.0.1, closed afterwards."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: Ctrl+C belongs to the chat, as on Telegram."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave the signals alone."""
        yield


@asynccontextmanager
async def _serving(app: FastAPI, sock: socket.socket) -> AsyncIterator[None]:
    """Serve ``app`` on ``sock`` until the block exits (its lifespan is the caller's)."""
    server = _Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # uvicorn offers no event to wait on
        if task.done():
            await task  # its error, if it has one
            raise RuntimeError("the local server stopped as it started")
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
