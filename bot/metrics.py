"""The bot's Prometheus metrics, in a registry of its own (several bots share a test process).

Counted as they happen: updates processed by outcome, each turn's duration, Bot API errors by
HTTP status or kind. Read from the database at scrape time (through the cached health check,
:mod:`bot.health`): the outbox backlog and its oldest age, the dead letters, whether the
database takes a write.
"""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.health import Backlog, HealthReport

# A turn is a transaction and a Bot API round trip or two: a millisecond when it only stores,
# seconds when Telegram or the database is slow.
TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OUTCOMES = ("ok", "set_aside", "failed")
BACKLOG_KINDS = ("replies", "broadcasts")


class Metrics:
    """What ``/metrics`` exposes; :meth:`turn_done` and :meth:`bot_api_error` are the hooks."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.updates = Counter(
            "ntvt_updates_processed",
            "Updates whose turn ran, by outcome (set_aside: it kept failing and the resident "
            "got an apology; failed: no database, the update waits for the sweep)",
            ["outcome"],
            registry=registry,
        )
        self.turn_seconds = Histogram(
            "ntvt_turn_duration_seconds",
            "Time from taking an update to its replies handed to Telegram",
            buckets=TURN_BUCKETS,
            registry=registry,
        )
        self.bot_api_errors = Counter(
            "ntvt_bot_api_errors",
            "Bot API calls that failed, by HTTP status or kind (timeout, network)",
            ["code"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "ntvt_outbox_backlog_messages",
            "Messages queued and not yet sent (replies and notices, or broadcasts)",
            ["kind"],
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "ntvt_outbox_oldest_age_seconds",
            "Age of the oldest message not yet sent (0 when none waits)",
            ["kind"],
            registry=registry,
        )
        self.dead_letters = Gauge(
            "ntvt_dead_letters",
            "Updates set aside: kept, never retried by themselves",
            registry=registry,
        )
        self.database_writable = Gauge(
            "ntvt_database_writable",
            "1 when the database took the health check's write",
            registry=registry,
        )
        # Children looked up once: the per-turn hook costs a dict lookup, not a label lookup.
        self._outcomes = {outcome: self.updates.labels(outcome) for outcome in OUTCOMES}
        for kind in BACKLOG_KINDS:
            self.outbox_backlog.labels(kind)
            self.outbox_oldest_age.labels(kind)

    def turn_done(self, outcome: str, seconds: float) -> None:
        """Count a turn and its duration (the hook in :meth:`bot.runtime.Runtime.run_turn`)."""
        counter = self._outcomes.get(outcome)
        if counter is None:
            counter = self._outcomes[outcome] = self.updates.labels(outcome)
        counter.inc()
        self.turn_seconds.observe(seconds)

    def bot_api_error(self, code: str) -> None:
        """Count a failed Bot API call (the hook in :class:`bot.transport.AiohttpRequest`)."""
        self.bot_api_errors.labels(code).inc()

    def observe_health(self, report: HealthReport) -> None:
        """Set the gauges read from the database; unknown values (it did not answer) are NaN."""
        self.database_writable.set(1 if report.writable else 0)
        self.dead_letters.set(math.nan if report.dead_letters is None else report.dead_letters)
        for kind, backlog in (("replies", report.replies), ("broadcasts", report.broadcasts)):
            self._set_backlog(kind, backlog)

    def _set_backlog(self, kind: str, backlog: Backlog | None) -> None:
        count = math.nan if backlog is None else backlog.unsent
        age = math.nan if backlog is None else backlog.oldest_age_seconds or 0.0
        self.outbox_backlog.labels(kind).set(count)
        self.outbox_oldest_age.labels(kind).set(age)

    def exposition(self) -> bytes:
        """Return every metric in Prometheus' text format."""
        return generate_latest(self.registry)
