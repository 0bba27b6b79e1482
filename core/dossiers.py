"""Use cases of a case's dossier: its award form, its checklist, the documents attached.

Who may do what is decided here, for every entry point:

- the staff who verify the case (its unit's officers, the secretariat, admins:
  :func:`core.workflow.verifies`) choose its form while it is at the unit, and attach and
  remove documents until it is decided;
- council members who may see the case see its form and which items are there, not the
  files (a report names people the council sees by initials only, a child say);
- the nominator never sees the dossier, nor touches it, even when they are staff too: a
  report's author does not build the file that judges it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.awards import (
    MAX_DOSSIER_DOCUMENTS,
    AwardForm,
    AwardFormRequiredError,
    DossierClosedError,
    DossierDocument,
    DossierFullError,
    DossierItem,
    DossierItemUnknownError,
    DossierLine,
    ItemState,
    UnknownAwardFormError,
    check_complete,
    check_file,
    checklist,
    find_form,
    proposable,
    unlisted,
)
from core.nomination import Evidence, Nomination, NominationStatus
from core.ports import UnitOfWork
from core.roles import Actor, NotAllowedError
from core.workflow import TransitionError, can_view, verifies

# While the case is at its unit its form may still change; once proposed, only the
# secretariat's decision says which form it got.
_AT_UNIT = frozenset(
    {NominationStatus.SUBMITTED, NominationStatus.VERIFYING, NominationStatus.NEEDS_INFO}
)


def may_handle_dossier(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may attach and remove documents of the case (not its nominator)."""
    return (
        verifies(nomination, actor)
        and not nomination.is_nominated_by(actor.user_id)
        and not nomination.status.is_final
    )


def may_see_documents(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may see the dossier's files: verifying staff, not the nominator."""
    return verifies(nomination, actor) and not nomination.is_nominated_by(actor.user_id)


def may_see_checklist(nomination: Nomination, actor: Actor) -> bool:
    """Tell whether ``actor`` may see the case's form and which items are there."""
    if nomination.is_nominated_by(actor.user_id):
        return False
    return may_see_documents(nomination, actor) or can_view(nomination, actor)


@dataclass(frozen=True, slots=True)
class DossierView:
    """A case's dossier as one viewer may see it.

    ``form``: the case's award form, None before one is chosen (``form_key`` names it when
    no plan holds it any more); ``lines``: its checklist, each line's files only when
    ``documents_shown``; ``unlisted``: files under no item of the form (attached under a form
    chosen before), likewise; ``may_attach``: whether the viewer may attach and remove;
    ``choices``: the forms the viewer may choose for the case now (while it is at its unit).
    """

    form: AwardForm | None
    form_key: str | None
    lines: tuple[DossierLine, ...]
    unlisted: tuple[DossierDocument, ...]
    documents_shown: bool
    may_attach: bool
    choices: tuple[AwardForm, ...] = ()

    @property
    def missing(self) -> tuple[DossierItem, ...]:
        """Return the items still to be attached before the case may go to the council."""
        return tuple(line.item for line in self.lines if line.state is ItemState.MISSING)

    @property
    def documents(self) -> tuple[DossierDocument, ...]:
        """Return every file shown, item by item, then the unlisted ones."""
        listed = tuple(doc for line in self.lines for doc in line.documents)
        return listed + self.unlisted


async def award_form_of(uow: UnitOfWork, nomination: Nomination) -> AwardForm | None:
    """Return the case's award form as the plan defines it (its vote rule, its checklist).

    None before the case has a form, or when no stored plan holds its key any more.
    """
    if nomination.award_form_key is None:
        return None
    return await uow.organisation.award_form(nomination.award_form_key)


async def proposable_forms(
    uow: UnitOfWork, actor: Actor, nomination: Nomination
) -> tuple[AwardForm, ...]:
    """Return the plan's forms ``actor`` may propose the case for (none: not theirs to)."""
    if not may_handle_dossier(nomination, actor):
        return ()
    return proposable(await uow.organisation.award_forms(), actor, nomination.unit_key)


async def dossier_view(uow: UnitOfWork, actor: Actor, nomination: Nomination) -> DossierView | None:
    """Return the case's dossier as ``actor`` may see it; None when they may see none of it.

    None too when there is nothing to show: the plan has no award forms and the case no
    form and no file (a plan of before award forms were data).
    """
    if nomination.id is None or not may_see_checklist(nomination, actor):
        return None
    form = await award_form_of(uow, nomination)
    documents = await uow.dossiers.of_case(nomination.id)
    handles = may_handle_dossier(nomination, actor)
    nothing = form is None and not documents and nomination.award_form_key is None
    if nothing and (not handles or not await uow.organisation.award_forms()):
        return None
    shown = may_see_documents(nomination, actor)
    lines = checklist(form, documents) if form is not None else ()
    others = unlisted(form, documents)
    if not shown:
        lines = tuple(replace(line, documents=()) for line in lines)
        others = ()
    choices: tuple[AwardForm, ...] = ()
    if handles and nomination.status in _AT_UNIT:
        choices = proposable(await uow.organisation.award_forms(), actor, nomination.unit_key)
    return DossierView(form, nomination.award_form_key, lines, others, shown, handles, choices)


async def decision_forms(uow: UnitOfWork, nomination: Nomination) -> tuple[AwardForm, ...]:
    """Return the forms a decision on the case may name: the plan's, the case's own first."""
    forms = await uow.organisation.award_forms()
    own = await award_form_of(uow, nomination)
    if own is None:
        return forms
    return (own, *(form for form in forms if form.key != own.key))


async def form_for_proposal(
    uow: UnitOfWork, actor: Actor, nomination: Nomination, form_key: str | None
) -> AwardForm | None:
    """Return the form the case goes to the council under, once its dossier is complete.

    ``form_key``: the form chosen now, else the one chosen before. A plan without award
    forms proposes without one (None). Raise :class:`AwardFormRequiredError` when none is
    chosen, :class:`UnknownAwardFormError` when the plan has no such form for ``actor``, and
    :class:`~core.awards.DossierIncompleteError` naming each item still missing.
    """
    forms = await uow.organisation.award_forms()
    key = form_key or nomination.award_form_key
    if not forms and key is None:
        return None
    if key is None:
        raise AwardFormRequiredError(f"{nomination.code} is proposed under no form")
    form = find_form(proposable(forms, actor, nomination.unit_key), key)
    if form is None:
        raise UnknownAwardFormError(f"user {actor.user_id} may not propose {key}")
    assert nomination.id is not None
    check_complete(form, await uow.dossiers.of_case(nomination.id))
    return form


async def choose_award_form(
    uow: UnitOfWork, actor: Actor, nomination_id: int, form_key: str
) -> Nomination:
    """Record the form the case's unit means to propose it for; its checklist follows it."""
    nomination = await _handled(uow, actor, nomination_id, for_update=True)
    if nomination.status not in _AT_UNIT:
        raise TransitionError(f"the form of {nomination.code} is chosen at its unit only")
    forms = proposable(await uow.organisation.award_forms(), actor, nomination.unit_key)
    form = find_form(forms, form_key)
    if form is None:
        raise UnknownAwardFormError(f"user {actor.user_id} may not propose {form_key}")
    if nomination.award_form_key == form.key:
        return nomination
    chosen = replace(nomination, award_form_key=form.key)
    await uow.nominations.save(chosen)
    return chosen


async def attach_document(
    uow: UnitOfWork,
    actor: Actor,
    nomination_id: int,
    item_key: str,
    file: Evidence,
    *,
    now: datetime,
) -> DossierDocument:
    """Attach a PDF, DOCX or photo to one item of the case's checklist.

    The same file sent again for the same item is kept once (the stored one is returned).
    """
    nomination = await _handled(uow, actor, nomination_id)
    assert nomination.id is not None
    form = await award_form_of(uow, nomination)
    if form is None:
        raise AwardFormRequiredError(f"{nomination.code} has no form to attach to")
    if form.find_item(item_key) is None:
        raise DossierItemUnknownError(f"{form.key} has no item {item_key}")
    check_file(file.kind, file.file_name, file.size)
    documents = await uow.dossiers.of_case(nomination.id)
    same = next(
        (
            doc
            for doc in documents
            if doc.item_key == item_key and doc.file_unique_id == file.file_unique_id
        ),
        None,
    )
    if same is not None:
        return same
    if len(documents) >= MAX_DOSSIER_DOCUMENTS:
        raise DossierFullError(f"{nomination.code} holds {len(documents)} documents")
    document = DossierDocument(
        nomination_id=nomination.id,
        item_key=item_key,
        kind=file.kind,
        file_id=file.file_id,
        file_unique_id=file.file_unique_id,
        file_name=file.file_name,
        size=file.size,
        added_by=actor.user_id,
        added_at=now,
    )
    added = await uow.dossiers.add(document)
    if added is not None:
        return added
    # Attached by someone else meanwhile: theirs is the one kept.
    stored = await uow.dossiers.of_case(nomination.id)
    return next(
        doc
        for doc in stored
        if doc.item_key == item_key and doc.file_unique_id == file.file_unique_id
    )


async def remove_document(
    uow: UnitOfWork, actor: Actor, nomination_id: int, document_id: int
) -> DossierDocument | None:
    """Remove a file attached by mistake; None when the case has no such file (any more)."""
    await _handled(uow, actor, nomination_id)
    return await uow.dossiers.remove(nomination_id, document_id)


async def _handled(
    uow: UnitOfWork, actor: Actor, nomination_id: int, *, for_update: bool = False
) -> Nomination:
    """Return the case if ``actor`` may handle its dossier now; refuse alike otherwise.

    A case that does not exist and one that is not the actor's are refused in the same
    words; a decided case is refused as closed, to its own staff only.
    """
    nomination = await uow.nominations.get(nomination_id, for_update=for_update)
    if (
        nomination is None
        or not verifies(nomination, actor)
        or nomination.is_nominated_by(actor.user_id)
    ):
        raise NotAllowedError(f"user {actor.user_id} may not handle the dossier {nomination_id}")
    if nomination.status.is_final:
        raise DossierClosedError(f"{nomination.code} is decided")
    return nomination
