"""Documents a unit files against the plan's tasks: a report, the year-end dossier.

When a unit marks a task's occurrence done it may send the file that proves it (a PDF, a
DOCX or a photo, kept as Telegram's file ids, with the rules of a case's dossier:
:func:`core.awards.check_file`). The secretariat counts them per unit in ``/compliance`` and
has them sent again.

Who may do what is decided here, for every entry point:

- a document is filed by whoever may mark the task done for the unit
  (:func:`core.reporting.may_mark_done`): its officers, the secretariat, an admin;
- every unit's documents are read by whoever sees every unit's standing
  (:func:`core.reporting.may_see_every_unit`): the secretariat and admins.

These are staff's documents about the unit's work, not residents' personal data: erasing a
person deletes none of them, and the retention of residents' data does not cover them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from core.awards import check_file
from core.deadlines import TaskDocument
from core.nomination import Evidence
from core.ports import UnitOfWork
from core.reporting import check_sees_every_unit, may_mark_done
from core.roles import Actor, NotAllowedError

# The most files the secretariat is sent at once; the newest first.
MAX_SENT = 30


def may_file_document(actor: Actor, unit_key: str) -> bool:
    """Tell whether ``actor`` may file a document of ``unit_key``: as for marking done."""
    return may_mark_done(actor, unit_key)


def check_may_file_document(actor: Actor, unit_key: str) -> None:
    """Raise :class:`NotAllowedError` unless ``actor`` may file a document of ``unit_key``."""
    if not may_file_document(actor, unit_key):
        raise NotAllowedError(f"user {actor.user_id} may not file for {unit_key}")


async def file_task_document(
    uow: UnitOfWork,
    actor: Actor,
    *,
    plan_key: str,
    task_number: int,
    occurrence: str,
    unit_key: str,
    file: Evidence,
    now: datetime,
) -> TaskDocument:
    """File a PDF, DOCX or photo against a unit's task occurrence; return it as stored.

    The same file sent again for the same occurrence is kept once (the stored one is
    returned). Refused with :class:`NotAllowedError` for whoever may not mark it done, and
    with the dossier's file errors for a file of another type or too large.
    """
    check_may_file_document(actor, unit_key)
    check_file(file.kind, file.file_name, file.size)
    document = TaskDocument(
        plan_key=plan_key,
        task_number=task_number,
        occurrence=occurrence,
        unit_key=unit_key,
        kind=file.kind,
        file_id=file.file_id,
        file_unique_id=file.file_unique_id,
        file_name=file.file_name,
        size=file.size,
        added_by=actor.user_id,
        added_at=now,
    )
    added = await uow.task_documents.add(document)
    if added is not None:
        return added
    return next(
        doc
        for doc in await uow.task_documents.of_plan(plan_key)
        if (doc.task_number, doc.occurrence, doc.unit_key, doc.file_unique_id)
        == (task_number, occurrence, unit_key, file.file_unique_id)
    )


async def documents_per_unit(uow: UnitOfWork, actor: Actor, plan_key: str) -> dict[str, int]:
    """Count the documents each unit filed under the plan, for whoever sees every unit."""
    check_sees_every_unit(actor)
    return dict(Counter(doc.unit_key for doc in await uow.task_documents.of_plan(plan_key)))


async def filed_documents(
    uow: UnitOfWork, actor: Actor, plan_key: str, *, limit: int = MAX_SENT
) -> tuple[Sequence[TaskDocument], int]:
    """Return the plan's newest filed documents (at most ``limit``) and how many there are.

    Only for whoever sees every unit's standing: the secretariat and admins.
    """
    check_sees_every_unit(actor)
    found = await uow.task_documents.of_plan(plan_key)
    return list(reversed(found))[:limit], len(found)
