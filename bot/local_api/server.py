"""A local, Telegram-faithful Bot API server for tests and the terminal chat.

The real PTB ``Bot``/``Application`` talks to it over HTTP on 127.0.0.1::

    async with LocalBotApi() as api:
        bot = telegram.Bot(api.token, base_url=api.base_url, base_file_url=api.file_base_url)
        user = api.user(1001, "An")
        await user.send_command("/start")
        ...

Simulated users (:meth:`LocalBotApi.user`) send real updates, delivered by ``getUpdates``
long polling or POSTed to a webhook; what the bot sends is kept per chat and can be awaited
(:meth:`SimChat.next_message`). Calls are recorded (:attr:`LocalBotApi.calls`); latency,
injected errors, rate limits and blocked users simulate the rough edges of the real service.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import logging
import math
import re
import socket
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import telegram
from aiohttp import web
from telegram.ext import ApplicationBuilder

from bot.local_api.errors import ApiError, bad_request, not_found
from bot.local_api.methods import Handler, MethodHandlers
from bot.local_api.models import (
    ApiCall,
    BotMessage,
    BotUser,
    ChatEvent,
    ChatState,
    Signal,
    UploadedFile,
    WebhookDelivery,
)
from bot.local_api.ptb import local_application_builder, local_bot
from bot.local_api.spec import BotApiSpec, MethodSpec, SpecTypeError, load_spec
from bot.local_api.state import BotState
from bot.local_api.text import detect_entities
from bot.local_api.users import SimGroup, SimUser

__all__ = ["LocalBotApi"]

_log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SEND_LIKE = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})
_MISSING = {
    "text": "message text is empty",
    "photo": "there is no photo in the request",
    "document": "there is no document in the request",
    "audio": "there is no audio in the request",
    "video": "there is no video in the request",
    "voice": "there is no voice in the request",
    "animation": "there is no animation in the request",
    "sticker": "there is no sticker in the request",
    "video_note": "there is no video note in the request",
    "callback_query_id": "query_id is empty",
}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(slots=True)
class _Pending:
    update: dict[str, Any]
    chat_key: Any
    attempts: int = 0
    in_flight: bool = False
    not_before: float = 0.0

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass(slots=True)
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(slots=True)
class _Outage:
    status: int | None  # None: calls hang until the outage ends (the client times out)
    updates: bool  # getUpdates fails too
    over: asyncio.Event


@dataclass(slots=True)
class _Injection:
    method: str
    code: int
    description: str
    retry_after: int | None
    remaining: int


def _is_group(chat_id: Any) -> bool:
    return isinstance(chat_id, int) and chat_id < 0


def _update_kind(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _chat_key(update: dict[str, Any]) -> Any:
    body = update.get(_update_kind(update))
    if isinstance(body, dict):
        for holder in (body, body.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return holder["chat"].get("id")
        sender = body.get("from")
        if isinstance(sender, dict):
            return sender.get("id")
    return ("update", update.get("update_id"))


class LocalBotApi:
    """A Bot API server on 127.0.0.1 that behaves like Telegram for one bot token.

    Args:
        token: the bot token the server accepts (``"<bot id>:<secret>"``).
        latency: seconds added before answering every method call (settable later).
        bot_username / bot_first_name: the bot's identity returned by ``getMe``.
        port: TCP port; 0 picks a free one.
        clock: wall clock for ``date`` fields (seconds since the epoch).
        idle_quiet_period: how long without bot activity :meth:`wait_until_idle` wants.
        webhook_retry_delays: pauses between attempts to deliver an update whose webhook
            answered non-2xx; after ``len + 1`` failed attempts the update is dropped
            (Telegram keeps trying for up to 24 h).
        webhook_timeout: seconds to wait for the webhook's answer.
        allow_http_webhooks: accept ``http://`` webhook URLs (Telegram needs HTTPS; a local
            receiver has none).
        first_update_id: the ``update_id`` of the first update; a bot whose database kept
            the updates of an earlier server must be given ids above those.

    """

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        latency: float = 0.0,
        bot_username: str = "ntvt_test_bot",
        bot_first_name: str = "NTVT Test Bot",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        idle_quiet_period: float = 0.1,
        webhook_retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2),
        webhook_timeout: float = 10.0,
        allow_http_webhooks: bool = True,
        spec: BotApiSpec | None = None,
        first_update_id: int = 100_000_001,
    ) -> None:
        match = _TOKEN_RE.fullmatch(token)
        if match is None:
            raise ValueError(f"not a bot token: {token!r} (expected '<digits>:<secret>')")
        self.token = token
        self.spec = spec or load_spec()
        self._bot_user = BotUser(int(match.group(1)), bot_username, bot_first_name)
        self.latency = latency
        self.idle_quiet_period = idle_quiet_period
        self.webhook_retry_delays = webhook_retry_delays
        self.webhook_timeout = webhook_timeout
        self.allow_http_webhooks = allow_http_webhooks
        self._requested_port = port
        self.state = BotState(self._bot_user.to_dict(), clock=clock, signal=Signal())
        self._handlers: dict[str, Handler] = MethodHandlers(self.state).registry()
        self._handlers.update(
            {
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
            }
        )
        self.calls: list[ApiCall] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.updates: list[dict[str, Any]] = []
        self.dropped_updates: list[dict[str, Any]] = []
        self.internal_errors: list[BaseException] = []
        self.users: dict[int, SimUser] = {}
        self.groups: dict[int, SimGroup] = {}
        self._pending: list[_Pending] = []
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] | None = None
        self._webhook: _Webhook | None = None
        self._webhook_in_flight = 0
        self._poll_generation = 0
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._injections: list[_Injection] = []
        self._global_limit: int | None = None
        self._chat_limit: int | None = None
        self._group_limit: int | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[Any, deque[float]] = {}
        self._group_windows: dict[Any, deque[float]] = {}
        self._outage: _Outage | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._port: int | None = None

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on 127.0.0.1 (a free port unless one was given)."""
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=self.state.max_upload_size + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._requested_port))
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._port = int(sock.getsockname()[1])
        self._runner = runner
        self._session = aiohttp.ClientSession()
        if self._webhook is not None:
            self._ensure_webhook_task()

    async def stop(self) -> None:
        """Stop serving: wake long polls, stop webhook delivery, close every socket."""
        self._closing = True
        self.state.signal.fire()
        tasks = [t for t in (self._webhook_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._webhook_task = None
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> LocalBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # addresses and identity ---------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on (after :meth:`start`)."""
        if self._port is None:
            raise RuntimeError("LocalBotApi is not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` for PTB (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        """The ``base_file_url`` for PTB."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> BotUser:
        """The bot's identity: ``id`` (from the token), ``username``, ``is_bot``."""
        return self._bot_user

    @property
    def max_file_size(self) -> int:
        """Largest file ``getFile`` hands out (Telegram: 20 MB)."""
        return self.state.max_download_size

    @max_file_size.setter
    def max_file_size(self, value: int) -> None:
        self.state.max_download_size = value

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL currently set, if any."""
        return self._webhook.url if self._webhook else None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates delivered to the bot's queue and not yet acknowledged."""
        return [p.update for p in self._pending]

    @property
    def calls_in_flight(self) -> int:
        """Calls received and not yet answered (long polls left out)."""
        return self._in_flight

    def make_bot(self) -> telegram.Bot:
        """Return a real (not yet initialised) ``telegram.Bot`` talking to this server."""
        return local_bot(self)

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """Return ``Application.builder()`` with token, URLs and fast loopback requests set."""
        return local_application_builder(self)

    # simulated chats ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Người dùng",
        language_code: str | None = "vi",
        username: str | None = None,
        *,
        last_name: str | None = None,
        phone_number: str | None = None,
    ) -> SimUser:
        """Create (or return) a user who has a private chat with the bot.

        ``phone_number``: what a «request_contact» button shares (Telegram's digits, no
        "+"); by default a Vietnamese mobile made from the id.
        """
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = value
                chat[key] = value
        if language_code is not None:
            user["language_code"] = language_code
        sim = SimUser(self, user, self.state.add_chat(chat, user), phone_number=phone_number)
        self.users[user_id] = sim
        return sim

    def group(
        self,
        chat_id: int,
        title: str = "Nhóm thử nghiệm",
        *,
        chat_type: str = "supergroup",
        username: str | None = None,
    ) -> SimGroup:
        """Create (or return) a group chat the bot is a member of."""
        existing = self.groups.get(chat_id)
        if existing is not None:
            return existing
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title}
        if username is not None:
            chat["username"] = username
        sim = SimGroup(self, self.state.add_chat(chat))
        self.groups[chat_id] = sim
        return sim

    def add_listener(self, listener: Callable[[ChatEvent], None]) -> None:
        """Call ``listener`` for everything the bot does in any chat (sent, edited, ...)."""
        self.state.listeners.append(listener)

    def remove_listener(self, listener: Callable[[ChatEvent], None]) -> None:
        """Stop calling ``listener``."""
        self.state.listeners.remove(listener)

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Return the commands the bot set for ``scope`` (default scope) and language."""
        normal = dict(scope or {"type": "default"})
        key = json.dumps(normal, sort_keys=True)
        return list(self.state.commands.get((key, language_code), []))

    # updates ------------------------------------------------------------------------------

    def deliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Put an update in the bot's queue (``update_id`` is assigned when missing).

        Updates of kinds the bot did not ask for (``allowed_updates``) are dropped, like
        Telegram does; they end up in :attr:`dropped_updates`.
        """
        update = dict(update)
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        else:
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self.updates.append(update)
        kind = _update_kind(update)
        allowed = self._allowed_updates
        if (allowed is None and kind in _DEFAULT_EXCLUDED_UPDATES) or (
            allowed is not None and kind not in allowed
        ):
            self.dropped_updates.append(update)
            return update
        self._pending.append(_Pending(update, _chat_key(update)))
        self._last_activity = time.monotonic()
        self.state.signal.fire()
        return update

    def deliver_raw(self, update: dict[str, Any]) -> dict[str, Any]:
        """Inject an arbitrary update as is (e.g. the same ``update_id`` twice)."""
        return self.deliver(update)

    def _chat_instance(self, chat_id: int) -> str:
        digest = hashlib.sha1(f"{chat_id}:{self._bot_user.id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    async def send_user_message(
        self,
        sender: SimUser,
        chat: ChatState,
        content: dict[str, Any],
        *,
        reply_to: BotMessage | None = None,
        tapped: bool = False,
    ) -> dict[str, Any]:
        """Store a message written by ``sender`` in ``chat`` and deliver it as an update.

        ``tapped``: sent by a reply-keyboard button (a contact or a location one included);
        a one-time keyboard hides once used, as a text matching one of its buttons does.
        """
        keyboard = chat.reply_keyboard
        labels = [b.get("text") for row in (keyboard or {}).get("keyboard", []) for b in row]
        used = tapped or ("text" in content and content["text"] in labels)
        if keyboard is not None and keyboard.get("one_time_keyboard") and used:
            chat.reply_keyboard = None
        message = self.state.add_message(chat, content, sender=sender.user, reply_to=reply_to)
        raw = message.snapshot()
        self.deliver({"message": raw})
        await asyncio.sleep(0)
        return raw

    async def edit_user_message(
        self, sender: SimUser, chat: ChatState, message: dict[str, Any], text: str
    ) -> dict[str, Any]:
        """Edit a text message ``sender`` wrote and deliver an ``edited_message`` update."""
        stored = self.state.find_message(chat, message.get("message_id"))
        if stored is None or stored.from_bot or "text" not in stored.raw:
            raise AssertionError(f"no text message {message.get('message_id')} of the user to edit")
        entities = detect_entities(text)
        changes: dict[str, Any] = {"text": text}
        if entities:
            changes["entities"] = entities
        self.state.edit_message(stored, changes, ("entities",))
        raw = stored.snapshot()
        self.deliver({"edited_message": raw})
        await asyncio.sleep(0)
        return raw

    async def send_callback_query(
        self, sender: SimUser, chat: ChatState, message: BotMessage, data: str
    ) -> dict[str, Any]:
        """Deliver a ``callback_query`` for a button of ``message`` pressed by ``sender``."""
        record = self.state.new_callback_query(chat.chat_id)
        query = {
            "id": record.query_id,
            "from": copy.deepcopy(sender.user),
            "message": message.snapshot(),
            "chat_instance": self._chat_instance(chat.chat_id),
            "data": data,
        }
        self.deliver({"callback_query": query})
        await asyncio.sleep(0)
        return query

    async def set_blocked(self, sender: SimUser, chat: ChatState, blocked: bool) -> None:
        """Block or unblock the bot in a private chat, with the ``my_chat_member`` update."""
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        bot = self._bot_user.to_dict()
        member = {"status": "member", "user": bot}
        kicked = {"status": "kicked", "user": bot, "until_date": 0}
        self.deliver(
            {
                "my_chat_member": {
                    "chat": copy.deepcopy(chat.chat),
                    "from": copy.deepcopy(sender.user),
                    "date": self.state.now(),
                    "old_chat_member": member if blocked else kicked,
                    "new_chat_member": kicked if blocked else member,
                }
            }
        )
        await asyncio.sleep(0)

    async def wait_until_idle(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the test-driver API
        *,
        quiet: float | None = None,
    ) -> None:
        """Wait until the bot has taken every update and made no call for a quiet period.

        Idle means: every delivered update was acknowledged (a later ``getUpdates`` offset
        passed it, or the webhook answered 2xx), no call is in progress and none finished
        within the last ``quiet`` seconds (default :attr:`idle_quiet_period`).

        Raises:
            TimeoutError: not idle within ``timeout`` seconds.

        """
        quiet = self.idle_quiet_period if quiet is None else quiet
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            wake: float | None = None
            if self._pending:
                reason = f"{len(self._pending)} update(s) not acknowledged by the bot"
            elif self._in_flight:
                reason = f"{self._in_flight} call(s) in progress"
            else:
                idle_for = now - self._last_activity
                if idle_for >= quiet:
                    return
                reason = "the bot was active recently"
                wake = quiet - idle_for
            remaining = deadline - now
            if remaining <= 0:
                raise TimeoutError(f"local Bot API not idle after {timeout}s: {reason}")
            await self.state.signal.wait(min(remaining, wake) if wake is not None else remaining)

    # calls and fault injection ------------------------------------------------------------

    def calls_for(self, method: str) -> list[ApiCall]:
        """Return the recorded calls of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def clear_calls(self) -> None:
        """Forget the recorded calls and webhook deliveries."""
        self.calls.clear()
        self.webhook_deliveries.clear()

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``error_code``.

        ``method="*"`` matches any method except ``getUpdates`` (a background poller would
        otherwise take the failure meant for the call under test; name it to fail it). A 429
        carries ``parameters.retry_after`` (PTB raises ``RetryAfter``); other codes get
        Telegram-like descriptions unless ``description`` is given. Injected failures come
        after parameter validation, so a malformed call still gets its own 400.
        """
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}: injected failure")
            )
        self._injections.append(
            _Injection(
                method="*" if method == "*" else method.lower(),
                code=error_code,
                description=description,
                retry_after=retry_after if error_code == 429 else None,
                remaining=times,
            )
        )

    def rate_limits(
        self,
        global_per_second: int | None = None,
        per_chat_per_second: int | None = None,
        *,
        per_group_per_minute: int | None = None,
    ) -> None:
        """Answer 429 to sends beyond these counts in any sliding window (a second, a minute).

        ``None`` switches a limit off. Only sending methods count (``send*`` except
        ``sendChatAction``, ``copyMessage``, ``forwardMessage``); refused calls do not count.
        ``per_group_per_minute`` applies to group chats (negative ids), as Telegram's 20 a
        minute does, on top of the per-chat limit.
        """
        self._global_limit = global_per_second
        self._chat_limit = per_chat_per_second
        self._group_limit = per_group_per_minute
        self._global_window.clear()
        self._chat_windows.clear()
        self._group_windows.clear()

    def start_outage(self, status: int | str = 500, *, updates: bool = False) -> None:
        """Make every call fail until :meth:`end_outage`, as when Telegram is down.

        ``status``: the HTTP status every call answers (500, 502...), or ``"timeout"``: calls
        get no answer at all until the outage ends (the client's timeout fires first), and
        then a 502; either way nothing a call asked for was done. ``updates``: ``getUpdates``
        fails too (by default updates still arrive, as through a webhook, so replies to them
        meet the outage).
        """
        if status != "timeout" and not (isinstance(status, int) and 500 <= status <= 599):
            raise ValueError(f"an outage answers 5xx or 'timeout', not {status!r}")
        self.end_outage()
        self._outage = _Outage(
            None if status == "timeout" else int(status), updates, asyncio.Event()
        )

    def end_outage(self) -> None:
        """Answer calls normally again; calls still hanging in a timeout outage get a 502."""
        if self._outage is not None:
            self._outage.over.set()
            self._outage = None

    @property
    def in_outage(self) -> bool:
        """Whether calls fail now (:meth:`start_outage`)."""
        return self._outage is not None

    async def _suffer_outage(self, method: str) -> None:
        outage = self._outage
        if outage is None or (method == "getUpdates" and not outage.updates):
            return
        if outage.status is None:
            await outage.over.wait()
            raise ApiError(502, _DEFAULT_DESCRIPTIONS[502])
        raise ApiError(
            outage.status, _DEFAULT_DESCRIPTIONS.get(outage.status, f"Error {outage.status}")
        )

    def _take_injection(self, method: str) -> None:
        for injection in self._injections:
            wildcard = injection.method == "*" and method != "getUpdates"
            if injection.remaining > 0 and (wildcard or injection.method == method.lower()):
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._injections.remove(injection)
                raise ApiError(
                    injection.code, injection.description, retry_after=injection.retry_after
                )

    @staticmethod
    def _is_send(method: str) -> bool:
        return (method.startswith("send") and method != "sendChatAction") or method in _SEND_LIKE

    def _check_rate(self, method: str, params: dict[str, Any]) -> bool:
        limits = (self._global_limit, self._chat_limit, self._group_limit)
        if not self._is_send(method) or all(limit is None for limit in limits):
            return False
        now = time.monotonic()
        chat_id = params.get("chat_id")
        windows = [(self._global_window, self._global_limit, 1.0)]
        windows.append((self._chat_windows.setdefault(chat_id, deque()), self._chat_limit, 1.0))
        if _is_group(chat_id) and self._group_limit is not None:
            group_window = self._group_windows.setdefault(chat_id, deque())
            windows.append((group_window, self._group_limit, 60.0))
        for window, limit, seconds in windows:
            while window and window[0] <= now - seconds:
                window.popleft()
            if limit is not None and len(window) >= limit:
                retry_after = max(1, math.ceil(window[0] + seconds - now))
                raise ApiError(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )
        return True

    def _count_send(self, params: dict[str, Any]) -> None:
        now = time.monotonic()
        self._global_window.append(now)
        chat_id = params.get("chat_id")
        self._chat_windows.setdefault(chat_id, deque()).append(now)
        if _is_group(chat_id) and self._group_limit is not None:
            self._group_windows.setdefault(chat_id, deque()).append(now)

    # HTTP ---------------------------------------------------------------------------------

    @staticmethod
    def _json(payload: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            text=json.dumps(payload, ensure_ascii=False),
            status=status,
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON encoded request parameters") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON object expected as request parameters")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = UploadedFile(
                        key, value.filename, value.content_type, value.file.read()
                    )
                else:
                    params[key] = value
        else:
            await request.read()
        return params

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        try:
            raw = await self._read_params(request)
        except ApiError as exc:
            self._record(request.match_info["method"], {}, None, exc)
            return self._json(exc.payload(), exc.code)
        payload, status = await self.execute(request.match_info["method"], raw)
        return self._json(payload, status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(ApiError(401, "Unauthorized").payload(), 401)
        record = self.state.files_by_path.get(request.match_info["path"])
        if record is None:
            return self._json(not_found().payload(), 404)
        return web.Response(body=record.payload(), content_type="application/octet-stream")

    def _record(
        self, method: str, params: dict[str, Any], result: Any, error: ApiError | None
    ) -> None:
        self.calls.append(
            ApiCall(
                method=method,
                params=params,
                ok=error is None,
                error_code=None if error is None else error.code,
                description=None if error is None else error.description,
                at=time.monotonic(),
                result=result,
            )
        )

    def _decode(self, spec: MethodSpec, raw: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in raw.items():
            field = spec.field(key)
            if field is None:
                params[key] = value
                continue
            if value is None or value == "":
                continue
            if key == "reply_markup":
                if isinstance(value, str):
                    with contextlib.suppress(ValueError):
                        value = json.loads(value)
                params[key] = value
                continue
            try:
                params[key] = self.spec.coerce(field.types, value, path=f'parameter "{key}"')
            except SpecTypeError as exc:
                raise bad_request(str(exc)) from exc
        for field in spec.fields:
            if field.required and field.name not in params:
                raise bad_request(_MISSING.get(field.name, f"{field.name} is empty"))
        return params

    async def execute(self, method: str, raw: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Run one Bot API call as the HTTP endpoint would; returns (JSON body, HTTP status)."""
        spec = self.spec.method(method)
        name = spec.name if spec is not None else method
        long_poll = name == "getUpdates"
        params = raw
        result: Any = None
        error: ApiError | None = None
        if not long_poll:
            self._in_flight += 1
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            await self._suffer_outage(name)
            if spec is None:
                raise not_found()
            params = self._decode(spec, raw)
            self._take_injection(name)
            if long_poll:
                result = await self._get_updates(params)
            else:
                counted = self._check_rate(name, params)
                handler = self._handlers.get(name)
                if handler is not None:
                    result = handler(params)
                elif spec.returns_true:
                    result = True
                else:
                    raise bad_request("method not supported by the local Bot API")
                if counted:
                    self._count_send(params)
        except ApiError as exc:
            error = exc
        except Exception as exc:
            _log.exception("local Bot API failed on %s", name)
            self.internal_errors.append(exc)
            error = ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}")
        finally:
            if not long_poll:
                self._in_flight -= 1
                self._last_activity = time.monotonic()
        self._record(name, params, result, error)
        self.state.signal.fire()
        if error is not None:
            return error.payload(), error.code
        return {"ok": True, "result": result}, 200

    # getUpdates ---------------------------------------------------------------------------

    def _confirm(self, offset: int) -> None:
        before = len(self._pending)
        if offset < 0:
            keep = [p for p in self._pending if not p.in_flight][offset:]
            self._pending = keep
        else:
            self._pending = [p for p in self._pending if p.update_id >= offset]
        if len(self._pending) != before:
            self._last_activity = time.monotonic()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self.state.signal.fire()
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if params.get("offset") is not None:
            self._confirm(int(params["offset"]))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        deadline = time.monotonic() + timeout
        while True:
            if self._webhook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = [copy.deepcopy(p.update) for p in self._pending[:limit]]
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self.state.signal.wait(remaining)

    def _set_allowed(self, allowed: list[str] | None) -> None:
        kinds = set(allowed or ())
        unknown = kinds - set(self.spec.update_types())
        if unknown:
            raise bad_request(f"unknown update types in allowed_updates: {sorted(unknown)}")
        self._allowed_updates = frozenset(kinds) if kinds else None

    # webhooks -----------------------------------------------------------------------------

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", "")).strip()
        if not url:
            return self._delete_webhook(params)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: Wrong HTTP URL specified")
        if parts.scheme == "http" and not self.allow_http_webhooks:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.fullmatch(secret):
            raise bad_request(
                "bad webhook: secret token must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        max_connections = int(params.get("max_connections", 40))
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._pending = [p for p in self._pending if p.in_flight]
        self._webhook = _Webhook(url, secret, max_connections, params.get("ip_address"))
        self._poll_generation += 1
        self.state.signal.fire()
        self._ensure_webhook_task()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._pending = [p for p in self._pending if p.in_flight]
        self.state.signal.fire()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.ip_address:
                info["ip_address"] = hook.ip_address
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message or ""
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _ensure_webhook_task(self) -> None:
        if self._runner is None or self._closing:
            return
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        while not self._closing and self._webhook is not None:
            hook = self._webhook
            now = time.monotonic()
            next_due: float | None = None
            seen: set[Any] = set()
            for pending in list(self._pending):
                if pending.chat_key in seen:
                    continue
                seen.add(pending.chat_key)
                if pending.in_flight:
                    continue
                if pending.not_before > now:
                    next_due = min(next_due or pending.not_before, pending.not_before)
                    continue
                if self._webhook_in_flight >= hook.max_connections:
                    break
                pending.in_flight = True
                self._webhook_in_flight += 1
                task = asyncio.create_task(self._deliver_to_webhook(pending, hook))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            wait = next_due - now if next_due is not None else 3600.0
            await self.state.signal.wait(wait)

    async def _deliver_to_webhook(self, pending: _Pending, hook: _Webhook) -> None:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        status: int | None = None
        error: str | None = None
        reply: bytes = b""
        reply_type = ""
        pending.attempts += 1
        try:
            assert self._session is not None
            async with self._session.post(
                hook.url,
                data=json.dumps(pending.update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                status = response.status
                reply = await response.read()
                reply_type = response.content_type
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            pending.in_flight = False
            self._webhook_in_flight -= 1
        delivery = WebhookDelivery(
            update_id=pending.update_id,
            url=hook.url,
            attempt=pending.attempts,
            status=status,
            error=error,
            at=time.monotonic(),
            secret_token_sent=bool(hook.secret_token),
        )
        self.webhook_deliveries.append(delivery)
        if delivery.ok:
            if pending in self._pending:
                self._pending.remove(pending)
            self._last_activity = time.monotonic()
            if reply_type == "application/json":
                await self._webhook_reply(reply)
        else:
            hook.last_error_date = self.state.now()
            hook.last_error_message = error
            if pending.attempts > len(self.webhook_retry_delays):
                if pending in self._pending:
                    self._pending.remove(pending)
                self.dropped_updates.append(pending.update)
            else:
                delay = self.webhook_retry_delays[pending.attempts - 1]
                pending.not_before = time.monotonic() + delay
        self.state.signal.fire()

    async def _webhook_reply(self, body: bytes) -> None:
        """Run a method call returned in the webhook's answer, as Telegram allows."""
        try:
            data = json.loads(body or b"null")
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("method"), str):
            params = {k: v for k, v in data.items() if k != "method"}
            await self.execute(data["method"], params)
