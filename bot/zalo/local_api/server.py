"""A Zalo OA on 127.0.0.1 that behaves as public sources describe Zalo (see :mod:`bot.zalo`).

It plays both sides of Zalo for one OA:

* **Residents** (:meth:`LocalZaloOA.send_text`, :meth:`~LocalZaloOA.send_image`, ...) make
  events as Zalo would (``user_send_text``, ``user_send_image``, ``user_send_file``,
  ``user_send_location``, ``user_submit_info``, ``follow``, ``unfollow``), sign them with the
  OA secret key and POST them to the webhook URL; a pressed ``oa.query.hide`` button is the
  person sending its payload as text. Their photos and files are served from URLs that
  expire (:meth:`~LocalZaloOA.expire_media`).
* **The OA API** the bot calls: the token endpoint (a refresh token works once; a spent one
  is refused), the message endpoint (text, buttons, lists, request_user_info, an uploaded
  image or file) and the two uploads. Messages are refused as Zalo refuses them: an unknown
  or expired access token, the night ban (22:00-06:00 in Hà Nội by default), a person
  silent for more than 7 days (or who never wrote), one who unfollowed, a malformed message,
  and rate limits when a test asks for them (:meth:`~LocalZaloOA.rate_limit`).

Zalo answers HTTP 200 with ``{"error": <code>, "message": ...}``; so does this. Codes:
:data:`ACCESS_TOKEN_INVALID` (-216), :data:`OUTSIDE_WINDOW` (-230), :data:`NIGHT_BAN`
(-234) and :data:`RATE_LIMITED` (-32) are Zalo's as public sources give them;
:data:`BAD_REQUEST` (-201), :data:`NOT_FOLLOWING` (-213) and :data:`REFRESH_TOKEN_INVALID`
(-14014) are assumptions of this fake. Its clock is injected, so a test can move to 23:00.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from bot.zalo.signature import SIGNATURE_HEADER, signature_of
from core.channels import ZALO_QUIET_HOURS, QuietHours

ACCESS_TOKEN_INVALID = -216
OUTSIDE_WINDOW = -230
NIGHT_BAN = -234
RATE_LIMITED = -32
BAD_REQUEST = -201  # assumption
NOT_FOLLOWING = -213  # assumption
REFRESH_TOKEN_INVALID = -14014  # assumption
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_LIST = 5
_BUTTON_TYPES = frozenset(
    {"oa.query.hide", "oa.query.show", "oa.open.url", "oa.open.sms", "oa.open.phone"}
)


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the OA sent and Zalo accepted."""

    user_id: str
    message: dict[str, Any]
    message_id: str
    at: datetime

    @property
    def text(self) -> str:
        """The message's text, or the text of its button template ('' when none)."""
        text = self.message.get("text")
        return text if isinstance(text, str) else ""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """The (title, payload) of each ``oa.query.hide`` button."""
        payload = (self.message.get("attachment") or {}).get("payload") or {}
        return [
            (button["title"], button["payload"])
            for button in payload.get("buttons", [])
            if button.get("type") == "oa.query.hide"
        ]

    @property
    def template_type(self) -> str | None:
        """The attachment's template type (list, request_user_info, media), if any."""
        payload = (self.message.get("attachment") or {}).get("payload") or {}
        kind = payload.get("template_type")
        return kind if isinstance(kind, str) else None


@dataclass(slots=True)
class _Media:
    data: bytes
    content_type: str
    name: str
    expired: bool = False


@dataclass(slots=True)
class _Person:
    following: bool = True
    last_interaction: datetime | None = None
    messages: list[SentMessage] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class LocalZaloOA:
    """One Zalo OA and its residents, served on 127.0.0.1 (a free port unless given).

    Args:
        clock: Zalo's "now" (events' timestamps, token expiry, the night ban).
        tz: the time zone of the night ban (Hà Nội).
        quiet_hours: when messages are refused (None: never).
        free_window: how long after a person's last message the OA may write to them.
        access_lifetime: how long an access token lives (90000 s by default).
        refresh_delay: seconds the token endpoint takes to answer (a refresh token is spent
            as soon as the call arrives, before the pause).

    """

    def __init__(
        self,
        *,
        app_id: str = "1234567890123456789",
        app_secret: str = "app-secret-key",
        oa_id: str = "579745863508352884",
        secret_key: str = "oa-secret-key",
        clock: Callable[[], datetime] = _system_clock,
        tz: tzinfo = HANOI,
        quiet_hours: QuietHours | None = ZALO_QUIET_HOURS,
        free_window: timedelta | None = timedelta(days=7),
        access_lifetime: timedelta = timedelta(seconds=90000),
        refresh_delay: float = 0.0,
        port: int = 0,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.oa_id = oa_id
        self.secret_key = secret_key
        self.clock = clock
        self.tz = tz
        self.quiet_hours = quiet_hours
        self.free_window = free_window
        self.access_lifetime = access_lifetime
        self.refresh_delay = refresh_delay
        self.webhook_url: str | None = None
        # What happened, for tests to assert on.
        self.refresh_calls: list[str] = []
        self.refusals: list[int] = []
        self.deliveries: list[tuple[str, int]] = []
        self._access: dict[str, datetime] = {}
        self._refresh: set[str] = set()
        self._spent: set[str] = set()
        self._people: dict[str, _Person] = {}
        self._uploads: dict[str, _Media] = {}
        self._media: dict[str, _Media] = {}
        self._rate_limited = 0
        self._ids = itertools.count(1)
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._port: int | None = None

    # lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on 127.0.0.1."""
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/v3.0/oa/message/cs", self._message)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_get("/media/{key}", self._serve_media)
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

    async def stop(self) -> None:
        """Stop serving and close every socket."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> LocalZaloOA:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server's base URL: the bot's ``zalo_api_url`` and ``zalo_oauth_url``."""
        if self._port is None:
            raise RuntimeError("LocalZaloOA is not started")
        return f"http://127.0.0.1:{self._port}"

    # tokens -------------------------------------------------------------------------------

    def issue_tokens(self) -> dict[str, str]:
        """Authorise the app for the OA (what the OA admin's consent gives): a token pair."""
        return self._new_pair()

    def expire_access_tokens(self) -> None:
        """Let every access token issued so far expire now."""
        now = self.clock()
        self._access = dict.fromkeys(self._access, now)

    def rate_limit(self, calls: int = 1) -> None:
        """Answer the next ``calls`` message calls with the rate-limit error."""
        self._rate_limited += calls

    def _new_pair(self) -> dict[str, str]:
        access = "acc-" + secrets.token_urlsafe(16)
        refresh = "ref-" + secrets.token_urlsafe(16)
        self._access[access] = self.clock() + self.access_lifetime
        self._refresh.add(refresh)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(int(self.access_lifetime.total_seconds())),
        }

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        presented = str(form.get("refresh_token", ""))
        self.refresh_calls.append(presented)
        valid = presented in self._refresh
        self._refresh.discard(presented)
        self._spent.add(presented)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != (
            self.app_id
        ):
            return self._oauth_error(-14002, "Invalid app id or secret key")
        if form.get("grant_type") != "refresh_token" or not valid:
            return self._oauth_error(REFRESH_TOKEN_INVALID, "Invalid refresh token")
        return web.json_response(self._new_pair())

    def _oauth_error(self, code: int, name: str) -> web.Response:
        self.refusals.append(code)
        return web.json_response({"error": code, "error_name": name, "error_reason": name})

    # residents ----------------------------------------------------------------------------

    def messages_to(self, user_id: str) -> list[SentMessage]:
        """Return what the OA sent the person and Zalo accepted, oldest first."""
        return list(self._person(user_id).messages)

    def last_interaction(self, user_id: str) -> datetime | None:
        """When the person last wrote to the OA, as Zalo counts its window."""
        return self._person(user_id).last_interaction

    def wrote(self, user_id: str, at: datetime | None = None) -> None:
        """Record that the person wrote to the OA (at ``at``, or now), without an event."""
        self._person(user_id).last_interaction = at or self.clock()

    def host(self, data: bytes, content_type: str, name: str) -> str:
        """Serve ``data`` at an expiring URL, as Zalo serves what a person sent; the URL."""
        key = secrets.token_urlsafe(12)
        self._media[key] = _Media(data, content_type, name)
        return f"{self.url}/media/{key}"

    def expire_media(self) -> None:
        """Let the URLs of every photo and file residents sent expire (404 from now on)."""
        for media in self._media.values():
            media.expired = True

    async def send_text(self, user_id: str, text: str) -> int:
        """Make the person type ``text``; return the webhook's HTTP status."""
        return await self._user_message(user_id, "user_send_text", {"text": text})

    async def press(self, user_id: str, payload: str) -> int:
        """Make the person tap an ``oa.query.hide`` button: its payload comes as their text."""
        return await self.send_text(user_id, payload)

    async def send_image(
        self, user_id: str, data: bytes = b"\x89PNG fake", *, text: str = ""
    ) -> int:
        """Make the person send a photo (served at an expiring URL)."""
        url = self.host(data, "image/jpeg", "photo.jpg")
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        return await self._user_message(
            user_id, "user_send_image", {"text": text, "attachments": [attachment]}
        )

    async def send_file(self, user_id: str, data: bytes, name: str = "giay-khen.pdf") -> int:
        """Make the person send a file (served at an expiring URL)."""
        url = self.host(data, "application/pdf", name)
        extension = name.rsplit(".", 1)[-1] if "." in name else ""
        attachment = {
            "type": "file",
            "payload": {"url": url, "size": str(len(data)), "name": name, "type": extension},
        }
        return await self._user_message(user_id, "user_send_file", {"attachments": [attachment]})

    async def send_location(self, user_id: str, latitude: float, longitude: float) -> int:
        """Make the person share a location (coordinates as strings, as Zalo sends them)."""
        attachment = {
            "type": "location",
            "payload": {"coordinates": {"latitude": str(latitude), "longitude": str(longitude)}},
        }
        return await self._user_message(
            user_id, "user_send_location", {"attachments": [attachment]}
        )

    async def submit_info(
        self, user_id: str, *, name: str, phone: str, address: str = "", city: str = ""
    ) -> int:
        """Make the person answer request_user_info by sharing their name and phone."""
        person = self._person(user_id)
        person.last_interaction = self.clock()
        info = {"name": name, "phone": phone, "address": address, "city": city, "district": ""}
        return await self.deliver(
            self._envelope(
                "user_submit_info",
                {"sender": {"id": user_id}, "recipient": {"id": self.oa_id}, "info": info},
            )
        )

    async def follow(self, user_id: str) -> int:
        """Make the person follow the OA."""
        self._person(user_id).following = True
        return await self.deliver(
            self._envelope(
                "follow",
                {"oa_id": self.oa_id, "follower": {"id": user_id}, "source": "oa_profile"},
            )
        )

    async def unfollow(self, user_id: str, *, notify: bool = True) -> int:
        """Make the person unfollow the OA: messages to them are refused from now on.

        ``notify=False``: no event is POSTed (for a client test without a webhook); 0.
        """
        self._person(user_id).following = False
        if not notify:
            return 0
        return await self.deliver(
            self._envelope("unfollow", {"oa_id": self.oa_id, "follower": {"id": user_id}})
        )

    async def deliver(
        self, payload: dict[str, Any], *, signature: str | None = None, raw: bytes | None = None
    ) -> int:
        """POST an event to the webhook, signed unless ``signature`` is given; the status."""
        if self.webhook_url is None or self._session is None:
            raise RuntimeError("start the server and set webhook_url first")
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        if signature is None:
            signature = signature_of(
                app_id=self.app_id,
                body=body,
                timestamp=str(payload["timestamp"]),
                secret_key=self.secret_key,
            )
        async with self._session.post(
            self.webhook_url,
            data=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            await response.read()
            self.deliveries.append((str(payload.get("event_name")), response.status))
            return response.status

    def event(self, user_id: str, text: str) -> dict[str, Any]:
        """Return a ``user_send_text`` event without delivering it (to tamper with it)."""
        return self._envelope(
            "user_send_text",
            {
                "sender": {"id": user_id},
                "recipient": {"id": self.oa_id},
                "message": {"msg_id": self._msg_id(), "text": text},
            },
        )

    async def _user_message(self, user_id: str, name: str, message: dict[str, Any]) -> int:
        person = self._person(user_id)
        person.last_interaction = self.clock()
        return await self.deliver(
            self._envelope(
                name,
                {
                    "sender": {"id": user_id},
                    "recipient": {"id": self.oa_id},
                    "message": {"msg_id": self._msg_id(), **message},
                },
            )
        )

    def _envelope(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        stamp = int(self.clock().timestamp() * 1000)
        return {
            "app_id": self.app_id,
            "user_id_by_app": "",
            "event_name": name,
            "timestamp": str(stamp),
            **body,
        }

    def _msg_id(self) -> str:
        return f"{secrets.token_hex(8)}{next(self._ids)}"

    def _person(self, user_id: str) -> _Person:
        return self._people.setdefault(user_id, _Person())

    async def _serve_media(self, request: web.Request) -> web.Response:
        media = self._media.get(request.match_info["key"])
        if media is None or media.expired:
            return web.Response(status=404, text="not found")
        return web.Response(body=media.data, content_type=media.content_type)

    # the message API ----------------------------------------------------------------------

    async def _message(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request)
            try:
                body = await request.json()
            except ValueError:
                raise _Refused(BAD_REQUEST, "body is not JSON") from None
            user_id, message = self._read_message(body)
            self._check_may_send(user_id)
        except _Refused as refused:
            self.refusals.append(refused.code)
            return web.json_response({"error": refused.code, "message": refused.message})
        sent = SentMessage(user_id, message, self._msg_id(), self.clock())
        self._person(user_id).messages.append(sent)
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": sent.message_id, "user_id": user_id},
            }
        )

    def _check_token(self, request: web.Request) -> None:
        token = request.headers.get("access_token", "")
        expires = self._access.get(token)
        if expires is None or self.clock() >= expires:
            raise _Refused(ACCESS_TOKEN_INVALID, "Access token is invalid or expired")

    def _check_may_send(self, user_id: str) -> None:
        if self._rate_limited > 0:
            self._rate_limited -= 1
            raise _Refused(RATE_LIMITED, "Request limit exceeded")
        person = self._person(user_id)
        if not person.following:
            raise _Refused(NOT_FOLLOWING, "User has not followed the OA")
        now = self.clock()
        if self.quiet_hours is not None and self.quiet_hours.contains(
            now.astimezone(self.tz).time()
        ):
            raise _Refused(NIGHT_BAN, "Messages cannot be sent between 22:00 and 06:00")
        last = person.last_interaction
        if self.free_window is not None and (last is None or now >= last + self.free_window):
            raise _Refused(OUTSIDE_WINDOW, "User has not interacted with the OA in 7 days")

    def _read_message(self, body: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(body, dict):
            raise _Refused(BAD_REQUEST, "body is not an object")
        recipient = body.get("recipient")
        message = body.get("message")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not isinstance(user_id, str) or not user_id or not isinstance(message, dict):
            raise _Refused(BAD_REQUEST, "recipient.user_id and message are required")
        text = message.get("text")
        attachment = message.get("attachment")
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            raise _Refused(BAD_REQUEST, f"text is at most {MAX_TEXT} characters")
        if attachment is None:
            if not text:
                raise _Refused(BAD_REQUEST, "a message needs text or an attachment")
        else:
            self._check_attachment(attachment)
        return user_id, message

    def _check_attachment(self, attachment: Any) -> None:
        if not isinstance(attachment, dict):
            raise _Refused(BAD_REQUEST, "attachment is not an object")
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            raise _Refused(BAD_REQUEST, "attachment.payload is required")
        if attachment.get("type") == "file":
            if payload.get("token") not in self._uploads:
                raise _Refused(BAD_REQUEST, "unknown file token")
            return
        if attachment.get("type") != "template":
            raise _Refused(BAD_REQUEST, "unknown attachment type")
        kind = payload.get("template_type")
        elements = payload.get("elements")
        if kind == "list":
            if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_LIST:
                raise _Refused(BAD_REQUEST, f"a list has 1 to {MAX_LIST} elements")
            if not all(isinstance(e, dict) and e.get("title") for e in elements):
                raise _Refused(BAD_REQUEST, "every element has a title")
        elif kind == "request_user_info":
            if not isinstance(elements, list) or len(elements) != 1:
                raise _Refused(BAD_REQUEST, "request_user_info has one element")
        elif kind == "media":
            if not isinstance(elements, list) or len(elements) != 1:
                raise _Refused(BAD_REQUEST, "media has one element")
            if elements[0].get("attachment_id") not in self._uploads:
                raise _Refused(BAD_REQUEST, "unknown attachment_id")
        buttons = payload.get("buttons")
        if buttons is not None:
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
                raise _Refused(BAD_REQUEST, f"1 to {MAX_BUTTONS} buttons")
            for button in buttons:
                if (
                    not isinstance(button, dict)
                    or button.get("type") not in _BUTTON_TYPES
                    or not button.get("title")
                    or "payload" not in button
                ):
                    raise _Refused(BAD_REQUEST, "a button has a type, a title and a payload")
        elif kind not in {"list", "request_user_info", "media"}:
            raise _Refused(BAD_REQUEST, "unknown template")

    async def _upload_image(self, request: web.Request) -> web.Response:
        return await self._upload(request, "attachment_id")

    async def _upload_file(self, request: web.Request) -> web.Response:
        return await self._upload(request, "token")

    async def _upload(self, request: web.Request, key_name: str) -> web.Response:
        try:
            self._check_token(request)
        except _Refused as refused:
            self.refusals.append(refused.code)
            return web.json_response({"error": refused.code, "message": refused.message})
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"error": BAD_REQUEST, "message": "file is required"})
        key = secrets.token_urlsafe(12)
        self._uploads[key] = _Media(
            upload.file.read(), upload.content_type or "", upload.filename or ""
        )
        return web.json_response({"error": 0, "message": "Success", "data": {key_name: key}})

    def uploaded(self, key: str) -> bytes:
        """Return the bytes of an uploaded image or file, by its attachment id or token."""
        return self._uploads[key].data
