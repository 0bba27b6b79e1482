"""The desk's pure rules: links, sessions, filters as queries, and files that run nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.desk.export import queue_csv, queue_xlsx
from core.desk import (
    EVERY_STATE,
    OPEN,
    CaseFilter,
    CaseQuery,
    DeskSession,
    SignInLink,
    csrf_token,
    hash_secret,
    new_secret,
)
from core.nomination import NominationStatus

NOW = datetime(2024, 11, 20, 2, 0, tzinfo=UTC)
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN_STATES = frozenset({NominationStatus.SUBMITTED, NominationStatus.VERIFYING})


def test_a_link_works_once_and_for_ten_minutes_only() -> None:
    link = SignInLink("h", 1, NOW, NOW + timedelta(minutes=10))

    assert link.usable(NOW + timedelta(minutes=9, seconds=59))
    assert not link.usable(NOW + timedelta(minutes=10))
    assert not SignInLink("h", 1, NOW, NOW + timedelta(minutes=10), used_at=NOW).usable(NOW)


def test_a_session_signs_in_until_it_expires_or_is_ended() -> None:
    session = DeskSession("h", 1, NOW, NOW + timedelta(hours=8), NOW)

    assert session.active(NOW + timedelta(hours=7))
    assert not session.active(NOW + timedelta(hours=8))
    ended = DeskSession("h", 1, NOW, NOW + timedelta(hours=8), NOW, ended_at=NOW)
    assert not ended.active(NOW)


def test_secrets_are_random_and_only_their_hashes_and_derived_tokens_are_kept() -> None:
    one, two = new_secret(), new_secret()

    assert one != two and len(one) >= 43
    assert hash_secret(one) != one and len(hash_secret(one)) == 64
    assert csrf_token(one) != csrf_token(two) and one not in csrf_token(one)


def test_a_filter_becomes_a_query_of_local_days_and_states() -> None:
    filters = CaseFilter(state=OPEN, filed_from=date(2024, 11, 1), filed_to=date(2024, 11, 30))

    query = CaseQuery.of(filters, unit_keys=None, open_states=OPEN_STATES, tz=HANOI)

    assert query.statuses == OPEN_STATES
    assert query.filed_since == datetime(2024, 10, 31, 17, 0, tzinfo=UTC)
    assert query.filed_before == datetime(2024, 11, 30, 17, 0, tzinfo=UTC)
    every = CaseQuery.of(
        CaseFilter(state=EVERY_STATE), unit_keys=None, open_states=OPEN_STATES, tz=HANOI
    )
    assert every.statuses is None and every.matches_any
    nothing = CaseQuery.of(CaseFilter(), unit_keys=frozenset(), open_states=OPEN_STATES, tz=HANOI)
    assert not nothing.matches_any
    unknown = CaseQuery.of(CaseFilter(state="x"), unit_keys=None, open_states=OPEN_STATES, tz=HANOI)
    assert not unknown.matches_any


def test_a_name_typed_like_a_formula_stays_text_in_both_files() -> None:
    rows = [
        ("NT-1", '=HYPERLINK("http://x")', "Cá nhân", "P", "S", date(2024, 1, 2), date(2024, 1, 3))
    ]

    xlsx = load_workbook(io.BytesIO(queue_xlsx(rows, text=str, sheet_title="Hồ sơ"))).active
    csv = queue_csv(rows, text=str).decode("utf-8-sig")

    assert xlsx is not None
    cell = xlsx["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x")'
    assert xlsx["F2"].number_format == "DD/MM/YYYY"
    assert "'=HYPERLINK" in csv and "02/01/2024" in csv
