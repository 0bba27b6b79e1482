"""Every kind of button fits Telegram's 64 bytes with its signature, at its longest."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.conversations.incoming import button_data
from bot.handlers.officer import FIND_QUERY_BYTES, find_page_data
from bot.handlers.subscriptions import campaign_button_data
from bot.keyboards import MAX_CALLBACK_BYTES, Button, ButtonSigner, fit_data
from bot.notices import DONE
from bot.plans import DEMO_PLAN, read_plan_file
from core.awards import MAX_DOSSIER_DOCUMENTS
from core.broadcasts import new_campaign
from core.nomination import NominationStatus
from core.plan import EVENT_AWARD_PRESENTATION, EVENT_PLAQUE_MOUNTING
from core.requests import RequestKind
from core.text import fold
from core.workflow import Action

LARGEST_ID = 2**63 - 1
LARGEST_TOKEN = 99_999  # a dialog's token grows by one a step
LARGEST_VERSION = (10**8 - 1) * 16 + len(NominationStatus) - 1
LONG_TITLE = "Phong trào thi đua “Người tốt, việc tốt” " * 10


def _longest_campaign_key() -> str:
    """Return the key of a campaign with a long title, after eleven others of that title."""
    organisation = read_plan_file(DEMO_PLAN).organisation
    first = new_campaign(
        organisation, title=LONG_TITLE, theme="", description="", starts=date(2026, 1, 1), ends=None
    )
    alike = [first, *(replace(first, key=f"{first.key}-{n}") for n in range(2, 12))]
    taken = replace(organisation, campaigns=(*organisation.campaigns, *alike))
    again = new_campaign(
        taken, title=LONG_TITLE, theme="", description="", starts=date(2026, 1, 1), ends=None
    )
    assert again.key == f"{first.key}-12"
    return again.key


def _every_longest() -> list[str]:
    organisation = read_plan_file(DEMO_PLAN).organisation
    campaign = _longest_campaign_key()
    query = fit_data(fold("汉字" * 100 + " nguyễn văn bình"), FIND_QUERY_BYTES)
    unit_keys = [unit.key for unit in organisation.units]
    return [
        campaign_button_data(campaign),
        button_data("n", LARGEST_TOKEN, "pick", campaign),
        find_page_data(99_999, query),
        *(button_data("n", LARGEST_TOKEN, "pick", key) for key in unit_keys),
        *(button_data("sub", 0, "w", key) for key in unit_keys),
        *(button_data("r", LARGEST_VERSION, action.value, str(LARGEST_ID)) for action in Action),
        button_data("k", 0, "files", str(LARGEST_ID)),
        button_data("ds", 0, "start", str(LARGEST_ID)),
        button_data("ds", LARGEST_TOKEN, "pick", str(MAX_DOSSIER_DOCUMENTS - 1)),
        button_data("rv", LARGEST_TOKEN, "pick", "99"),
        button_data("a", 0, "start", str(LARGEST_ID)),
        button_data("n", LARGEST_TOKEN, "support", str(LARGEST_ID)),
        button_data("bs", 0, "stop", str(LARGEST_ID)),
        button_data("m", 0, "show", "NT-XXXX-XXXX"),
        *(button_data("rq", 0, action, str(LARGEST_ID)) for action in ("ack", "done")),
        *(button_data("rq", LARGEST_TOKEN, "kind", kind.value) for kind in RequestKind),
        *(
            f"{DONE}:999:{event}@{date(2099, 12, 31).isoformat()}:{len(unit_keys)}"
            for event in (EVENT_AWARD_PRESENTATION, EVENT_PLAQUE_MOUNTING)
        ),
    ]


@pytest.mark.parametrize("data", _every_longest())
def test_the_longest_data_of_each_kind_fits_with_its_signature(data: str) -> None:
    Button("x", data)
    signed = ButtonSigner.random().sign(-1_001_234_567_890, data)
    assert len(signed.encode()) <= MAX_CALLBACK_BYTES, signed
