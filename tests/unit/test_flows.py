"""The registry of flows: one key and one command name per flow, the commands by role."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.app import flows
from bot.commands import CommandMenu
from bot.conversations.incoming import Incoming
from bot.flows import Command, DuplicateFlowError, Flow, Flows
from bot.runtime import Turn
from core.org import Validity
from core.roles import Actor, Role, RoleGrant

NOW = datetime(2026, 12, 4, 8, tzinfo=UTC)


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


RESIDENTS = {
    "start",
    "help",
    "nominate",
    "status",
    "my",
    "lang",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "lienhe",
    "yeucau",
    "dulieu",
    "suadulieu",
    "rutdongy",
    "xoadulieu",
    "gopy",
    "guong",
    "deadlines",
    "cancel",
}
OFFICERS = {"queue", "find", "event", "register", "dossier", "gionhan", "web"}
OFFICE = {
    "compliance",
    "broadcast",
    "broadcasts",
    "launch",
    "truycap",
    "xulyyeucau",
    "hop",
    "ketqua",
    "congkhai",
    "tongket",
    "vanban",
    "baocao",
}


def _actor(*roles: Role) -> Actor:
    validity = Validity(date(2026, 1, 1))
    grants = tuple(
        RoleGrant(7, role, "phuong-hang-bac" if role is Role.OFFICER else None, validity, NOW)
        for role in roles
    )
    return Actor.of(7, grants, date(2026, 12, 4))


@pytest.mark.parametrize(
    ("roles", "shown"),
    [
        ((), RESIDENTS),
        ((Role.COUNCIL_MEMBER,), RESIDENTS),
        ((Role.OFFICER,), RESIDENTS | OFFICERS),
        ((Role.SECRETARIAT,), RESIDENTS | OFFICERS | OFFICE),
        ((Role.ADMIN,), RESIDENTS | OFFICERS | OFFICE | {"invite"}),
    ],
)
def test_each_role_is_shown_its_own_commands_and_residents_theirs_first(
    roles: tuple[Role, ...], shown: set[str]
) -> None:
    menu = CommandMenu(flows().listings())

    listed = menu.shown_to(_actor(*roles))

    assert {item.name for item in listed} == shown
    staff = [item.for_staff for item in listed]
    assert staff == sorted(staff), "residents' commands come first"


def test_every_command_says_what_it_does_within_telegrams_limits() -> None:
    for item in flows().listings():
        assert 1 <= len(item.name) <= 32 and item.name.islower(), item.name
        assert 3 <= len(item.description) <= 256, item.name
    listed = {item.name: item.description for item in flows().listings()}
    assert listed["nominate"] == "Đề cử người tốt, việc tốt"


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        (Flow("one", key="x"), Flow("two", key="x"), "'x'"),
        (
            Flow("one", commands=()),
            Flow("two", commands=(Command(("cancel",), _nothing, "Hủy"),)),
            "/cancel",
        ),
    ],
)
def test_two_flows_cannot_claim_the_same_key_or_command(
    first: Flow, second: Flow, clash: str
) -> None:
    with pytest.raises(DuplicateFlowError, match=clash):
        Flows([first, second], menu=_no_menu, fallback=_fallback)


def _literal_kinds(source: str) -> list[int]:
    """Return the lines where ``button_data`` is called with a kind written out as a string."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "button_data"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_a_button_kind_is_written_once_by_its_flow_and_named_everywhere_else() -> None:
    bot = Path(__file__).resolve().parents[2] / "bot"
    found = {
        str(path.relative_to(bot.parent)): lines
        for path in bot.rglob("*.py")
        if (lines := _literal_kinds(path.read_text(encoding="utf-8")))
    }

    assert found == {}
    assert _literal_kinds('button_data("k", 0, "open", "1")') == [1]
    assert _literal_kinds("button_data(CARD, 0, 'open', '1')") == []
