"""A turn of the nomination runs a fixed, small number of statements in one transaction.

The statement count per turn is what the CPU per update follows (issue 19): each statement
through the async session costs ~190 µs. These tests pin it, so it cannot grow back
unnoticed: a new read or write on every turn's path makes them fail, and says which.
"""

from __future__ import annotations

from bot.local_api import LocalBotApi
from tests.bot.conftest import RunningBot
from tests.bot.flows import DEED, agree_and_start, press, say
from tests.bot.statements import TurnStatements

# A turn's statements, transaction control (SQLite's BEGIN) included:
#   sqlite:     BEGIN IMMEDIATE; claim the update; read ahead (user, consent, dialog, the
#               chat's unsent messages); save the dialog; queue the replies.
#   postgresql: the chat's advisory lock; the chat's earlier updates waiting; claim; read
#               ahead; save the dialog; queue the replies.
STATEMENTS_PER_TURN = {"sqlite": 5, "postgresql": 6}


async def test_a_nomination_step_runs_one_transaction_of_few_statements(
    api: LocalBotApi, bot: RunningBot, database_backend: str
) -> None:
    user = api.user(7301, "Lan")
    await agree_and_start(user)
    counter = TurnStatements(bot.runtime)
    steps = {
        "button press": lambda: press(user, "👤 Cá nhân"),
        "text step": lambda: say(user, "Trần Thị Mai"),
        "another button press": lambda: press(user, "Người dân"),
        "another text step": lambda: say(user, DEED),
    }
    counted = {}
    with counter.counting():
        for name, act in steps.items():
            await counter.of(act)
            counted[name] = (counter.turn.count, counter.turn.transactions, counter.report())
    expected = STATEMENTS_PER_TURN[database_backend]
    for name, (statements, transactions, report) in counted.items():
        assert (statements, transactions) == (expected, 1), f"{name}:\n{report}"


async def test_the_counter_sees_a_statement_more(
    api: LocalBotApi, bot: RunningBot, database_backend: str
) -> None:
    """The pin can fail: a turn that reads the user once more is counted one statement more."""
    user = api.user(7302, "Minh")
    await agree_and_start(user)
    counter = TurnStatements(bot.runtime)
    run_turn = counter._run_turn

    async def with_one_read_more(update, bot_, step):  # type: ignore[no-untyped-def]
        async def step_and_read(turn):  # type: ignore[no-untyped-def]
            await turn.uow.users.get(turn.user.id)
            await step(turn)

        await run_turn(update, bot_, step_and_read)

    counter._run_turn = with_one_read_more  # type: ignore[method-assign,assignment]
    with counter.counting():
        await counter.of(lambda: press(user, "👤 Cá nhân"))
    assert counter.turn.count == STATEMENTS_PER_TURN[database_backend] + 1, counter.report()
