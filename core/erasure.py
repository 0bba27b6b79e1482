"""The right to erasure: what a person's ``/xoadulieu`` removes, what it must keep, and why.

Law 91/2025/QH15 lets a person have their data erased, except where another law requires
it kept. Here that exception is the record of the council's work: a nomination the unit
proposed to the council, or the council decided, belongs to a public-administration file
(the proposal, the vote, the decision). Such a case is kept with its deed, its nominee and
its evidence, but loses its nominator: who filed it, their phone, what they wrote in answer
to the officers, and every link back to them. Everything else the person gave is erased:
their account and consents, their cases still being verified (or turned down, withdrawn,
merged), their support of other cases, subscriptions, questions and requests, their open
conversation, the messages the bot exchanged with them and the updates it stored from them.

The person sees the plan before confirming (:func:`core.personal_data.plan_erasure`); its
fingerprint travels on the confirming button, so a press after something changed (a case
proposed meanwhile, a new case filed) erases nothing and shows the new plan. What was done is kept
as an :class:`ErasureReceipt` that names nobody: counts, and the codes of the kept cases.

A person holding a role is refused: their name and id are how colleagues and the audit
trail know their official acts; the role is revoked first (by an administrator).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Self

from core.errors import DomainError
from core.nomination import Nomination, NominationStatus

S = NominationStatus

# The cases that are the council's record: proposed to it, being reviewed by it, decided.
KEPT_STATUSES = frozenset({S.PROPOSED, S.UNDER_REVIEW, S.COMMENDED, S.NOT_COMMENDED})


def kept_on_erasure(nomination: Nomination) -> bool:
    """Tell whether ``nomination`` stays (anonymised) when its nominator erases their data."""
    return nomination.status in KEPT_STATUSES


@dataclass(frozen=True, slots=True)
class ErasurePlan:
    """What erasing a person's data would do, as shown to them before they confirm.

    ``erased``/``kept``: their cases that go, and those that stay without them;
    ``roles``: roles they hold now (erasure is refused while they do).
    """

    user_id: int
    erased: tuple[Nomination, ...]
    kept: tuple[Nomination, ...]
    supports: int
    subscriptions: int
    inquiries: int
    requests: int
    consents: int
    draft: bool
    roles: int

    @property
    def allowed(self) -> bool:
        """Tell whether the person may erase their data now (they hold no role)."""
        return self.roles == 0

    @property
    def fingerprint(self) -> int:
        """Return a digest of the plan (32 bits): a confirming button carries it.

        It changes when a case comes or goes or changes side (kept or erased), or when any
        count changes; a button pressed after that erases nothing.
        """
        parts = [
            ",".join(str(n.code) for n in self.erased),
            ",".join(str(n.code) for n in self.kept),
            *map(str, (self.supports, self.subscriptions, self.inquiries, self.requests)),
            str(self.consents),
            str(self.draft),
        ]
        digest = hashlib.sha256("|".join(parts).encode()).digest()
        return int.from_bytes(digest[:4], "big")


@dataclass(frozen=True, slots=True)
class PersonErasure:
    """What storage is to erase for one person, decided by core.

    ``erased_case_ids`` go with everything attached to them; ``kept_case_ids`` lose their
    nominator; ``phones``: the phone numbers the person gave (to find them in messages the
    bot sent to officers); ``chat_id``: their private chat.
    """

    user_id: int
    chat_id: int
    erased_case_ids: tuple[int, ...]
    kept_case_ids: tuple[int, ...]
    codes: tuple[str, ...]
    phones: tuple[str, ...]
    now: datetime
    # Pieces of what the person wrote outside their cases (questions, requests, accounts
    # of others' deeds), to find the messages that quoted them to officers.
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErasureCounts:
    """How many rows of each kind one erasure removed or emptied, as storage counted them."""

    consents: int = 0
    supports: int = 0
    subscriptions: int = 0
    inquiries: int = 0
    requests: int = 0
    dialogs: int = 0
    updates: int = 0
    messages: int = 0
    failed_lookups: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts by name."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """The proof of one erasure, naming nobody: when, what was removed, which cases stay."""

    erased_at: datetime
    cases_erased: int
    kept_codes: tuple[str, ...]
    counts: ErasureCounts
    id: int | None = None
    # The ids the erased cases had, for the process to drop from its memory; not kept.
    erased_case_ids: tuple[int, ...] = ()

    @classmethod
    def from_summary(cls, receipt_id: int, erased_at: datetime, summary: dict[str, Any]) -> Self:
        """Rebuild a receipt kept as :meth:`summary` says."""
        counts = {name: int(summary.get(name, 0)) for name in ErasureCounts.__dataclass_fields__}
        return cls(
            erased_at=erased_at,
            cases_erased=int(summary.get("cases_erased", 0)),
            kept_codes=tuple(summary.get("cases_kept", ())),
            counts=ErasureCounts(**counts),
            id=receipt_id,
        )

    def summary(self) -> dict[str, Any]:
        """Return what the receipt row keeps besides its id and date."""
        return {
            "cases_erased": self.cases_erased,
            "cases_kept": list(self.kept_codes),
            **self.counts.as_dict(),
        }


# A quoted piece is found in a message whatever markup surrounds it: it holds none of these.
_MARKUP = re.compile(r"[<>&\"'\n]")
QUOTE_CHARS = 32
_QUOTE_MIN = 12


def quotable(text: str | None) -> str | None:
    """Return a piece of ``text`` that any message quoting it holds verbatim; None if too short.

    The longest stretch without markup characters (which a message escapes), cut to
    ``QUOTE_CHARS``: long enough to name one text, short enough to survive a message that
    quotes only the start.
    """
    if not text:
        return None
    piece = max(_MARKUP.split(text), key=len).strip()[:QUOTE_CHARS].strip()
    return piece if len(piece) >= _QUOTE_MIN else None


class ErasureNotAllowedError(DomainError):
    """The person holds a role: their official acts must keep their name."""

    code = "erasure.role_holder"


class ErasurePlanChangedError(DomainError):
    """The confirmed plan is not what erasing would do now."""

    code = "erasure.changed"
