"""The access log: who opened which case, what of it, when and why.

Every time someone other than the nominator opens a case's card or its files, one entry is
written in the same transaction as the view (:func:`core.review.case_view`), saying whether
the nominator's contact was shown. The standing office reads it to answer a resident's
"who saw my data"; nothing in it is ever shown to the viewers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Opened(StrEnum):
    """What of a case was opened."""

    CARD = "card"  # the case card: nominee, deed, history, nominator as the viewer may see
    FILES = "files"  # the photos and documents sent with it


class Purpose(StrEnum):
    """Why it was opened; one purpose today, the handling of the case."""

    CASE_HANDLING = "case_handling"


@dataclass(frozen=True, slots=True)
class Access:
    """One opening of a case by someone other than its nominator."""

    nomination_id: int
    viewer_id: int
    opened: Opened
    contact_shown: bool
    at: datetime
    purpose: Purpose = Purpose.CASE_HANDLING
    id: int | None = None
