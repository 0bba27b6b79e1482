"""``ntvt chat``: talk to the real bot in a terminal, with no Telegram token.

The bot runs exactly as in production (PTB, our update processing, the database), but talks
to the local Bot API server in this process instead of Telegram. Inline buttons are shown
numbered; type the number to press one. ``:vai officer`` (or ``--as officer``) types as a
member of staff instead, with a few demo cases filed (:mod:`bot.demo`). ``--channel zalo``
makes the person typing a resident on Zalo instead (:mod:`bot.zalo.chat`).

No typed line ends the chat but ``:thoat`` (or the end of input): a number with no button to
press is sent as text, and anything that fails in this window is told in one line.
"""

from __future__ import annotations

import asyncio
import html
import re
import struct
import sys
import time
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.app import running_bot
from bot.budget import SendBudget
from bot.demo import PERSONAS, RESIDENT, Persona, demo_unit, persona, seed, seed_secretariat
from bot.desk.local import address_of, desk_socket, serve_desk, signin_link
from bot.failures import one_line
from bot.local_api import LocalBotApi
from bot.local_api.models import BotMessage
from bot.local_api.users import SimUser
from bot.runtime import Runtime
from bot.settings import Settings
from core.nomination import Evidence, EvidenceKind
from core.services import my_nominations

CHAT_USER_ID = RESIDENT.user_id
_TAG = re.compile(r"<[^>]+>")
_BOLD = re.compile(r"</?(b|strong)>")

HELP = """\
Gõ tin nhắn như trong Telegram. Nút bấm hiện kèm số: gõ số để bấm.
Lệnh riêng của cửa sổ này: :anh (gửi một ảnh), :tep (gửi một tệp), :vitri (gửi vị trí),
:sdt (chia sẻ số điện thoại), :nhandan (một nhãn dán), :ghiam (một tin nhắn thoại),
:vai (đổi vai: nguoidan, canbo, thuongtruc, hoidong), :thoat (thoát).
Type as you would in Telegram; type a button's number to press it; :vai officer|secretariat|council
switches to the officers' side (demo cases are filed); :thoat quits."""

# A case's state in the terminal's list of demo cases.
STATES = {
    "submitted": "mới gửi, chờ cán bộ tiếp nhận",
    "verifying": "đang xác minh",
    "needs_info": "chờ người đề cử bổ sung",
    "proposed": "đã đề xuất lên Hội đồng",
    "under_review": "Hội đồng đang xét",
}


def to_terminal(text: str, *, color: bool) -> str:
    """Render Telegram HTML for a terminal: bold kept where the terminal can show it."""
    if color:
        text = _BOLD.sub(lambda m: "\033[0m" if m.group(0).startswith("</") else "\033[1m", text)
    return html.unescape(_TAG.sub("", text))


FIRST_REPLY_WAIT = 3.0


class _Seat:
    """What the window keeps for one persona: their chat, what was shown, their buttons."""

    def __init__(self, user: SimUser) -> None:
        self.user = user
        self.shown = 0
        self.keyboard: BotMessage | None = None  # the message whose buttons were numbered
        self.labels: list[str] = []
        # The numbered buttons are a step's own reply keyboard (📱, 📍...), tapped, not pressed.
        self.tapped = False
        self.menu: list[list[str]] | None = None
        self.greeted = False
        # The text each message had when printed: one edited since (a pressed question
        # turned into the next one) is printed again as it now reads.
        self.printed: dict[int, str] = {}

    def edited(self) -> list[BotMessage]:
        """Return the messages printed before whose text the bot has edited since."""
        return [
            m
            for m in self.user.messages[: self.shown]
            if m.message_id in self.printed and self.printed[m.message_id] != m.text
        ]


class TerminalChat:
    """Shows the bot's messages and turns typed lines into a simulated user's actions.

    ``rt``: the running bot's runtime, needed only to file the demo's roles and cases when
    the window switches to a member of staff.
    """

    def __init__(
        self,
        api: LocalBotApi,
        user: SimUser,
        *,
        color: bool,
        rt: Runtime | None = None,
        language: str = "vi",
    ) -> None:
        self._api = api
        self._color = color
        self._rt = rt
        self._language = language
        self._resident_name = user.first_name
        self._seats: dict[str, _Seat] = {RESIDENT.key: _Seat(user)}
        self._current = RESIDENT
        self._seeded = False

    @property
    def user(self) -> SimUser:
        """The simulated user typing now."""
        return self._seat.user

    @property
    def persona(self) -> Persona:
        """Who types now."""
        return self._current

    @property
    def _seat(self) -> _Seat:
        return self._seats[self._current.key]

    async def show_new(self) -> None:
        """Print the bot's messages that arrived since the last call.

        Waits for the first new message or edited text (up to ``FIRST_REPLY_WAIT``: a busy
        bot may take a moment between taking the update and answering), then until the bot is
        idle. A message edited into another text is printed again, as it now reads.
        """
        seat = self._seat
        shown = seat.shown
        await self._api.state.signal.wait_for(
            lambda: len(seat.user.messages) > shown or bool(seat.edited()), FIRST_REPLY_WAIT
        )
        await self._api.wait_until_idle(timeout=10)
        self._print_unseen(seat)
        self._tell_others()

    def _print_unseen(self, seat: _Seat) -> None:
        messages = seat.user.messages
        for message in [*seat.edited(), *messages[seat.shown :]]:
            self._print(seat, message)
        seat.shown = len(messages)

    def _print(self, seat: _Seat, message: BotMessage) -> None:
        seat.printed[message.message_id] = message.text
        print()
        print(to_terminal(message.html, color=self._color))
        labels = [label for row in message.buttons for label in row]
        tapped = not labels and _asks_with_keyboard(seat.user, message)
        if tapped:
            labels = [label for row in seat.user.reply_keyboard or [] for label in row]
        if labels:
            seat.keyboard, seat.labels, seat.tapped = message, labels, tapped
            print("  ".join(f"[{number}] {label}" for number, label in enumerate(labels, 1)))
        menu = seat.user.reply_keyboard
        if tapped:
            seat.menu = menu  # numbered above: not the menu
        elif menu and menu != seat.menu:
            seat.menu = menu
            print("Menu: " + " | ".join(label for row in menu for label in row))

    def _tell_others(self) -> None:
        """Say in one line who else has new messages (a notice an act of this persona sent)."""
        waiting = [
            p
            for p in PERSONAS
            if p is not self._current
            and p.key in self._seats
            and len(self._seats[p.key].user.messages) > self._seats[p.key].shown
        ]
        if waiting:
            names = ", ".join(f"{p.title} (:vai {p.key})" for p in waiting)
            print(f"\n(Có tin mới cho: {names})")

    async def handle(self, line: str) -> bool:
        """Act on one typed line; return False to quit. Nothing typed raises."""
        line = line.strip()
        if line in (":thoat", ":quit", ":q"):
            return False
        if not line:
            return True  # Telegram sends no empty message
        try:
            if line == ":vai" or line.startswith(":vai ") or line.startswith(":as "):
                await self._switch_typed(line.partition(" ")[2])
                return True
            await self._send(line)
            await self.show_new()
        except Exception as error:  # the window outlives any one line
            print(f"\n(Cửa sổ chat: chưa làm được “{line[:40]}”: {one_line(error)})")
        return True

    async def _send(self, line: str) -> None:
        user = self.user
        target = self._button(line)
        if target is not None and self._seat.tapped:
            await user.tap(target[1])  # a step's reply keyboard: its text, contact or place
        elif target is not None:
            message, label = target
            await user.press_on(message, label)
        elif line == ":anh":
            # A real picture, so the desk beside the chat shows it as a thumbnail.
            await user.send_photo(content=demo_photo())
        elif line == ":tep":
            await user.send_document("bien-ban.pdf", "application/pdf", 120_000)
        elif line == ":vitri":
            await user.send_location(21.0333, 105.8520)
        elif line == ":sdt":
            await user.send_contact("0912345678", own=True)
        elif line == ":nhandan":
            await user.send_sticker()
        elif line == ":ghiam":
            await user.send_voice()
        elif line.startswith("/"):
            command, _, payload = line.partition(" ")
            await user.send_command(command, payload or None)
        else:
            await user.send_text(line)

    @property
    def numbered(self) -> list[str]:
        """Return the labels of the buttons last numbered, in their numbers' order."""
        return list(self._seat.labels)

    def pressing(self, line: str) -> bool:
        """Tell whether typing ``line`` now presses a button (else it is sent as typed)."""
        return self._button(line.strip()) is not None

    def _button(self, line: str) -> tuple[BotMessage, str] | None:
        """Return the button a typed number presses, if that button is still there.

        The number counts the buttons last shown; a button removed since (the step moved
        on) or a number past them presses nothing: the number is then sent as text.
        """
        seat = self._seat
        if not (line.isascii() and line.isdigit()) or seat.keyboard is None:
            return None
        number = int(line)
        if not 1 <= number <= len(seat.labels) or seat.keyboard.deleted:
            return None
        label = seat.labels[number - 1]
        shown = [seat.user.reply_keyboard or []] if seat.tapped else [seat.keyboard.buttons]
        still = [text for rows in shown for row in rows for text in row]
        return (seat.keyboard, label) if label in still else None

    async def _switch_typed(self, typed: str) -> None:
        chosen = persona(typed) if typed.strip() else None
        if chosen is None:
            print("\nVai: " + ", ".join(f"{p.key} ({p.title})" for p in PERSONAS))
            print("Ví dụ: :vai canbo, :vai thuongtruc, :vai hoidong, :vai nguoidan")
            return
        await self.switch(chosen)

    async def switch(self, chosen: Persona) -> None:
        """Type as ``chosen`` from now on: file the demo first for a member of staff."""
        if chosen.role is not None:
            await self._seed()
        seat = self._seats.get(chosen.key)
        if seat is None:
            user = self._api.user(
                chosen.user_id, first_name=chosen.name, language_code=self._language
            )
            seat = self._seats[chosen.key] = _Seat(user)
        self._current = chosen
        print(f"\n— Bạn đang là: {self._describe(chosen)} —")
        print(chosen.hint)
        if not seat.greeted:
            seat.greeted = True
            # The first look: the welcome for a resident, their commands for staff.
            await seat.user.send_command("/start" if chosen.role is None else "/help")
            await self.show_new()
        else:
            self._print_unseen(seat)
            self._tell_others()

    async def start(self) -> None:
        """Greet the resident: ``/start``, as a new user would."""
        self._seat.greeted = True
        await self.user.send_command("/start")
        await self.show_new()

    def _describe(self, chosen: Persona) -> str:
        name = self._resident_name if chosen is RESIDENT else chosen.name
        if chosen.role is not None and chosen.role.value == "officer" and self._rt is not None:
            unit = demo_unit(self._rt, self._rt.today())
            if unit is not None:
                return f"{chosen.title} {name}, {unit.name}"
        return f"{chosen.title} {name}"

    def _demo_file(self, name: str) -> Evidence:
        """Return a PDF the local Bot API holds, for a demo case's dossier."""
        record = self._api.state.register_file("documents", ".pdf", size=48_000)
        record.media.update(file_name=name, mime_type="application/pdf")
        return Evidence(
            EvidenceKind.DOCUMENT, record.file_id, record.file_unique_id, name, record.file_size
        )

    async def _seed(self) -> None:
        """File the demo's roles and cases (once per database), and list the cases."""
        if self._seeded or self._rt is None:
            return
        self._seeded = True
        rt = self._rt
        await seed(
            rt,
            resident_name=self._resident_name,
            language=self._language,
            dossier_file=self._demo_file,
        )
        async with rt.uow() as uow:
            cases = await my_nominations(uow, RESIDENT.user_id, limit=10)
        listed = [c for c in cases if c.status.value in STATES]
        if listed:
            print(f"\nHồ sơ mẫu (người đề cử: {RESIDENT.title}, :vai nguoidan):")
            for case in listed:
                print(f"  {case.code}  {case.nominee.name}: {STATES[case.status.value]}")


def demo_photo(width: int = 320, height: int = 240) -> bytes:
    """Return the photo ``:anh`` sends: a small PNG (sky over a green field), made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = []
    for y in range(height):
        sky = y < height * 2 // 3
        pixel = bytes((110, 170, 230 - y // 4)) if sky else bytes((60, 150 - y // 8, 60))
        rows.append(b"\x00" + pixel * width)  # each row: no filter, then its pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def first_update_id(now: float | None = None) -> int:
    """Return the id of this session's first update: above those of every earlier session.

    The database (``ntvt.db``) outlives the session, and the bot takes an update whose id it
    stored before for one it has processed: a second ``ntvt chat`` whose ids started again
    from the same number got no answer at all. Milliseconds since the epoch grow faster than
    anyone types, and stay far below the 52 bits an ``update_id`` may have.
    """
    return int((time.time() if now is None else now) * 1000)


async def run_chat(
    settings: Settings,
    *,
    user_name: str,
    language: str,
    plan: Path | None = None,
    as_role: str | None = None,
    channel: str = "telegram",
) -> None:
    """Run the bot against an in-process Bot API and chat with it on stdin/stdout.

    ``plan``: a plan file loaded at start (``ntvt chat`` gives today's organisation);
    ``as_role``: the persona typing first (``officer``, ``secretariat``, ``council``), the
    resident when None; ``channel``: ``zalo`` makes the resident one on Zalo
    (:mod:`bot.zalo.chat`), where there is no other persona.
    """
    chosen = persona(as_role) if as_role else None
    if channel == "zalo":
        if chosen not in (None, RESIDENT):
            raise ValueError(f"{as_role}: staff work on Telegram, not on Zalo")
        await _chat_on_zalo(settings, user_name=user_name, language=language, plan=plan)
        return
    if channel != "telegram":
        raise ValueError(f"{channel}: not a channel of the chat (telegram or zalo)")
    sock = desk_socket(settings.desk_port)  # first: a port in use is said before anything
    desk = address_of(sock)
    try:
        async with LocalBotApi(first_update_id=first_update_id()) as api:
            local = settings.model_copy(
                update={
                    "telegram_api_url": api.base_url,
                    "telegram_file_url": api.file_base_url,
                    # /web in this chat gives links to this desk.
                    "desk_url": desk,
                }
            )
            # No pace per chat: the local Bot API limits nothing, and a person at a terminal
            # should not wait a second between the lines of one answer.
            budget = SendBudget(settings.send_rate, chat_interval=0.0)
            async with (
                running_bot(
                    local,
                    token=api.token,
                    polling=True,
                    poll_timeout=1,
                    plan_file=plan,
                    budget=budget,
                ) as (application, rt),
                serve_desk(local, rt, application.bot, sock),
            ):
                user = api.user(CHAT_USER_ID, first_name=user_name, language_code=language)
                chat = TerminalChat(api, user, color=sys.stdout.isatty(), rt=rt, language=language)
                print(HELP)
                await _print_desk(rt, desk, language=language)
                if chosen is None or chosen is RESIDENT:
                    await chat.start()
                else:
                    await chat.switch(chosen)
                await _talk(chat.handle)
    finally:
        sock.close()


async def _print_desk(rt: Runtime, desk: str, *, language: str) -> None:
    """Print the desk's address and a sign-in link for the demo's standing office."""
    office = await seed_secretariat(rt, language=language)
    link = await signin_link(rt, office.user_id)
    print(f"\nBàn làm việc trên web (Web desk): {desk}/desk/")
    if link is not None:
        print(f"Đăng nhập với vai {office.title} {office.name} (dùng một lần, trong 10 phút):")
        print(f"  {link}")
        print("Hồ sơ mẫu có khi đổi sang vai cán bộ (:vai canbo).")
        print("Đường dẫn mới: :vai thuongtruc, rồi gửi /web.")


async def _chat_on_zalo(
    settings: Settings, *, user_name: str, language: str, plan: Path | None
) -> None:
    """Chat as a resident on Zalo: the bot's server, a local OA, the window."""
    from bot.zalo.chat import ZALO_HELP, zalo_window  # it imports this module

    async with zalo_window(settings, user_name=user_name, language=language, plan=plan) as chat:
        print(ZALO_HELP)
        await chat.start()
        await _talk(chat.handle)


async def _talk(handle: Callable[[str], Awaitable[bool]]) -> None:
    """Hand each line typed to the window until it says stop or the input ends."""
    while True:
        line = await asyncio.to_thread(_read_line)
        if line is None or not await handle(line):
            break


def _read_line() -> str | None:
    try:
        return input("\n> ")
    except EOFError:
        return None


def _asks_with_keyboard(user: SimUser, message: BotMessage) -> bool:
    """Tell whether the message brought a step's own reply keyboard (one use: 📱, 📍...).

    Telegram's Message carries inline keyboards only: the reply keyboard a message set is
    the chat's current one, when the message is the chat's latest.
    """
    markup = user.reply_keyboard_markup
    latest = user.messages[-1] if user.messages else None
    return latest is message and markup is not None and bool(markup.get("one_time_keyboard"))
