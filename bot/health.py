"""Whether the bot can do its job, and how it is doing it: the check ``/healthz`` answers with.

``/healthz`` answers 503 ``unavailable`` when the database does not take a write within
:data:`CHECK_TIMEOUT` seconds: no update can then be stored or answered, and a load balancer
should send Telegram's retries elsewhere; 503 ``draining`` once the process stops (SIGTERM:
it finishes its turns and takes no new update, bot.webhook). Otherwise 200: ``ok``, or
``degraded`` when replies have waited longer than :data:`BACKLOG_WARNING_SECONDS` to go. A
backlog is Telegram's outage more often than ours, and it drains by itself once Telegram
answers: taking this process out of rotation would not send one reply sooner, so it is a
warning, not a 503. Dead letters are counted, not judged: they stay until an operator looks
at them.

No personal data: counts and ages only. The check runs at most once per
:data:`CACHE_SECONDS`, whoever asks, so probes cannot load the database. The routes are in
:mod:`bot.monitoring`; ``/metrics`` shows the same counts as gauges (:mod:`bot.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.ports import UnitOfWork

log = logging.getLogger(__name__)

# The whole check; on PostgreSQL the write gives up after 2 s by itself (storage.uow).
CHECK_TIMEOUT = 3.0
CACHE_SECONDS = 1.0
BACKLOG_WARNING_SECONDS = 600.0


@dataclass(frozen=True)
class Backlog:
    """Messages not yet sent: how many, and how long the oldest has waited."""

    unsent: int
    oldest_age_seconds: float | None

    @classmethod
    def of(cls, found: tuple[int, datetime | None], now: datetime) -> Backlog:
        """Return the backlog of ``(count, oldest created_at)`` as seen at ``now``."""
        count, oldest = found
        age = None if oldest is None else max(0.0, (now - oldest).total_seconds())
        return cls(count, None if age is None else round(age, 1))


@dataclass(frozen=True)
class HealthReport:
    """What one check found; the counts are None when the database did not answer."""

    writable: bool
    problem: str | None = None
    draining: bool = False  # the process is stopping: it takes no new update
    dead_letters: int | None = None
    replies: Backlog | None = None
    broadcasts: Backlog | None = None

    @property
    def warnings(self) -> list[str]:
        """Return what is wrong without stopping the bot."""
        age = self.replies.oldest_age_seconds if self.replies else None
        if age is not None and age > BACKLOG_WARNING_SECONDS:
            return [f"replies have waited {age:.0f} s to be sent (Telegram unreachable?)"]
        return []

    @property
    def status(self) -> str:
        """Return ``ok``, ``degraded`` (working, with warnings), ``draining`` or ``unavailable``."""
        if self.draining:
            return "draining"
        if not self.writable:
            return "unavailable"
        return "degraded" if self.warnings else "ok"

    @property
    def serving(self) -> bool:
        """Tell whether a load balancer should send this process updates (HTTP 200)."""
        return self.writable and not self.draining

    def as_json(self) -> dict[str, Any]:
        """Return the body of ``/healthz``."""
        body: dict[str, Any] = {"status": self.status, "database": {"writable": self.writable}}
        if self.problem is not None:
            body["reason"] = self.problem
        body["dead_letters"] = self.dead_letters
        body["outbox"] = {
            kind: None
            if backlog is None
            else {
                "unsent": backlog.unsent,
                "oldest_age_seconds": backlog.oldest_age_seconds,
            }
            for kind, backlog in (("replies", self.replies), ("broadcasts", self.broadcasts))
        }
        body["warnings"] = self.warnings
        return body


class HealthCheck:
    """Counts what waits and writes a row it rolls back; the answer is kept a second."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        *,
        timeout: float = CHECK_TIMEOUT,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._lock = asyncio.Lock()
        # Set once the process drains (SIGTERM): /healthz answers 503 "draining" at once.
        self.draining = False
        self._last: HealthReport | None = None
        self._checked_at = -float("inf")

    async def report(self) -> HealthReport:
        """Return the latest report, checking again if it is older than the cache allows."""
        async with self._lock:  # probes arriving together share one check
            if self._last is None or time.monotonic() - self._checked_at >= self._cache_seconds:
                report = await self._check()
                if report.writable and self._last is not None and not self._last.writable:
                    log.info("health: the database takes writes again")
                elif report.problem and (self._last is None or self._last.writable):
                    log.warning("health: %s", report.problem)
                self._last, self._checked_at = report, time.monotonic()
            return replace(self._last, draining=True) if self.draining else self._last

    async def _check(self) -> HealthReport:
        try:
            async with asyncio.timeout(self._timeout), self._uow() as uow:
                dead_letters = await uow.inbound.count_set_aside()
                replies = await uow.outbox.backlog(broadcasts=False)
                broadcasts = await uow.outbox.backlog(broadcasts=True)
                now = self._clock()
                await uow.probe_write(now)
        except TimeoutError:
            problem = f"the database did not take a write within {self._timeout:g} s"
            return HealthReport(writable=False, problem=problem)
        except Exception as exc:
            # The details once, when it starts failing: probes come every few seconds.
            if self._last is None or self._last.writable:
                log.warning("health: the database cannot be written", exc_info=True)
            problem = f"the database cannot be written ({type(exc).__name__})"
            return HealthReport(writable=False, problem=problem)
        return HealthReport(
            writable=True,
            dead_letters=dead_letters,
            replies=Backlog.of(replies, now),
            broadcasts=Backlog.of(broadcasts, now),
        )
