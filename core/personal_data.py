"""The rights of access and erasure: what the bot holds about a person, and erasing it.

``/dulieu`` shows a person a :class:`PersonalData` grouped and short; the full copy is the
same view as JSON (:meth:`PersonalData.as_json`, every stored field, ISO dates) and as a
readable document. Only the person themselves sees it, and only in their private chat with
the bot: :func:`personal_data` takes no other person's id, so there is nobody else's data to
ask for (Law 91/2025/QH15, the right to know and to access).

What is about other people is left out even where it sits beside the person's data: the
officer handling a case and who made each transition (their Telegram ids), the officers'
private notes, the answerer of a question and the officer who handled a request. Who opened
the person's case (the access log) is told by the roles the viewer held then, not by their
name or id.

Erasure (``/xoadulieu``) starts from the same gathering: :func:`plan_erasure` shows what would
go and what stays (the rule is :mod:`core.erasure`'s), :func:`erase_personal_data` does it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from core.access import Access
from core.dialog import Dialog
from core.erasure import (
    ErasureNotAllowedError,
    ErasurePlan,
    ErasurePlanChangedError,
    ErasureReceipt,
    PersonErasure,
    kept_on_erasure,
    quotable,
)
from core.inquiries import Inquiry
from core.nomination import Evidence, Nomination
from core.people import Consent, User
from core.ports import UnitOfWork
from core.requests import DataRequest
from core.roles import NotAllowedError, RoleGrant
from core.subscriptions import Subscription
from core.support import Supporter
from core.workflow import AuditEntry

# Version of the JSON copy's layout: a reader (a program, a lawyer) knows what it holds.
JSON_LAYOUT = "ntvt-personal-data/1"
# Every row a person could have: a resident files a few nominations a year.
EVERYTHING = 100_000
_DAWN = datetime(1970, 1, 1, tzinfo=UTC)


class CopyFormat(StrEnum):
    """The files of the full copy: machine-readable, and for people to read."""

    JSON = "json"
    DOCUMENT = "html"


@dataclass(frozen=True, slots=True)
class Opening:
    """Someone other than the person opened their case (the access log), holding ``roles``.

    ``roles``: the viewer's grants in force when they opened it (an officer of a unit, the
    standing office...); the viewer's own id and name are theirs, not the person's.
    """

    access: Access
    roles: tuple[RoleGrant, ...]


@dataclass(frozen=True, slots=True)
class FiledNomination:
    """A nomination the person filed, its history as they are told it, and who opened it."""

    nomination: Nomination
    history: tuple[AuditEntry, ...]
    openings: tuple[Opening, ...] = ()


@dataclass(frozen=True, slots=True)
class GivenSupport:
    """The person's backing of someone else's nomination; ``nomination`` unless it is gone.

    The nomination is someone else's report: a child nominee is named by the initials only
    (:meth:`Nomination.as_public`), as every notice to a supporter names them.
    """

    supporter: Supporter
    nomination: Nomination | None


@dataclass(frozen=True, slots=True)
class SentFile:
    """A photo or document the person sent, and the nomination it went with."""

    evidence: Evidence
    code: str


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What the bot holds about one person, newest first within each group.

    Roles and failed lookups come in the order they happened.

    ``draft``: the conversation the person has open (a nomination being written, say);
    ``failed_lookups``: when they typed a tracking code that does not exist (kept an hour,
    to slow down guessing); ``blocked``: whether the bot noted they blocked it.
    """

    user: User
    consents: tuple[Consent, ...]
    nominations: tuple[FiledNomination, ...]
    supports: tuple[GivenSupport, ...]
    subscriptions: tuple[Subscription, ...]
    inquiries: tuple[Inquiry, ...]
    requests: tuple[DataRequest, ...]
    roles: tuple[RoleGrant, ...]
    draft: Dialog | None
    failed_lookups: tuple[datetime, ...]
    blocked: bool

    @property
    def consented(self) -> bool:
        """Tell whether the person ever agreed to a privacy notice (before that, little is kept)."""
        return bool(self.consents)

    @property
    def active_subscriptions(self) -> tuple[Subscription, ...]:
        """Return the subscriptions not ended."""
        return tuple(item for item in self.subscriptions if item.ended_at is None)

    @property
    def openings(self) -> tuple[tuple[Nomination, Opening], ...]:
        """Return every opening of the person's cases by someone else, newest first."""
        found = [(f.nomination, o) for f in self.nominations for o in f.openings]
        return tuple(sorted(found, key=lambda pair: pair[1].access.at, reverse=True))

    @property
    def files(self) -> tuple[SentFile, ...]:
        """Return every file the person sent with a nomination or a support, each once."""
        seen: set[str] = set()
        found: list[SentFile] = []
        sources = [(f.nomination.evidence, str(f.nomination.code)) for f in self.nominations]
        sources += [
            (s.supporter.evidence, str(s.nomination.code) if s.nomination else "")
            for s in self.supports
        ]
        for evidence, code in sources:
            for item in evidence:
                if item.file_unique_id not in seen:
                    seen.add(item.file_unique_id)
                    found.append(SentFile(item, code))
        return tuple(found)

    def as_json(self, *, now: datetime) -> dict[str, Any]:
        """Return the full copy: every stored field about the person, dates in ISO 8601."""
        user = self.user
        return {
            "layout": JSON_LAYOUT,
            "generated_at": now.isoformat(),
            "account": {
                "telegram_id": user.id,
                "display_name": user.display_name,
                "display_name_chosen_at": _iso(user.name_chosen_at),
                "language_code": user.language_code,
                "chosen_language": user.locale,
                "first_met_at": user.created_at.isoformat(),
                "blocked_the_bot": self.blocked,
            },
            "consents": [
                {
                    "purpose": consent.purpose.value,
                    "notice_version": consent.notice_version,
                    "given_at": consent.given_at.isoformat(),
                    "withdrawn_at": _iso(consent.withdrawn_at),
                }
                for consent in self.consents
            ],
            "nominations": [_filed(item, user.id) for item in self.nominations],
            "supported_nominations": [_support(item) for item in self.supports],
            "subscriptions": [
                {
                    "scope": item.scope.value,
                    "target": item.target,
                    "created_at": item.created_at.isoformat(),
                    "ended_at": _iso(item.ended_at),
                }
                for item in self.subscriptions
            ],
            "inquiries": [
                {
                    "number": item.id,
                    "question": item.question,
                    "asked_at": item.asked_at.isoformat(),
                    "answer": item.answer,
                    "answered_at": _iso(item.answered_at),
                }
                for item in self.inquiries
            ],
            "requests": [
                {
                    "number": item.id,
                    "kind": item.kind.value,
                    "text": item.text,
                    "filed_at": item.filed_at.isoformat(),
                    "acknowledge_by": item.acknowledge_due.isoformat(),
                    "done_by": item.done_due.isoformat(),
                    "acknowledged_at": _iso(item.acknowledged_at),
                    "done_at": _iso(item.done_at),
                    "outcome": item.outcome,
                }
                for item in self.requests
            ],
            "roles": [
                {
                    "role": grant.role.value,
                    "unit_key": grant.unit_key,
                    "valid_from": _iso(grant.validity.valid_from),
                    "valid_to": _iso(grant.validity.valid_to),
                    "granted_at": grant.granted_at.isoformat(),
                    "revoked_at": _iso(grant.revoked_at),
                }
                for grant in self.roles
            ],
            "open_conversation": (
                {
                    "flow": self.draft.flow,
                    "step": self.draft.step,
                    "data": self.draft.data,
                    "updated_at": _iso(self.draft.updated_at),
                }
                if self.draft is not None
                else None
            ),
            "failed_code_lookups": [at.isoformat() for at in self.failed_lookups],
        }


def only_in_own_chat(user_id: int, chat_id: int) -> None:
    """Refuse to show a person's data anywhere but their private chat (whose id is theirs).

    A copy sent to a group would be read by everyone in it.
    """
    if chat_id != user_id:
        raise NotAllowedError(f"personal data of {user_id} asked for in chat {chat_id}")


async def personal_data(uow: UnitOfWork, user_id: int, *, chat_id: int) -> PersonalData | None:
    """Gather what the bot holds about ``user_id``, for them in their chat ``chat_id``.

    Return None for a person the bot has never met. Raises :class:`NotAllowedError` when
    ``chat_id`` is not the person's private chat. Reads only: nothing is stored.
    """
    only_in_own_chat(user_id, chat_id)
    user = await uow.users.get(user_id)
    if user is None:
        return None
    nominations = await uow.nominations.list_by_nominator(user_id, limit=EVERYTHING)
    filed = [
        FiledNomination(n, tuple(await _history(uow, n)), tuple(await _openings(uow, n)))
        for n in nominations
    ]
    supports = [
        GivenSupport(given, _as_public(await uow.nominations.get(given.nomination_id)))
        for given in await uow.supporters.given_by(user_id)
    ]
    return PersonalData(
        user=user,
        consents=tuple(await uow.consents.all_of(user_id)),
        nominations=tuple(filed),
        supports=tuple(supports),
        subscriptions=tuple(await uow.subscriptions.all_of(user_id)),
        inquiries=tuple(await uow.inquiries.asked_by(user_id)),
        requests=tuple(await uow.data_requests.filed_by(user_id)),
        roles=tuple(await uow.roles.grants_of(user_id)),
        draft=await uow.dialogs.get(chat_id),
        failed_lookups=tuple(await uow.failed_lookups.since(user_id, _DAWN)),
        blocked=await uow.subscriptions.is_blocked(user_id),
    )


def _as_public(nomination: Nomination | None) -> Nomination | None:
    return nomination.as_public() if nomination is not None else None


async def _history(uow: UnitOfWork, nomination: Nomination) -> Sequence[AuditEntry]:
    return await uow.audit.history(nomination.id) if nomination.id is not None else ()


async def _openings(uow: UnitOfWork, nomination: Nomination) -> list[Opening]:
    if nomination.id is None:
        return []
    grants: dict[int, tuple[RoleGrant, ...]] = {}
    found = []
    for access in await uow.access_log.of_case(nomination.id, limit=EVERYTHING):
        if access.viewer_id not in grants:
            grants[access.viewer_id] = await uow.roles.grants_of(access.viewer_id)
        held = tuple(g for g in grants[access.viewer_id] if _held_at(g, access.at))
        found.append(Opening(access, held))
    return found


def _held_at(grant: RoleGrant, at: datetime) -> bool:
    return grant.granted_at <= at and (grant.revoked_at is None or grant.revoked_at > at)


def _filed(item: FiledNomination, user_id: int) -> dict[str, Any]:
    nomination = item.nomination
    location = nomination.location
    return {
        "code": str(nomination.code),
        "status": nomination.status.value,
        "status_changed_at": nomination.status_changed_at.isoformat(),
        "created_at": nomination.created_at.isoformat(),
        "nominee": _nominee(nomination),
        "unit_key": nomination.unit_key,
        "deed": nomination.deed,
        "deed_date": nomination.deed_date.isoformat(),
        "place": nomination.place,
        "location": (
            {"latitude": location.latitude, "longitude": location.longitude}
            if location is not None
            else None
        ),
        "campaign_key": nomination.campaign_key,
        "phone": nomination.nominator.phone,
        "anonymous": nomination.nominator.anonymous,
        "contact_stopped_at": (
            nomination.contact_stopped_at.isoformat() if nomination.contact_stopped_at else None
        ),
        "evidence": [evidence.to_dict() for evidence in nomination.evidence],
        "history": [
            {
                "action": entry.action.value,
                "from_status": entry.from_status.value,
                "to_status": entry.to_status.value,
                "at": entry.at.isoformat(),
                "by_you": entry.actor_id == user_id,
                "note_to_you": entry.public_note,
            }
            for entry in item.history
        ],
        "opened_by_others": [
            {
                "at": opening.access.at.isoformat(),
                "opened": opening.access.opened.value,
                "your_phone_shown": opening.access.contact_shown,
                "purpose": opening.access.purpose.value,
                "viewer_roles": [
                    {"role": grant.role.value, "unit_key": grant.unit_key}
                    for grant in opening.roles
                ],
            }
            for opening in item.openings
        ],
    }


def _support(item: GivenSupport) -> dict[str, Any]:
    nomination, supporter = item.nomination, item.supporter
    return {
        "code": str(nomination.code) if nomination else None,
        "nominee": _nominee(nomination) if nomination else None,
        "status": nomination.status.value if nomination else None,
        "your_account": supporter.account,
        "evidence": [evidence.to_dict() for evidence in supporter.evidence],
        "supported_at": supporter.created_at.isoformat(),
    }


def _nominee(nomination: Nomination) -> dict[str, Any]:
    nominee = nomination.nominee
    return {
        "kind": nominee.kind.value,
        "name": nominee.name,
        "role": nominee.role.value if nominee.role else None,
        "under_16": nominee.under_16,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def plan_of(data: PersonalData) -> ErasurePlan:
    """Return what erasing the data gathered in ``data`` would do."""
    cases = [filed.nomination for filed in data.nominations]
    active_roles = [grant for grant in data.roles if grant.revoked_at is None]
    return ErasurePlan(
        user_id=data.user.id,
        erased=tuple(n for n in cases if not kept_on_erasure(n)),
        kept=tuple(n for n in cases if kept_on_erasure(n)),
        supports=len(data.supports),
        subscriptions=len(data.active_subscriptions),
        inquiries=len(data.inquiries),
        requests=len(data.requests),
        consents=len(data.consents),
        draft=data.draft is not None,
        roles=len(active_roles),
    )


async def plan_erasure(uow: UnitOfWork, user_id: int, *, chat_id: int) -> ErasurePlan | None:
    """Return what erasing ``user_id``'s data would do; None if the bot holds nothing of theirs.

    Only in the person's own private chat (:func:`core.personal_data.only_in_own_chat`).
    """
    data = await personal_data(uow, user_id, chat_id=chat_id)
    return plan_of(data) if data is not None else None


async def erase_personal_data(
    uow: UnitOfWork, user_id: int, *, chat_id: int, fingerprint: int, now: datetime
) -> ErasureReceipt:
    """Erase ``user_id``'s data as the plan with ``fingerprint`` said; return the receipt.

    Everything happens in the unit of work's transaction: all of it, or (on any failure)
    none of it. Raises :class:`ErasurePlanChangedError` when the plan is not the one the
    person confirmed, :class:`ErasureNotAllowedError` while they hold a role.
    """
    data = await personal_data(uow, user_id, chat_id=chat_id)
    plan = plan_of(data) if data is not None else None
    if data is None or plan is None or plan.fingerprint != fingerprint:
        raise ErasurePlanChangedError(f"erasure plan of {user_id} changed")
    if not plan.allowed:
        raise ErasureNotAllowedError(f"user {user_id} holds {plan.roles} role(s)")
    cases = (*plan.erased, *plan.kept)
    phones = {n.nominator.phone for n in cases if n.nominator.phone}
    written = [
        *(item.question for item in data.inquiries),
        *(item.text for item in data.requests),
        *(given.supporter.account for given in data.supports),
    ]
    quotes = {piece for piece in map(quotable, written) if piece}
    counts = await uow.erasure.erase(
        PersonErasure(
            user_id=user_id,
            chat_id=chat_id,
            erased_case_ids=tuple(n.id for n in plan.erased if n.id is not None),
            kept_case_ids=tuple(n.id for n in plan.kept if n.id is not None),
            codes=tuple(str(n.code) for n in plan.erased),
            phones=tuple(sorted(phones)),
            now=now,
            quotes=tuple(sorted(quotes)),
        )
    )
    receipt = ErasureReceipt(
        erased_at=now,
        cases_erased=len(plan.erased),
        kept_codes=tuple(str(n.code) for n in plan.kept),
        counts=counts,
        erased_case_ids=tuple(n.id for n in plan.erased if n.id is not None),
    )
    return await uow.erasure.add_receipt(receipt)
