"""End to end: the installed ``ntvt`` command as real OS processes, over real loopback HTTP.

The local Bot API (:class:`bot.local_api.LocalBotApi`) runs in the test process; ``ntvt run``
and ``ntvt serve`` run as child processes that talk to it, exactly as they would talk to
Telegram. Every child is started in its own working directory (``tmp_path``, so no stray
``.env`` is read) with an environment stripped of every ``NTVT_*`` variable but the ones the
test sets, writes its output to a log file shown when a test fails, and is killed (by its
pid) when the test ends, whatever happened.

Every wait is bounded: startup waits follow the fake API's own signal (it fires on every
Bot API call) or, for the webhook server, poll ``/healthz``; both give up early when the
child exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import IO, Protocol

import pytest

from bot.local_api import LocalBotApi

NTVT = Path(sys.executable).parent / "ntvt"
CODE = re.compile(r"NT-[0-9A-Z]{4}-[0-9A-Z]{4}")
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
LOG_TAIL = 12000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "e2e: starts the ntvt command as real processes (a few seconds each; "
        "-m 'not e2e' leaves them out)",
    )


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any ``NTVT_*`` variable, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("NTVT_")}
    env["PTB_TIMEDELTA"] = "1"
    env.update(settings)
    return env


def telegram_env(api: LocalBotApi, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a bot that talks to ``api`` and stores in ``database_url``."""
    return clean_env(
        NTVT_TELEGRAM_TOKEN=api.token,
        NTVT_TELEGRAM_API_URL=api.base_url,
        NTVT_TELEGRAM_FILE_URL=api.file_base_url,
        NTVT_DATABASE_URL=database_url,
        **settings,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


class NtvtProcess:
    """One ``ntvt`` child process and its log."""

    def __init__(self, process: asyncio.subprocess.Process, args: tuple[str, ...], log: Path):
        self.process = process
        self.args = args
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def describe(self) -> str:
        """Who it is, whether it still runs, and the end of its output (for failures)."""
        state = "running" if self.returncode is None else f"exit code {self.returncode}"
        tail = self.output()[-LOG_TAIL:]
        return f"ntvt {' '.join(self.args)} (pid {self.pid}, {state}); output:\n{tail}"

    def assert_running(self, doing: str) -> None:
        if self.returncode is not None:
            pytest.fail(f"ntvt exited while {doing}: {self.describe()}", pytrace=False)

    async def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:  # noqa: ASYNC109
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            # SIGABRT first: the child's fault handler writes where each thread is stuck.
            self.process.send_signal(signal.SIGABRT)
            try:
                await asyncio.wait_for(self.process.wait(), 5.0)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
            pytest.fail(f"ntvt did not exit within {timeout}s: {self.describe()}", pytrace=False)

    async def kill9(self) -> int:
        """``kill -9``: no cleanup of any kind in the child."""
        if self.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        return await self.wait_exit()

    async def interrupt(self, sig: signal.Signals = signal.SIGINT) -> int:
        """Ask the child to stop as an operator would (Ctrl+C, or SIGTERM from a supervisor)."""
        if self.returncode is None:
            self.process.send_signal(sig)
        return await self.wait_exit()


class StartNtvt(Protocol):
    def __call__(self, *args: str, env: dict[str, str]) -> Awaitable[NtvtProcess]: ...


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as local_api:
        yield local_api


@pytest.fixture
async def ntvt(tmp_path: Path) -> AsyncIterator[StartNtvt]:
    """Start ``ntvt ARGS`` in ``tmp_path``; every child still running at the end is killed."""
    if not NTVT.exists():
        pytest.fail(f"{NTVT} is missing: install the project (pip install -e .)")
    started: list[NtvtProcess] = []
    numbers = itertools.count(1)  # taken before the first await: children started together

    async def start(*args: str, env: dict[str, str]) -> NtvtProcess:
        log = tmp_path / f"ntvt-{next(numbers)}-{args[0]}.log"
        out = _open_log(log)
        try:
            process = await asyncio.create_subprocess_exec(
                str(NTVT),
                *args,
                env={"PYTHONFAULTHANDLER": "1", **env},
                cwd=tmp_path,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            out.close()  # the child has its own descriptor
        child = NtvtProcess(process, args, log)
        started.append(child)
        return child

    try:
        yield start
    finally:
        for child in started:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.process.wait(), STOP_TIMEOUT)


async def wait_until(
    api: LocalBotApi,
    predicate: Callable[[], bool],
    what: str,
    *,
    process: NtvtProcess,
    timeout: float = STARTUP_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Wait, woken by every Bot API call, until ``predicate()``; fail if the child exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        process.assert_running(f"waiting for {what}")
        remaining = deadline - loop.time()
        if remaining <= 0:
            pytest.fail(
                f"timed out after {timeout}s waiting for {what}: {process.describe()}",
                pytrace=False,
            )
        # Short slices, so that a child that died is noticed at once.
        await api.state.signal.wait(min(remaining, 0.2))


async def start_polling_bot(api: LocalBotApi, ntvt: StartNtvt, env: dict[str, str]) -> NtvtProcess:
    """Start ``ntvt run`` and wait until it polls.

    The fake API records a ``getUpdates`` only when the long poll returns (up to 30 s with no
    update), so readiness is the ``deleteWebhook`` PTB sends right before its first poll,
    after the bot has migrated, loaded its plan and recovered what a previous run left.
    """
    before = len(api.calls_for("deleteWebhook"))
    process = await ntvt("run", env=env)
    await wait_until(
        api,
        lambda: len(api.calls_for("deleteWebhook")) > before,
        "ntvt run to start polling",
        process=process,
    )
    return process
