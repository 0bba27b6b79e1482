"""Every core service that acts, called by every role: who is refused, and that a refusal
writes nothing.

Run on real storage (SQLite and PostgreSQL): "nothing written" is read back, every row of
every table, in the refused service's own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.broadcasting import cancel, create, launch_campaign
from core.broadcasts import Audience, Broadcast
from core.calendar import WorkingCalendar
from core.codes import TrackingCode
from core.data_requests import (
    acknowledge as acknowledge_request,
    complete as complete_request,
    open_requests,
)
from core.errors import DomainError
from core.nomination import NominationDraft, NomineeKind
from core.org import Campaign
from core.plan import Plan
from core.ports import UnitOfWork
from core.reporting import (
    check_sees_every_unit,
    file_dossier,
    mark_done,
    register,
    set_event_day,
)
from core.requests import UnknownRequestError
from core.review import (
    UnknownNominationError,
    act,
    actor_for,
    all_grants,
    answer_info,
    case_view,
    grant_role,
    invite,
    queue,
    revoke_role,
    search_scope,
    take_case,
)
from core.roles import Actor, NotAllowedError, Role
from core.services import give_consent, meet_user, submit_nomination
from core.workflow import Action, TransitionError
from storage.tables import Base
from storage.uow import Database, SqlUnitOfWork
from tests.bot.flows import DEED

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = NOW.date()
HANG_BAC, HANG_GAI = "phuong-hang-bac", "phuong-hang-gai"
OPERATOR = Actor.operator()

# Every role, as a user id with its grant (the operator is no user).
ROLES: dict[str, tuple[int, Role | None, str | None]] = {
    "nominator": (1, None, None),  # a resident who filed the case in Hàng Bạc
    "resident": (2, None, None),
    "officer_a": (3, Role.OFFICER, HANG_BAC),
    "officer_b": (4, Role.OFFICER, HANG_GAI),
    "secretariat": (5, Role.SECRETARIAT, None),
    "council_member": (6, Role.COUNCIL_MEMBER, None),
    "admin": (7, Role.ADMIN, None),
}
EVERYONE = frozenset({*ROLES, "operator"})
SPARE_USER = 9


@dataclass(frozen=True)
class World:
    """What the services act on: a case in Hàng Bạc, a scheduled broadcast, a spare grant."""

    plan: Plan
    nomination_id: int
    broadcast_id: int
    spare_grant_id: int


Call = Callable[[UnitOfWork, Actor, World], Awaitable[object]]


@dataclass(frozen=True)
class Service:
    """A core service, who may call it, and what it does when they may."""

    call: Call
    allowed: frozenset[str]
    writes: bool
    # An allowed call may still be refused by another rule (the case's state...).
    then: type[DomainError] | None = None


async def _set_event(uow: UnitOfWork, actor: Actor, world: World) -> object:
    task = next(task for task in world.plan.tasks if task.number == 21)
    return await set_event_day(
        uow,
        actor,
        plan=world.plan,
        task=task,
        day=date(2018, 4, 20),
        calendar=WorkingCalendar(),
        now=NOW,
    )


async def _search(uow: UnitOfWork, actor: Actor, world: World) -> object:
    return search_scope(actor)


async def _compliance(uow: UnitOfWork, actor: Actor, world: World) -> object:
    check_sees_every_unit(actor)
    return None


def _broadcast() -> Broadcast:
    return Broadcast("Thông báo họp tổ dân phố.", Audience.parse("all"), NOW)


VERIFYING = frozenset({"officer_a", "secretariat", "admin"})
STAFF = VERIFYING | {"officer_b"}
OFFICERS = frozenset({"officer_a", "officer_b"})
ROLE_MANAGERS = frozenset({"admin", "operator"})
BROADCASTERS = frozenset({"secretariat", "admin", "operator"})
OFFICE = frozenset({"secretariat", "admin"})  # residents' requests (core.data_requests)
NO_REQUEST = 999_999

SERVICES: dict[str, Service] = {
    "invite": Service(
        lambda uow, actor, w: invite(
            uow, actor, role=Role.OFFICER, unit_key=HANG_BAC, days=7, now=NOW
        ),
        ROLE_MANAGERS,
        writes=True,
    ),
    "grant_role": Service(
        lambda uow, actor, w: grant_role(
            uow, actor, user_id=SPARE_USER, role=Role.ADMIN, unit_key=None, now=NOW
        ),
        ROLE_MANAGERS,
        writes=True,
    ),
    "revoke_role": Service(
        lambda uow, actor, w: revoke_role(uow, actor, w.spare_grant_id, now=NOW),
        ROLE_MANAGERS,
        writes=True,
    ),
    "all_grants": Service(
        lambda uow, actor, w: all_grants(uow, actor), ROLE_MANAGERS, writes=False
    ),
    "queue": Service(
        lambda uow, actor, w: queue(uow, actor, page=0, page_size=8), STAFF, writes=False
    ),
    "search_scope": Service(_search, STAFF, writes=False),
    "case_view": Service(
        lambda uow, actor, w: case_view(uow, actor, w.nomination_id, now=NOW),
        VERIFYING | {"nominator"},
        writes=False,
    ),
    "take_case": Service(
        lambda uow, actor, w: take_case(uow, actor, w.nomination_id, now=NOW),
        VERIFYING,
        writes=True,
    ),
    "verify": Service(
        lambda uow, actor, w: act(uow, actor, w.nomination_id, Action.VERIFY, now=NOW),
        VERIFYING,
        writes=True,
    ),
    "withdraw": Service(
        lambda uow, actor, w: act(uow, actor, w.nomination_id, Action.WITHDRAW, now=NOW),
        frozenset({"nominator"}),
        writes=True,
    ),
    # Whether the target exists is looked up only for who may merge.
    "merge_into_unknown_code": Service(
        lambda uow, actor, w: act(
            uow,
            actor,
            w.nomination_id,
            Action.MERGE,
            now=NOW,
            merged_into=TrackingCode("NT-ZZZZ-ZZZZ"),
        ),
        VERIFYING,
        writes=False,
        then=UnknownNominationError,
    ),
    "answer_info": Service(
        lambda uow, actor, w: answer_info(
            uow, actor.user_id, w.nomination_id, text="Có ạ.", evidence=(), now=NOW
        ),
        frozenset({"nominator"}),
        writes=False,
        then=TransitionError,  # nobody asked: the case is not waiting for an answer
    ),
    "mark_done": Service(
        lambda uow, actor, w: mark_done(
            uow,
            actor,
            plan_key=w.plan.key,
            task_number=3,
            occurrence="once",
            unit_key=HANG_BAC,
            today=TODAY,
            now=NOW,
        ),
        VERIFYING,
        writes=True,
    ),
    "set_event_day": Service(_set_event, OFFICERS, writes=True),
    "register": Service(
        lambda uow, actor, w: register(
            uow, actor, year=w.plan.year, titles=["Tập thể lao động xuất sắc"], now=NOW
        ),
        OFFICERS,
        writes=True,
    ),
    "file_dossier": Service(
        lambda uow, actor, w: file_dossier(
            uow,
            actor,
            year=w.plan.year,
            titles=["Giấy khen"],
            require_registration=False,
            now=NOW,
        ),
        OFFICERS,
        writes=True,
    ),
    "see_every_unit": Service(_compliance, frozenset({"secretariat", "admin"}), writes=False),
    "create_broadcast": Service(
        lambda uow, actor, w: create(uow, _broadcast(), actor=actor, today=TODAY),
        BROADCASTERS,
        writes=True,
    ),
    "cancel_broadcast": Service(
        lambda uow, actor, w: cancel(uow, w.broadcast_id, actor=actor),
        BROADCASTERS,
        writes=True,
    ),
    "open_requests": Service(lambda uow, actor, w: open_requests(uow, actor), OFFICE, writes=False),
    "acknowledge_request": Service(
        lambda uow, actor, w: acknowledge_request(uow, actor, NO_REQUEST, now=NOW),
        OFFICE,
        writes=True,
        then=UnknownRequestError,  # not one, to whoever may; NotAllowedError to the others
    ),
    "complete_request": Service(
        lambda uow, actor, w: complete_request(uow, actor, NO_REQUEST, "Đã trả lời.", now=NOW),
        OFFICE,
        writes=True,
        then=UnknownRequestError,
    ),
    "launch_campaign": Service(
        lambda uow, actor, w: launch_campaign(
            uow, actor, Campaign("an-toan-thuc-pham", "An toàn thực phẩm", "ATTP", "Mô tả")
        ),
        BROADCASTERS,
        writes=True,
    ),
}


@pytest.fixture
async def world(database: Database) -> World:
    from bot.plans import DEMO_PLAN, load_plan, read_plan_file

    await load_plan(database, read_plan_file(DEMO_PLAN))
    async with database.uow() as uow:
        for user_id, role, unit in ROLES.values():
            await meet_user(
                uow, user_id=user_id, display_name="Người dùng", language_code="vi", now=NOW
            )
            if role is not None:
                await grant_role(uow, OPERATOR, user_id=user_id, role=role, unit_key=unit, now=NOW)
        spare = await grant_role(
            uow, OPERATOR, user_id=SPARE_USER, role=Role.OFFICER, unit_key=HANG_GAI, now=NOW
        )
        await give_consent(uow, 1, now=NOW)
        draft = NominationDraft(
            nominee_kind=NomineeKind.INDIVIDUAL,
            nominee_name="Nguyễn Văn Bình",
            unit_key=HANG_BAC,
            deed=DEED,
            deed_date=date(2026, 11, 19),
        )
        nomination = await submit_nomination(uow, draft, user_id=1, now=NOW)
        broadcast = await create(uow, _broadcast(), actor=OPERATOR, today=TODAY)
        plan = await uow.organisation.current_plan()
        await uow.commit()
    assert nomination.id and broadcast.id and spare.id and plan is not None
    return World(plan, nomination.id, broadcast.id, spare.id)


async def _actor(uow: UnitOfWork, role: str) -> Actor:
    if role == "operator":
        return OPERATOR
    return await actor_for(uow, ROLES[role][0], TODAY)


async def _every_row(uow: SqlUnitOfWork) -> dict[str, list[str]]:
    session = uow.session
    rows = {}
    for table in Base.metadata.sorted_tables:
        result = await session.execute(select(table))
        rows[table.name] = sorted(repr(tuple(row)) for row in result.all())
    return rows


@pytest.mark.parametrize("name", SERVICES)
async def test_each_service_refuses_every_role_its_rule_does_not_name(
    database: Database, world: World, name: str
) -> None:
    service = SERVICES[name]
    for role in sorted(EVERYONE):
        async with database.uow() as uow:
            actor = await _actor(uow, role)
            before = await _every_row(uow)
            if role not in service.allowed:
                with pytest.raises(NotAllowedError):
                    await service.call(uow, actor, world)
                assert await _every_row(uow) == before, f"{name} refused {role} but wrote"
            elif service.then is not None:
                with pytest.raises(service.then):
                    await service.call(uow, actor, world)
            else:
                await service.call(uow, actor, world)
                if service.writes:
                    assert await _every_row(uow) != before, f"{name} by {role} wrote nothing"
            # Not committed: each role starts from the same world.
