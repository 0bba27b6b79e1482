"""Count the SQL statements and transactions one turn runs, apart from everything else.

The bot runs other work meanwhile (the broadcast sender's ticks, the poll's journal, the
recording of what was sent), so the statements are told apart by the asyncio task that ran
them: those of a turn's task (:meth:`bot.runtime.Runtime.run_turn`, replies sent included)
and those of the sender's recorder (what Telegram accepted, recorded in batches).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.runtime import Runtime


def kind_of(statement: str) -> str:
    """Return 'INSERT INTO outbox', 'SELECT … FROM dialogs', 'BEGIN IMMEDIATE'..."""
    words = statement.split()
    verb = words[0].upper() if words else "?"
    if verb in ("BEGIN", "COMMIT", "ROLLBACK"):
        return " ".join(words[:2]).upper() if verb == "BEGIN" else verb
    for marker in ("INTO", "FROM", "UPDATE"):
        if marker in words:
            index = words.index(marker)
            if index + 1 < len(words):
                return f"{verb} {words[index + 1].strip('(')}"
    return verb


@dataclass
class Tally:
    """The statements of one kind of work, in the order they ran."""

    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    @property
    def count(self) -> int:
        """Return how many statements ran (transaction control included)."""
        return len(self.statements)

    def kinds(self) -> Counter[str]:
        """Return the statements by kind."""
        return Counter(kind_of(statement) for statement in self.statements)

    def clear(self) -> None:
        """Forget what was counted."""
        self.statements.clear()
        self.transactions = 0


class TurnStatements:
    """Counts what each turn of a running bot runs on the database.

    ``turn``: the statements of turns' tasks, ``record``: those of the sender's recorder.
    Transactions are counted by each connection's ``begin`` event; on SQLite it sends
    ``BEGIN IMMEDIATE`` on the driver's cursor (storage.database), counted as a statement.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.turn = Tally()
        self.record = Tally()
        self._turns: set[asyncio.Task[Any]] = set()
        self._runtime = runtime
        self._run_turn = runtime.run_turn

    def _tally(self) -> Tally | None:
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return None
        if task is None:
            return None
        if task in self._turns:
            return self.turn
        if task.get_coro().__qualname__.endswith("_record_continuously"):  # type: ignore[union-attr]
            return self.record
        return None

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        tally = self._tally()
        if tally is not None:
            tally.statements.append(statement)

    def _begin(self, connection: Any) -> None:
        tally = self._tally()
        if tally is not None:
            tally.transactions += 1
            if connection.dialect.name == "sqlite":
                tally.statements.append("BEGIN IMMEDIATE")

    async def _counted_turn(self, *args: Any, **kwargs: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._turns.add(task)
        try:
            await self._run_turn(*args, **kwargs)
        finally:
            self._turns.discard(task)

    @contextlib.contextmanager
    def counting(self) -> Iterator[TurnStatements]:
        """Count while inside the block."""
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "begin", self._begin)
        self._runtime.run_turn = self._counted_turn  # type: ignore[method-assign]
        try:
            yield self
        finally:
            self._runtime.run_turn = self._run_turn  # type: ignore[method-assign]
            event.remove(Engine, "before_cursor_execute", self._statement)
            event.remove(Engine, "begin", self._begin)

    async def of(self, act: Callable[[], Awaitable[object]], settle: float = 0.2) -> None:
        """Forget what was counted, do ``act`` (one turn), and wait for its record to be made."""
        self.turn.clear()
        self.record.clear()
        await act()
        await asyncio.sleep(settle)

    def report(self) -> str:
        """Return the turn's and the record's statements, by kind, as lines."""
        lines = []
        for name, tally in (("turn", self.turn), ("record", self.record)):
            lines.append(f"{name}: {tally.count} statements, {tally.transactions} transactions")
            lines += [f"    {kind}: {n}" for kind, n in sorted(tally.kinds().items())]
        return "\n".join(lines)
