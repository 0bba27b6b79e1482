"""The decision (quyết định) commending people and collectives: its fixed words and order."""

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
from core.papers import Decision


def decision_docx(decision: Decision) -> bytes:
    """Return the decision as a .docx file's bytes."""
    occasion = f" {decision.occasion}" if decision.occasion else ""
    commended = decision.commended
    document = new_document(
        f"Quyết định số {decision.number}", decision.issuer.name, decision.issued_on
    )
    add_header(document, decision.issuer, decision.number, decision.issued_on)
    add_title(
        document, "Quyết định", f"Về việc khen thưởng {whom(commended)} có thành tích{occasion}"
    )
    add_line(document, decision.authority.upper(), BOLD, space_after=6)

    for basis in with_end(decision.bases, ";", "."):
        add_body(document, basis, ITALIC)
    add_line(document, "QUYẾT ĐỊNH:", BOLD, space_before=6, space_after=6)

    first = add_body(document, "Điều 1. ", BOLD)
    add_run(first, f"Khen thưởng {counted(commended)} có thành tích{occasion}, gồm:")
    add_grid(document, CASE_COLUMNS, case_rows(commended))
    if cash := _cash(decision):
        add_body(document, f"Kèm theo tiền thưởng: {cash}.")

    second = add_body(document, "Điều 2. ", BOLD)
    add_run(second, "Quyết định này có hiệu lực kể từ ngày ký.")
    third = add_body(document, "Điều 3. ", BOLD)
    charged = [*decision.executors, "các tập thể, cá nhân có tên tại Điều 1"]
    who = ", ".join(charged[:-1]) + " và " + charged[-1] if len(charged) > 1 else charged[0]
    add_run(third, f"{who[:1].upper()}{who[1:]} chịu trách nhiệm thi hành Quyết định này./.")

    add_signatures(document, recipients_lines(decision.recipients), decision.signer)
    return docx_bytes(document)


def _cash(decision: Decision) -> str:
    """Say the cash awarded to the kinds this decision commends: "mỗi cá nhân 702.000 đồng"."""
    kinds = {case.collective for case in decision.commended}
    amounts = [
        f"mỗi {kind} {_dong(amount)}"
        for kind, amount, present in (
            ("tập thể", decision.cash_collective, True in kinds),
            ("cá nhân", decision.cash_individual, False in kinds),
        )
        if amount is not None and present
    ]
    return "; ".join(amounts)


def _dong(amount: int) -> str:
    """Write an amount of money as papers do, with dots between thousands: "1.404.000 đồng"."""
    return f"{amount:,} đồng".replace(",", ".")
