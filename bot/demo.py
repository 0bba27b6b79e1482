"""The people and cases of ``ntvt chat``'s demo: the officers' side, tried without a token.

A resident, an officer of one unit, the standing office and a council member, each a
simulated Telegram user; the officers' roles and a few cases at different steps of the
review are filed through the core services (nothing is written around them), so the queue,
a case card, the question to the nominator and its answer, a decision, the deadlines and a
broadcast can all be tried in the terminal. The resident is the cases' nominator and
subscribes to announcements: switching to them shows what the officers' acts told them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.runtime import Runtime
from core.dossiers import attach_document, choose_award_form, proposable_forms
from core.nomination import Evidence, NominationDraft, NomineeKind, NomineeRole
from core.org import Unit, UnitKind
from core.ports import UnitOfWork
from core.review import act, actor_for, grant_role
from core.roles import Actor, Role
from core.services import give_consent, has_consent, meet_user, submit_nomination, subscribe
from core.subscriptions import Scope
from core.text import fold
from core.workflow import Action


@dataclass(frozen=True, slots=True)
class Persona:
    """Someone the terminal chat can type as.

    ``key``: the name ``--as`` and ``:vai`` take (``names`` are the other words accepted,
    without diacritics); ``title``: who they are, as the chat says it; ``hint``: what to try.
    """

    key: str
    names: tuple[str, ...]
    user_id: int
    name: str
    title: str
    role: Role | None
    hint: str

    def is_called(self, typed: str) -> bool:
        """Tell whether ``typed`` (any case, with or without diacritics) names this persona."""
        word = fold(typed).replace(" ", "")
        return word == self.key or word in self.names


RESIDENT = Persona(
    "resident",
    ("nguoidan", "dan"),
    100_001,
    "Bạn",
    "Người dân",
    None,
    "/nominate để đề cử, /my để xem đề cử của mình, /help để xem mọi lệnh.",
)
PERSONAS = (
    RESIDENT,
    Persona(
        "officer",
        ("canbo",),
        100_002,
        "Trần Thị Hoa",
        "Cán bộ",
        Role.OFFICER,
        "/queue: hồ sơ đang chờ; bấm một hồ sơ để mở, rồi bấm thao tác (tiếp nhận, yêu cầu "
        "người đề cử bổ sung, đề xuất lên Hội đồng). /deadlines: hạn chót của đơn vị; "
        "/gionhan 07:30: giờ nhận bản tin hạn chót.",
    ),
    Persona(
        "secretariat",
        ("thuongtruc", "vanphong"),
        100_003,
        "Lê Văn Nam",
        "Thường trực Hội đồng",
        Role.SECRETARIAT,
        "/queue: mọi hồ sơ; hồ sơ “đang xét” chờ quyết định khen thưởng. /broadcast: soạn "
        "thông báo tới người đăng ký; /compliance: tiến độ các đơn vị; /deadlines.",
    ),
    Persona(
        "council",
        ("hoidong", "thanhvienhoidong"),
        100_004,
        "Phạm Thu Hà",
        "Thành viên Hội đồng",
        Role.COUNCIL_MEMBER,
        "/status MÃ_HỒ_SƠ: xem hồ sơ đã đề xuất lên Hội đồng (mã in bên dưới).",
    ),
)


def persona(typed: str) -> Persona | None:
    """Return the persona ``typed`` names (``officer``, ``cán bộ``, ``hoidong``...), if any."""
    return next((p for p in PERSONAS if p.is_called(typed)), None)


@dataclass(frozen=True, slots=True)
class DemoCase:
    """A case filed for the demo, and the steps of the review it is taken through."""

    name: str
    deed: str
    days_ago: int
    actions: tuple[tuple[Role, Action], ...] = ()
    kind: NomineeKind = NomineeKind.INDIVIDUAL


CASES = (
    DemoCase(
        "Nguyễn Văn Bình",
        "Anh Bình nhặt được chiếc ví có 5 triệu đồng và giấy tờ ở chợ Đồng Xuân, đã tìm và "
        "trả lại cho người đánh rơi.",
        3,
    ),
    DemoCase(
        "Trần Thị Mai",
        "Chị Mai dìu một cụ bà bị ngã qua đoạn phố ngập nước, gọi người nhà và đưa cụ đi khám.",
        6,
        ((Role.OFFICER, Action.VERIFY),),
    ),
    DemoCase(
        "Lê Minh Tuấn",
        "Anh Tuấn nhảy xuống hồ cứu một cháu bé bị trượt chân ngã, rồi sơ cứu cho cháu "
        "trước khi xe cấp cứu đến.",
        20,
        (
            (Role.OFFICER, Action.VERIFY),
            (Role.OFFICER, Action.PROPOSE),
            (Role.SECRETARIAT, Action.START_REVIEW),
        ),
    ),
    DemoCase(
        "Đỗ Thị Lan",
        "Chị Lan tổ chức lớp học miễn phí buổi tối cho các cháu có hoàn cảnh khó khăn "
        "trong tổ dân phố suốt hai năm.",
        40,
        ((Role.OFFICER, Action.VERIFY), (Role.OFFICER, Action.PROPOSE)),
    ),
)


def demo_unit(rt: Runtime, today: date) -> Unit | None:
    """Return the unit the demo officer acts for: a residential group, else a ward."""
    directory = rt.directory
    council = directory.council_on(today)
    units = [
        u for u in directory.units_on(today) if not council or u.key != council.secretariat_key
    ]
    for kind in (UnitKind.RESIDENTIAL_GROUP, UnitKind.WARD, None):
        chosen = next((u for u in units if kind is None or u.kind is kind), None)
        if chosen is not None:
            return chosen
    return None


async def seed(
    rt: Runtime,
    *,
    resident_name: str,
    language: str,
    dossier_file: Callable[[str], Evidence],
) -> list[str]:
    """File the demo's roles and cases once; return the cases' codes (none if seeded before).

    Whether it was seeded is read from the roles: the demo officer holds one once it was.
    A case proposed to the council goes under an award form of the plan when it has any
    (the short procedure's, else the first), its dossier filled with ``dossier_file(name)``.
    """
    now = rt.clock()
    today = rt.today()
    unit = demo_unit(rt, today)
    if unit is None:
        return []
    ids = {p.role: p.user_id for p in PERSONAS}
    async with rt.uow() as uow:
        if (await actor_for(uow, ids[Role.OFFICER], today)).grants:
            return []
        for p in PERSONAS:
            name = resident_name if p is RESIDENT else p.name
            await meet_user(
                uow, user_id=p.user_id, display_name=name, language_code=language, now=now
            )
            if p.role is not None and not (await actor_for(uow, p.user_id, today)).grants:
                await grant_role(
                    uow,
                    Actor.operator(),
                    user_id=p.user_id,
                    role=p.role,
                    unit_key=unit.key if p.role is Role.OFFICER else None,
                    now=now,
                )
        if not await has_consent(uow, RESIDENT.user_id):
            await give_consent(uow, RESIDENT.user_id, now=now, display_name=resident_name)
        await subscribe(uow, RESIDENT.user_id, Scope.ALL, None, now=now)
        codes = []
        for case in CASES:
            draft = NominationDraft(
                nominee_kind=case.kind,
                nominee_name=case.name,
                nominee_role=NomineeRole.RESIDENT,
                unit_key=unit.key,
                deed=case.deed,
                deed_date=today - timedelta(days=case.days_ago),
                anonymous=False,
            )
            # Filed the day after the deed: the queue shows them oldest first.
            filed_at = now - timedelta(days=max(0, case.days_ago - 1))
            nomination = await submit_nomination(uow, draft, user_id=RESIDENT.user_id, now=filed_at)
            assert nomination.id is not None
            for role, action in case.actions:
                actor = await actor_for(uow, ids[role], today)
                if action is Action.PROPOSE:
                    await _fill_dossier(uow, actor, nomination.id, dossier_file, now=now)
                await act(uow, actor, nomination.id, action, now=now)
            codes.append(str(nomination.code))
        await uow.commit()
    async with rt.uow() as uow:
        await rt.search.catch_up(uow)
    return codes


def secretariat() -> Persona:
    """Return the demo's standing office: whom ``ntvt chat``'s desk link signs in."""
    return next(p for p in PERSONAS if p.role is Role.SECRETARIAT)


async def seed_secretariat(rt: Runtime, *, language: str) -> Persona:
    """Give the demo's standing office its role (once), so it may sign in to the desk.

    Nothing else: the demo's cases are filed when the window first types as staff
    (:func:`seed`), so a resident's first look stays a newcomer's.
    """
    office = secretariat()
    now = rt.clock()
    async with rt.uow() as uow:
        if not (await actor_for(uow, office.user_id, rt.today())).grants:
            await grant_role(
                uow,
                Actor.operator(),
                user_id=office.user_id,
                role=Role.SECRETARIAT,
                unit_key=None,
                now=now,
            )
            # After the grant: a member of staff's name is kept (core.services.meet_user).
            await meet_user(
                uow,
                user_id=office.user_id,
                display_name=office.name,
                language_code=language,
                now=now,
            )
            await uow.commit()
    return office


async def _fill_dossier(
    uow: UnitOfWork,
    actor: Actor,
    nomination_id: int,
    dossier_file: Callable[[str], Evidence],
    *,
    now: datetime,
) -> None:
    """Choose the case's award form and attach a file to each item of its checklist."""
    nomination = await uow.nominations.get(nomination_id)
    assert nomination is not None
    forms = await proposable_forms(uow, actor, nomination)
    if not forms:
        return  # a plan without award forms: proposed without one
    form = next((form for form in forms if form.simplified), forms[0])
    await choose_award_form(uow, actor, nomination_id, form.key)
    for item in form.attachable:
        file = dossier_file(f"{item.key}.pdf")
        await attach_document(uow, actor, nomination_id, item.key, file, now=now)
