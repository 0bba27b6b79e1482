"""``ntvt serve``: the webhook server as a real process, fed by the local Bot API over HTTP."""

from __future__ import annotations

import asyncio
import copy
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.local_api import LocalBotApi, SimUser
from tests.bot.flows import DEED, agree_and_start, fill_nomination, press, say
from tests.e2e.conftest import (
    CODE,
    STARTUP_TIMEOUT,
    NtvtProcess,
    StartNtvt,
    free_port,
    sqlite_url,
    telegram_env,
    wait_until,
)

pytestmark = pytest.mark.e2e

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REPLY_TIMEOUT = 10.0


@dataclass
class WebhookServer:
    process: NtvtProcess
    base_url: str
    secret: str

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/telegram/webhook"


async def start_server(api: LocalBotApi, ntvt: StartNtvt, database_url: str) -> WebhookServer:
    """Start ``ntvt serve`` and wait until /healthz answers and the webhook is registered."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(24)
    env = telegram_env(
        api,
        database_url,
        NTVT_WEBHOOK_URL=f"{base_url}/telegram/webhook",
        NTVT_WEBHOOK_SECRET=secret,
    )
    process = await ntvt("serve", "--host", "127.0.0.1", "--port", str(port), env=env)
    server = WebhookServer(process, base_url, secret)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            process.assert_running("waiting for /healthz")
            try:
                health = await client.get(f"{base_url}/healthz")
            except httpx.TransportError:
                health = None
            if health is not None and health.status_code == 200:
                assert health.json()["status"] == "ok"
                break
            if loop.time() > deadline:
                pytest.fail(f"/healthz not 200 after {STARTUP_TIMEOUT}s: {process.describe()}")
            await asyncio.sleep(0.1)
    await wait_until(
        api, lambda: bool(api.calls_for("setWebhook")), "setWebhook", process=process, timeout=5
    )
    registered = api.calls_for("setWebhook")[-1]
    assert registered.ok
    assert registered.params["url"] == server.webhook_url
    assert registered.params["secret_token"] == secret
    assert api.webhook_url == server.webhook_url
    return server


def start_update(user: SimUser, update_id: int) -> dict[str, Any]:
    """A ``/start`` message from ``user``, as Telegram would POST it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id % 1_000_000,
            "date": int(time.time()),
            "chat": copy.deepcopy(user.chat),
            "from": copy.deepcopy(user.user),
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


# The process and its webhook on the embedded default; PostgreSQL's turns are tested in
# process on both backends, and two real servers on PostgreSQL in test_scale_out.
@pytest.mark.parametrize("database_backend", ["sqlite"], indirect=True)
async def test_a_resident_nominates_through_the_webhook(
    api: LocalBotApi, ntvt: StartNtvt, migrated_database_url: str
) -> None:
    server = await start_server(api, ntvt, migrated_database_url)
    user = api.user(8001, "Thảo", language_code="vi")

    first = await agree_and_start(user)
    assert "Bước 1/10" in first.text
    summary = await fill_nomination(user, name="Đỗ Văn Hùng", ward="hoan kiem")
    assert "Đỗ Văn Hùng" in summary.text
    assert "Phường Hoàn Kiếm" in summary.text
    assert DEED in summary.text
    done = await press(user, "✅ Gửi")
    code = CODE.search(done.text)
    assert code is not None, done.text

    status = await say(user, f"/status {code.group(0)}")
    assert "Đã tiếp nhận" in status.text

    # Every update came through the webhook, with the secret, and was acknowledged.
    assert not api.calls_for("getUpdates")
    assert api.webhook_deliveries
    assert all(d.ok and d.secret_token_sent for d in api.webhook_deliveries)
    assert api.pending_updates == []

    # The server counted each of them (the last one just after its reply left), for a
    # Prometheus on this host.
    counted = f'ntvt_updates_processed_total{{outcome="ok"}} {len(api.webhook_deliveries)}.0'
    async with httpx.AsyncClient(timeout=5.0) as client:
        for _ in range(50):
            metrics = await client.get(f"{server.base_url}/metrics")
            assert metrics.status_code == 200
            if counted in metrics.text:
                break
            await asyncio.sleep(0.1)
    assert counted in metrics.text, metrics.text

    # A supervisor's SIGTERM drains the server (nothing in hand here), then stops it: exit 0.
    exit_code = await server.process.interrupt(signal.SIGTERM)
    assert exit_code == 0, server.process.describe()
    assert "drained: every turn in hand is done" in server.process.output()
    assert "Application shutdown complete" in server.process.output()
    assert "Traceback" not in server.process.output(), server.process.describe()


async def test_the_webhook_refuses_what_is_not_a_genuine_update_and_processes_nothing(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path
) -> None:
    server = await start_server(api, ntvt, sqlite_url(tmp_path / "webhook.db"))
    user = api.user(8002, "Khoa", language_code="vi")
    forged = start_update(user, 555_000_001)
    right = {SECRET_HEADER: server.secret, "Content-Type": "application/json"}

    async with httpx.AsyncClient(timeout=5.0) as client:
        missing = await client.post(server.webhook_url, json=forged)
        wrong = await client.post(
            server.webhook_url, json=forged, headers={SECRET_HEADER: server.secret + "x"}
        )
        not_json = await client.post(server.webhook_url, content=b"{not json", headers=right)
        not_object = await client.post(server.webhook_url, content=b"[1, 2]", headers=right)
        no_id = await client.post(server.webhook_url, json={"message": {}}, headers=right)
        health = await client.get(f"{server.base_url}/healthz")
    assert missing.status_code == 403
    assert wrong.status_code == 403
    assert missing.json() == wrong.json() == {"ok": False, "description": "forbidden"}
    assert not_json.status_code == 400
    assert not_json.json() == {"ok": False, "description": "not JSON"}
    assert not_object.status_code == 400
    assert no_id.status_code == 400
    assert no_id.json() == {"ok": False, "description": "not an update"}
    assert health.status_code == 200  # and the server is still fine

    # Not processed: the resident got nothing; and not stored either: Telegram's own
    # delivery of that very update_id is answered (a stored one would count as a repeat).
    await api.wait_until_idle(timeout=REPLY_TIMEOUT, quiet=0.5)
    assert user.messages == []
    assert not api.calls_for("sendMessage")
    api.deliver_raw(forged)
    welcome, notice = await user.wait_for_messages(2, timeout=REPLY_TIMEOUT)
    assert "Xin chào Khoa" in welcome.text
    assert "dữ liệu cá nhân" in notice.text
    await api.wait_until_idle(timeout=REPLY_TIMEOUT, quiet=0.5)
    assert len(user.messages) == 2, [m.text for m in user.messages]


async def test_the_same_update_delivered_twice_is_answered_once(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path
) -> None:
    server = await start_server(api, ntvt, sqlite_url(tmp_path / "webhook.db"))
    user = api.user(8003, "Linh", language_code="vi")

    await user.send_command("/start")
    update = api.updates[-1]
    api.deliver_raw(copy.deepcopy(update))  # Telegram retrying after a lost 200
    async with httpx.AsyncClient(timeout=5.0) as client:  # and someone replaying it
        replay = await client.post(
            server.webhook_url, json=update, headers={SECRET_HEADER: server.secret}
        )
    assert replay.status_code == 200

    await user.wait_for_messages(2, timeout=REPLY_TIMEOUT)  # welcome and privacy notice
    await api.wait_until_idle(timeout=REPLY_TIMEOUT, quiet=0.5)
    deliveries = [d for d in api.webhook_deliveries if d.update_id == update["update_id"]]
    assert [d.status for d in deliveries] == [200, 200]
    assert len(user.messages) == 2, [m.text for m in user.messages]
    assert len(api.calls_for("sendMessage")) == 2


async def test_the_server_logs_refusals_and_other_requests_but_not_each_acknowledged_update(
    api: LocalBotApi, ntvt: StartNtvt, tmp_path: Path
) -> None:
    server = await start_server(api, ntvt, sqlite_url(tmp_path / "webhook.db"))
    user = api.user(8004, "Minh", language_code="vi")

    await user.send_command("/start")
    await user.wait_for_messages(2, timeout=REPLY_TIMEOUT)  # welcome and privacy notice
    async with httpx.AsyncClient(timeout=5.0) as client:
        forged = await client.post(server.webhook_url, json=start_update(user, 555_000_002))
    assert forged.status_code == 403
    assert [d.status for d in api.webhook_deliveries] == [200]

    assert await server.process.interrupt(signal.SIGTERM) == 0
    output = server.process.output()
    assert '"POST /telegram/webhook HTTP/1.1" 403' in output
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert '"POST /telegram/webhook HTTP/1.1" 200' not in output
