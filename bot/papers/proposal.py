"""The proposal letter (tờ trình) putting cases to the council: its fixed words and order."""

from __future__ import annotations

from bot.papers.layout import (
    BOLD,
    CASE_COLUMNS,
    ITALIC,
    add_body,
    add_grid,
    add_header,
    add_line,
    add_run,
    add_signatures,
    add_title,
    case_rows,
    counted,
    docx_bytes,
    new_document,
    recipients_lines,
    whom,
    with_end,
)
from core.papers import ProposalLetter


def proposal_docx(letter: ProposalLetter) -> bytes:
    """Return the proposal letter as a .docx file's bytes."""
    occasion = f" {letter.occasion}" if letter.occasion else ""
    subject = f"Về việc đề nghị xét khen thưởng {whom(letter.cases)} có thành tích{occasion}"
    document = new_document(f"Tờ trình số {letter.number}", letter.issuer.name, letter.issued_on)
    add_header(document, letter.issuer, letter.number, letter.issued_on)
    add_title(document, "Tờ trình", subject)

    addressed = add_line(document, "Kính gửi: ", BOLD, space_after=12)
    add_run(addressed, f"{letter.council}.")

    for basis in with_end(letter.bases, ";", ";"):
        add_body(document, basis)
    add_body(
        document,
        f"{letter.issuer.name} kính trình {letter.council} xem xét, khen thưởng "
        f"{counted(letter.cases)} có thành tích{occasion}, như sau:",
    )
    add_grid(document, CASE_COLUMNS, case_rows(letter.cases))
    add_body(document, "(Hồ sơ đề nghị khen thưởng của từng trường hợp gửi kèm theo.)", ITALIC)
    add_body(document, f"Kính trình {letter.council} xem xét, quyết định./.")

    add_signatures(document, recipients_lines(letter.recipients), letter.signer)
    return docx_bytes(document)
