"""PostgreSQL going away and coming back mid-run: nothing confirmed is lost, the bot answers.

The bot reaches the database through a TCP proxy on loopback that the test stops (every
connection cut, new ones refused) and starts again, as a database restart or a network cut
would look from the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from tests.bot.conftest import FakeClock


class TcpProxy:
    """Forwards a loopback port to a server; ``stop`` cuts everything, ``start`` resumes."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
async def test_the_bot_answers_again_after_postgresql_comes_back_and_loses_nothing(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    url = make_url(bot_settings.database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port)
    settings: Any = bot_settings.model_copy(
        update={
            "database_url": through_proxy.render_as_string(hide_password=False),
            "update_sweep": 1.0,
        }
    )
    before, during = api.user(1601, "Uyên"), api.user(1602, "Vân")
    async with running_bot(settings, token=api.token, polling=True, clock=clock, poll_timeout=1):
        await before.send_text("/help")
        assert "/nominate" in (await before.next_message(timeout=10)).text

        await proxy.stop()
        await during.send_text("/help")
        await before.send_text("/help")
        await asyncio.sleep(3)  # the bot cannot store them: Telegram keeps them meanwhile
        assert during.messages == []
        await proxy.start()

        assert "/nominate" in (await during.next_message(timeout=40)).text
        assert "/nominate" in (await before.next_message(timeout=10)).text
        await api.wait_until_idle(timeout=10)
    # Each message answered once: nothing lost, nothing twice.
    assert len(during.messages) == 1 and len(before.messages) == 2
    await proxy.stop()
