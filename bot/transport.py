"""A python-telegram-bot request on aiohttp: what bulk sending goes through.

PTB's default transport (HTTPX) costs milliseconds of CPU per call in its connection pool
(issue 6 measured 6–13 ms per update); at hundreds of messages a second that is the whole
CPU. aiohttp's connector costs a fraction of it. Bodies are JSON unless a file is uploaded.

The polling request also hands every batch of updates getUpdates returns to ``on_updates``
(the journal stores them and reads each into PTB's ``Update``) before python-telegram-bot
sees one of them. PTB would decode the answer and build every ``Update`` a second time:
:class:`PollingBot` takes the ones already read instead (unreadable updates replaced, see
:mod:`bot.failures`), and PTB's own reading gets an empty batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
from telegram import Bot, InputFile, Update
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

USER_AGENT = "ntvt-bot (python-telegram-bot, aiohttp)"
_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")


async def call_bot_api(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """Make a Bot API call with JSON parameters (``sendMessage``, {...}); return its result.

    Over this module's request, the parameters go as they are and the result comes back as
    JSON (a dict for a message): no PTB objects are built. Any other request (a plain
    ``Bot`` of a command-line tool), and a file to upload (an ``InputFile``, which PTB sends
    as multipart), go through PTB's typed method of the same name.
    """
    request = bot.request
    uploads = any(isinstance(value, InputFile) for value in params.values())
    if isinstance(request, AiohttpRequest) and not uploads:
        return await request.call(f"{bot.base_url}/{method}", params)
    typed = getattr(bot, _SNAKE.sub("_", method).lower(), None)
    if typed is None:
        raise ValueError(f"no Bot API method {method!r} in PTB")
    return await typed(**params)


UpdatesHook = Callable[[list[dict[str, Any]]], Awaitable[list[Update]]]
# What PTB decodes of a getUpdates answer whose updates were read already.
_READ_ALREADY = b'{"ok":true,"result":[]}'


class JsonCall:
    """A call whose parameters are JSON already, as the outbox stores them: encoded once.

    It stands in for PTB's ``RequestData`` (a final class) where this transport reads one:
    no files, and the body ready.
    """

    __slots__ = ("_payload",)
    contains_files = False

    def __init__(self, params: dict[str, Any]) -> None:
        self._payload = json.dumps(params, ensure_ascii=False).encode()

    @property
    def json_payload(self) -> bytes:
        """The parameters as the request body."""
        return self._payload


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with at most ``connections`` connections.

    ``on_updates`` is awaited with the updates of every successful, non-empty getUpdates
    answer before the answer is returned to PTB; if it raises, PTB gets a ``NetworkError``
    and polls the same updates again; the ``Update`` objects it returns are kept for
    :meth:`take_read` (:class:`PollingBot`), and PTB's answer holds none.
    ``on_error`` is told the status of every error answer, or ``timeout`` or ``network``.
    """

    def __init__(
        self,
        *,
        connections: int = 100,
        read_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        media_timeout: float = 30.0,
        on_updates: UpdatesHook | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self._on_updates = on_updates
        self._on_error = on_error  # told each failed call's HTTP status or kind (bot.metrics)
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None
        self._read: list[Update] | None = None

    def take_read(self) -> list[Update] | None:
        """Return the updates ``on_updates`` read of the last getUpdates answer, once."""
        read, self._read = self._read, None
        return read

    @property
    def read_timeout(self) -> float:
        """The default seconds to wait for Telegram's answer."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(self, url: str, params: dict[str, Any]) -> Any:
        """Make a Bot API call with JSON parameters; return its ``result``.

        PTB's own answer handling applies (``BaseRequest.post``): an error answer raises
        ``RetryAfter``, ``Forbidden``, ``BadRequest``... as for its typed methods, but no
        ``Message`` is built from the result: the bulk sender needs only its id.
        """
        return await self.post(url, request_data=cast("RequestData", JsonCall(params)))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the call; PTB turns the status and body into a result or an error."""
        if self._session is None:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        total = None if read is None else read + (self._media_timeout if files else 0.0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect)
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] = {}
        if request_data is not None and files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, upload in request_data.multipart_data.items():
                filename, content, *rest = upload
                form.add_field(
                    name,
                    content,
                    filename=filename,
                    content_type=rest[0] if rest else "application/octet-stream",
                )
            body = form
        elif request_data is not None:
            body = request_data.json_payload
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                status, answer = response.status, await response.read()
        except TimeoutError as exc:
            self._failed("timeout")
            raise TimedOut(f"aiohttp: no answer within {total}s") from exc
        except aiohttp.ClientError as exc:
            self._failed("network")
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        if status >= 400:
            self._failed(str(status))
        if self._on_updates is not None and url.endswith("/getUpdates") and 200 <= status < 300:
            updates = await self._hand_over_updates(answer)
            if updates is not None:
                self._read = updates
                answer = _READ_ALREADY
        return status, answer

    def _failed(self, code: str) -> None:
        if self._on_error is not None:
            self._on_error(code)

    async def _hand_over_updates(self, answer: bytes) -> list[Update] | None:
        """Give ``on_updates`` the updates of a getUpdates answer, if it has any.

        Return what it read of them; None leaves the answer to PTB (none, or not an answer).
        """
        assert self._on_updates is not None
        try:
            decoded = json.loads(answer)
        except (ValueError, RecursionError):
            return None  # PTB reports the broken answer
        if isinstance(decoded, dict) and decoded.get("ok") is True:
            updates = decoded.get("result")
            if isinstance(updates, list) and updates:
                return await self._on_updates(updates)
        return None


class PollingBot(ExtBot[None]):
    """PTB's bot, except that getUpdates returns the updates the journal has read already.

    Reading an update into PTB's objects costs more CPU than storing it; over an
    :class:`AiohttpRequest` with ``on_updates`` it is done once, by the journal.
    """

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Poll as PTB does; return the updates the polling request's hook read."""
        updates = await super().get_updates(*args, **kwargs)
        request = self._request[0]
        read = request.take_read() if isinstance(request, AiohttpRequest) else None
        return tuple(read) if read is not None else updates
