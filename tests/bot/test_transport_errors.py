"""The Bot API transport tells its error hook what went wrong: a status, or no answer."""

from __future__ import annotations

import socket

import pytest
from telegram.error import BadRequest, NetworkError

from bot.local_api import LocalBotApi
from bot.transport import AiohttpRequest


async def test_error_answers_and_unreachable_servers_are_reported_by_kind(
    api: LocalBotApi,
) -> None:
    errors: list[str] = []
    request = AiohttpRequest(on_error=errors.append)
    await request.initialize()
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    try:
        assert (await request.call(f"{api.base_url}{api.token}/getMe", {}))["is_bot"]
        api.fail_next("getMe", error_code=400, description="Bad Request: injected")
        with pytest.raises(BadRequest):
            await request.call(f"{api.base_url}{api.token}/getMe", {})
        with pytest.raises(NetworkError):
            await request.call(f"http://127.0.0.1:{port}/bot1:x/getMe", {})
    finally:
        await request.shutdown()
    assert errors == ["400", "network"]
