"""The HTTP protocol as Telegram speaks it: routes, encodings, and refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.local_api import LocalBotApi


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    url: str,
    *,
    form: dict[str, str] | None = None,
    body: Any = None,
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {}
    if form is not None:
        kwargs["data"] = form
    if body is not None:
        kwargs["json"] = body
    async with http.request(method, url, **kwargs) as response:
        return response.status, await response.json()


async def test_get_me_answers_telegram_shaped_json(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, f"{api.base_url}{api.token}/getMe")
    assert status == 200
    assert body["ok"] is True
    assert body["result"]["id"] == 123456
    assert body["result"]["username"] == "ntvt_test_bot"
    assert body["result"]["is_bot"] is True
    assert api.bot_user.id == 123456 and api.bot_user.username == "ntvt_test_bot"


async def test_method_names_are_case_insensitive_and_get_works(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, f"{api.base_url}{api.token}/GETME", method="GET")
    assert (status, body["ok"]) == (200, True)
    assert api.calls[-1].method == "getMe"


async def test_unknown_method_is_404(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, f"{api.base_url}{api.token}/sendMesage")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_is_401(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, f"{api.base_url}999:nope/getMe")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_form_encoded_values_are_decoded_by_type(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    user = api.user(42, "An")
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    status, body = await call(
        http,
        f"{api.base_url}{api.token}/sendMessage",
        form={
            "chat_id": "42",
            "text": "123",
            "reply_markup": json.dumps(markup),
            "disable_notification": "true",
        },
    )
    assert status == 200, body
    assert body["result"]["text"] == "123"  # a String field stays a string
    assert body["result"]["reply_markup"] == markup
    params = api.calls_for("sendMessage")[-1].params
    assert params["chat_id"] == 42 and params["disable_notification"] is True
    assert user.last_text == "123"


async def test_json_bodies_are_accepted(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    api.user(42)
    status, body = await call(
        http, f"{api.base_url}{api.token}/sendMessage", body={"chat_id": 42, "text": "xin chào"}
    )
    assert status == 200
    assert body["result"]["chat"]["id"] == 42


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 42}, "Bad Request: message text is empty"),
        ({"chat_id": 42, "text": "   "}, "Bad Request: message text is empty"),
        ({"chat_id": 42, "text": {"a": 1}}, 'Bad Request: parameter "text" must be of type String'),
        (
            {"chat_id": 42, "text": "x", "disable_notification": "maybe"},
            'Bad Request: parameter "disable_notification" must be of type Boolean',
        ),
        (
            {"chat_id": 42, "text": "x", "reply_parameters": {"chat_id": 42}},
            'can\'t find field "message_id"',
        ),
        ({"chat_id": 77, "text": "x"}, "Bad Request: chat not found"),
        ({"chat_id": "@nobody", "text": "x"}, "Bad Request: chat not found"),
    ],
)
async def test_missing_and_mistyped_parameters_are_400(
    api: LocalBotApi, http: aiohttp.ClientSession, params: dict[str, Any], description: str
) -> None:
    api.user(42)
    status, body = await call(http, f"{api.base_url}{api.token}/sendMessage", body=params)
    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert description in body["description"]


async def test_integer_parameter_refuses_text(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, f"{api.base_url}{api.token}/getUpdates", form={"limit": "lots"})
    assert status == 400
    assert body["description"] == 'Bad Request: parameter "limit" must be of type Integer'


async def test_spec_method_returning_true_just_answers_true(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    status, body = await call(
        http, f"{api.base_url}{api.token}/setMyDescription", form={"description": "Bot NTVT"}
    )
    assert (status, body) == (200, {"ok": True, "result": True})


async def test_unimplemented_method_says_so(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, f"{api.base_url}{api.token}/getMyName")
    assert status == 400
    assert body["description"] == "Bad Request: method not supported by the local Bot API"


async def test_every_call_is_recorded(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    await call(http, f"{api.base_url}{api.token}/getMe")
    await call(http, f"{api.base_url}{api.token}/nope")
    recorded = [(c.method, c.ok, c.error_code) for c in api.calls]
    assert recorded == [("getMe", True, None), ("nope", False, 404)]
    assert api.calls_for("GETME")[0].result["username"] == "ntvt_test_bot"


async def test_latency_delays_every_answer(api: LocalBotApi, http: aiohttp.ClientSession) -> None:
    api.latency = 0.1
    loop = asyncio.get_running_loop()
    started = loop.time()
    await call(http, f"{api.base_url}{api.token}/getMe")
    assert loop.time() - started >= 0.1


async def test_get_updates_long_poll_waits_for_an_update(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    user = api.user(42, "An")
    poll = asyncio.create_task(
        call(http, f"{api.base_url}{api.token}/getUpdates", form={"timeout": "5"})
    )
    await asyncio.sleep(0.05)
    assert not poll.done()
    await user.send_text("xin chào")
    status, body = await asyncio.wait_for(poll, 2)
    assert status == 200
    [update] = body["result"]
    assert update["message"]["text"] == "xin chào"
    assert update["message"]["from"]["id"] == 42


async def test_get_updates_offset_confirms_and_limit_caps(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    user = api.user(42)
    for text in ("một", "hai", "ba"):
        await user.send_text(text)
    url = f"{api.base_url}{api.token}/getUpdates"
    _, first = await call(http, url, form={"limit": "2"})
    assert [u["message"]["text"] for u in first["result"]] == ["một", "hai"]
    last_id = first["result"][-1]["update_id"]
    _, rest = await call(http, url, form={"offset": str(last_id + 1)})
    assert [u["message"]["text"] for u in rest["result"]] == ["ba"]
    assert len(api.pending_updates) == 1


async def test_second_get_updates_terminates_the_first_with_409(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    first = asyncio.create_task(call(http, url, form={"timeout": "5"}))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(call(http, url, form={"timeout": "0"}))
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    assert (await second)[0] == 200


async def test_allowed_updates_filters_new_updates(
    api: LocalBotApi, http: aiohttp.ClientSession
) -> None:
    user = api.user(42)
    url = f"{api.base_url}{api.token}/getUpdates"
    await call(http, url, form={"allowed_updates": '["callback_query"]'})
    await user.send_text("bị lọc")
    assert api.pending_updates == []
    assert api.dropped_updates[-1]["message"]["text"] == "bị lọc"
