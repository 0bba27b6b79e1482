"""The registry of flows: one key and one command name per flow, the published commands."""

from __future__ import annotations

import pytest

from bot.app import flows
from bot.conversations.incoming import Incoming
from bot.flows import Command, DuplicateFlowError, Flow, Flows
from bot.runtime import Turn


async def _nothing(turn: Turn) -> None:
    """Do nothing (a command under test)."""


def _no_menu(turn: Turn, text: str) -> None:
    """Stand for no menu label."""


async def _fallback(turn: Turn, incoming: Incoming) -> None:
    """Do nothing (the fallback under test)."""


def test_every_flow_of_the_bot_has_its_own_key_and_commands() -> None:
    registry = flows()  # raises on a duplicate

    keys = [flow.key for flow in registry.flows if flow.key is not None]
    assert len(keys) == len(set(keys)) >= 14
    assert all(1 <= len(key) <= 3 for key in keys), "a key is a few bytes of every button"


def test_the_published_commands_are_the_residents_and_staff_commands_stay_unlisted() -> None:
    published = dict(flows().published())

    assert set(published) == {
        "start",
        "help",
        "nominate",
        "status",
        "my",
        "lang",
        "subscribe",
        "unsubscribe",
        "lienhe",
        "cancel",
    }
    assert published["nominate"] == "Đề cử người tốt, việc tốt"


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        (Flow("one", key="x"), Flow("two", key="x"), "'x'"),
        (
            Flow("one", commands=()),
            Flow("two", commands=(Command(("cancel",), _nothing),)),
            "/cancel",
        ),
    ],
)
def test_two_flows_cannot_claim_the_same_key_or_command(
    first: Flow, second: Flow, clash: str
) -> None:
    with pytest.raises(DuplicateFlowError, match=clash):
        Flows([first, second], menu=_no_menu, fallback=_fallback)
