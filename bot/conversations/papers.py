"""``/vanban``: a closed meeting's papers for the standing office, made as they are sent.

The proposal letter, the minutes and the draft decision (DOCX) and the certificates (one
PDF, a page each) of the latest closed meeting, or of the meeting named. A queued message
names its paper rather than holding it (:class:`MeetingPaperMaker`, a
:class:`bot.sender.FileMaker`): the outbox keeps no document, and a paper is made from what
the database says when it goes. What the papers say is :mod:`core.meeting_papers`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from telegram import InputFile

from bot.commands import OFFICE
from bot.flows import Command, Flow
from bot.papers import (
    certificates_pdf,
    decision_docx,
    file_name,
    minutes_docx,
    proposal_docx,
)
from bot.rendering import N_
from bot.runtime import Runtime, Turn
from bot.sender import FileGoneError
from core.errors import DomainError
from core.meeting_papers import MeetingPapers, meeting_papers
from core.meetings import last_closed
from core.outbox import OutgoingMessage
from core.review import actor_for
from core.roles import NotAllowedError

PAPER = "ntvt_paper"
KINDS = ("proposal", "minutes", "decision", "certificates")


async def send_papers(turn: Turn) -> None:
    """Queue the four papers of the meeting named, or of the latest closed one."""
    actor = await actor_for(turn.uow, turn.user.id, turn.today)
    args = turn.command_args
    try:
        meeting_id = int(args) if args.isdigit() else await last_closed(turn.uow, actor)
        if meeting_id is None:
            turn.say("papers/none")
            return
        made = await meeting_papers(turn.uow, actor, meeting_id, today=turn.today)
    except NotAllowedError:
        turn.say("papers/not_allowed")
        return
    except DomainError:
        turn.say("papers/none")
        return
    turn.say("papers/coming", meeting=meeting_id)
    for kind in KINDS if made.certificates else KINDS[:-1]:
        params = {
            "document": f"{PAPER}.{kind}",
            PAPER: {"meeting": meeting_id, "kind": kind, "user": turn.user.id},
        }
        turn.send_file_to(turn.chat_id, "sendDocument", params)


class MeetingPaperMaker:
    """Makes the paper a queued message names, for its reader, when it is sent."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def make(self, message: OutgoingMessage) -> dict[str, Any] | None:
        """Return the message's parameters with its paper made, or None if it names none.

        Made for the office member who asked, still holding the role; else the paper is gone.
        """
        named = message.params.get(PAPER)
        if not isinstance(named, Mapping) or named.get("kind") not in KINDS:
            return None
        rt = self._rt
        try:
            async with rt.uow() as uow:
                actor = await actor_for(uow, int(named["user"]), rt.today())
                papers = await meeting_papers(uow, actor, int(named["meeting"]), today=rt.today())
        except (DomainError, KeyError, TypeError, ValueError) as error:
            raise FileGoneError(f"the papers cannot be made: {type(error).__name__}") from None
        render, paper = _renderer(papers, str(named["kind"]))
        data = await asyncio.to_thread(render)
        params = {key: value for key, value in message.params.items() if key != PAPER}
        params["document"] = InputFile(data, filename=file_name(paper))
        return params


def _renderer(papers: MeetingPapers, kind: str) -> tuple[Callable[[], bytes], Any]:
    """Return how to make one paper, and the paper (for its file's name)."""
    if kind == "proposal":
        return (lambda: proposal_docx(papers.proposal)), papers.proposal
    if kind == "minutes":
        return (lambda: minutes_docx(papers.minutes)), papers.minutes
    if kind == "decision":
        return (lambda: decision_docx(papers.decision)), papers.decision
    first = papers.certificates[0] if papers.certificates else papers.decision
    return (lambda: certificates_pdf(papers.certificates)), first


def flow() -> Flow:
    """Return the flow of a meeting's papers."""
    return Flow(
        "papers",
        commands=(
            Command(
                ("vanban", "papers"),
                send_papers,
                N_("Văn bản của phiên họp Hội đồng (tờ trình, biên bản, quyết định, giấy khen)"),
                N_("[SỐ_PHIÊN]"),
                roles=OFFICE,
            ),
        ),
    )
