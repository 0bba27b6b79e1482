"""When what the bot keeps for its own work goes: the pure rules of core.retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.dialog import Dialog
from core.retention import DraftAction, DraftFate, RetentionPolicy, draft_notice_key

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
POLICY = RetentionPolicy(draft_days=30, timezone=HANOI, run_time=time(9, 0))


def hanoi(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HANOI)


def test_cutoffs_count_back_from_now() -> None:
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    policy = RetentionPolicy(
        updates=timedelta(days=30), dead_letters=timedelta(days=90), sent=timedelta(days=7)
    )
    assert policy.updates_processed_before(now) == datetime(2026, 10, 27, 2, 0, tzinfo=UTC)
    assert policy.dead_letters_set_aside_before(now) == datetime(2026, 8, 28, 2, 0, tzinfo=UTC)
    assert policy.sent_before(now) == datetime(2026, 11, 19, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_step", "deletion_day"),
    [
        # Thirty days later falls before the day's run: deleted at that run.
        (hanoi(date(2026, 3, 1), 8, 59), date(2026, 3, 31)),
        (hanoi(date(2026, 3, 1), 9, 0), date(2026, 3, 31)),
        # After it: deleted at the next day's run, so never before thirty days.
        (hanoi(date(2026, 3, 1), 9, 1), date(2026, 4, 1)),
        (hanoi(date(2026, 3, 1), 23, 59), date(2026, 4, 1)),
    ],
)
def test_a_draft_goes_at_the_first_run_thirty_days_after_its_last_step(
    last_step: datetime, deletion_day: date
) -> None:
    assert POLICY.deletion_day(last_step) == deletion_day


def _fates(last_step: datetime, days: int, notice_on: date | None = None) -> list[DraftFate]:
    """What the daily 09:00 run does to a draft on each day, the notice queued when due."""
    fates = []
    noticed_at: datetime | None = None
    for n in range(days):
        run = hanoi(last_step.astimezone(HANOI).date() + timedelta(days=n + 1), 9)
        if notice_on is not None and run.date() < notice_on:
            fates.append(DraftFate(DraftAction.KEEP))
            continue  # the bot was stopped until then
        fate = POLICY.draft_fate(last_step, run, noticed=True, noticed_at=noticed_at)
        if fate.action is DraftAction.NOTICE:
            noticed_at = run
        fates.append(fate)
    return fates


def test_a_draft_is_announced_the_day_before_and_deleted_on_the_day_named() -> None:
    fates = _fates(hanoi(date(2026, 3, 1), 15, 30), 35)
    actions = [fate.action for fate in fates]
    # Runs of 02/03 ... 05/04: notice at the run of 31/03, deletion at the run of 01/04.
    assert actions.index(DraftAction.NOTICE) == 29
    assert fates[29] == DraftFate(DraftAction.NOTICE, date(2026, 4, 1))
    assert actions.count(DraftAction.NOTICE) == 1
    assert actions.index(DraftAction.DELETE) == 30
    assert fates[30].day == date(2026, 4, 1)
    assert set(actions[:29]) == {DraftAction.KEEP}


def test_a_notice_that_could_only_go_late_names_the_next_day_and_is_kept_to() -> None:
    # The bot was stopped from 30/03 to 02/04: the notice goes on 03/04 and names 04/04.
    fates = _fates(hanoi(date(2026, 3, 1), 15, 30), 35, notice_on=date(2026, 4, 3))
    actions = [fate.action for fate in fates]
    notice = actions.index(DraftAction.NOTICE)
    assert fates[notice] == DraftFate(DraftAction.NOTICE, date(2026, 4, 4))
    assert actions[notice + 1] is DraftAction.DELETE and fates[notice + 1].day == date(2026, 4, 4)


def test_a_run_before_the_run_time_on_the_named_day_does_not_delete_early() -> None:
    last_step = hanoi(date(2026, 3, 1), 8, 30)  # thirty days later: 31/03 08:30
    noticed_at = hanoi(date(2026, 3, 30), 9)
    early = POLICY.draft_fate(
        last_step, hanoi(date(2026, 3, 31), 8), noticed=True, noticed_at=noticed_at
    )
    on_time = POLICY.draft_fate(
        last_step, hanoi(date(2026, 3, 31), 9), noticed=True, noticed_at=noticed_at
    )
    assert early.action is DraftAction.KEEP
    assert on_time == DraftFate(DraftAction.DELETE, date(2026, 3, 31))


def test_a_dialog_without_a_notice_goes_once_its_days_are_over() -> None:
    last_step = hanoi(date(2026, 3, 1), 15, 30)
    just_before = last_step + timedelta(days=30) - timedelta(seconds=1)
    after = last_step + timedelta(days=30)
    assert POLICY.draft_fate(last_step, just_before, noticed=False).action is DraftAction.KEEP
    assert POLICY.draft_fate(last_step, after, noticed=False).action is DraftAction.DELETE


@pytest.mark.parametrize("hour", [0, 8, 9, 12, 23])
def test_every_dialog_the_purge_may_act_on_is_idle_since_before_the_bound(hour: int) -> None:
    now = hanoi(date(2026, 6, 15), hour)
    bound = POLICY.drafts_idle_before(now)
    for minutes in range(0, 40 * 24 * 60, 7):
        last_step = now - timedelta(minutes=minutes)
        acted = {
            POLICY.draft_fate(last_step, now, noticed=True).action,
            POLICY.draft_fate(last_step, now, noticed=False).action,
        } != {DraftAction.KEEP}
        if acted:
            assert last_step < bound, (last_step, bound)
    # And the bound is tight enough: a draft a day from its notice is not read.
    assert bound <= now - timedelta(days=28)


def test_the_notice_claim_names_the_chat_and_the_last_step() -> None:
    dialog = Dialog(42, 42, "n", "name", {}, 3, hanoi(date(2026, 3, 1), 15, 30))
    assert draft_notice_key(dialog) == "draft-deletion:42:2026-03-01T08:30:00+00:00"
    dialog.move_to("deed", hanoi(date(2026, 3, 2), 10))
    assert draft_notice_key(dialog) == "draft-deletion:42:2026-03-02T03:00:00+00:00"


def test_a_policy_refuses_drafts_kept_too_short_to_be_announced() -> None:
    with pytest.raises(ValueError, match="at least 2 days"):
        RetentionPolicy(draft_days=1)
    with pytest.raises(ValueError, match="at least one row"):
        RetentionPolicy(batch_size=0)
