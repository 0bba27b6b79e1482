"""The broadcast domain: audiences, quiet hours, texts and campaigns."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.plans import DEMO_PLAN, read_plan_file
from core.broadcasts import (
    MAX_CAPTION,
    MAX_TEXT,
    Audience,
    AudienceError,
    AudienceKind,
    AudiencePart,
    CampaignError,
    EmptyMessageError,
    QuietHours,
    check_text,
    new_campaign,
    resolve_audience,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours(time(21, 0), time(7, 0), HANOI)
ORGANISATION = read_plan_file(DEMO_PLAN).organisation


def test_an_audience_spec_reads_back_to_itself() -> None:
    audience = Audience.parse("all, ward:phuong-hang-bac,ward:phuong-hang-bac,cluster:cum-1")
    assert audience.parts == (
        AudiencePart(AudienceKind.SUBSCRIBERS),
        AudiencePart(AudienceKind.WARD, "phuong-hang-bac"),
        AudiencePart(AudienceKind.CLUSTER, "cum-1"),
    )
    assert Audience.parse(audience.spec()) == audience


@pytest.mark.parametrize("spec", ["", "everyone", "ward", "all:x", "ward:", "street:hang bac"])
def test_a_malformed_audience_is_refused(spec: str) -> None:
    with pytest.raises(AudienceError):
        Audience.parse(spec)


def test_names_typed_loosely_resolve_to_keys() -> None:
    assert ORGANISATION is not None
    audience = resolve_audience("ward:hang bac, officers:Phường Hàng Đào", ORGANISATION)
    assert [part.spec() for part in audience.parts] == [
        "ward:phuong-hang-bac",
        "officers:phuong-hang-dao",
    ]
    with pytest.raises(AudienceError, match="nowhere"):
        resolve_audience("ward:nowhere", ORGANISATION)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(20, 59), False),
        (time(21, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(6, 59), True),
        (time(7, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_span_midnight(local: time, quiet: bool) -> None:
    moment = datetime.combine(date(2026, 11, 27), local, tzinfo=HANOI)
    assert QUIET.contains(moment) is quiet


def test_the_quiet_hours_end_next_morning_at_seven_hanoi_time() -> None:
    evening = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 22:30 in Hà Nội
    assert QUIET.next_end(evening) == datetime(2026, 11, 28, 7, 0, tzinfo=HANOI)
    noon = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert QUIET.next_end(noon) == noon
    assert not QuietHours(time(0), time(0), HANOI).contains(evening)  # switched off


def test_texts_within_telegrams_limits() -> None:
    assert check_text("  Xin chào  ", with_photo=False) == "Xin chào"
    assert check_text("", with_photo=True) == ""  # a photo alone is an announcement
    with pytest.raises(EmptyMessageError):
        check_text("   ", with_photo=False)
    with pytest.raises(EmptyMessageError):
        check_text("a" * (MAX_TEXT + 1), with_photo=False)
    with pytest.raises(EmptyMessageError):
        check_text("a" * (MAX_CAPTION + 1), with_photo=True)


def test_a_campaign_gets_a_unique_short_key() -> None:
    assert ORGANISATION is not None
    first = new_campaign(
        ORGANISATION,
        title="Mùa đông ấm 2026",
        theme="",
        description="Áo ấm",
        starts=date(2026, 12, 1),
        ends=None,
    )
    assert first.key == "mua-dong-am-2026" and first.theme == "Mùa đông ấm 2026"
    taken = ORGANISATION.__class__(
        council=ORGANISATION.council,
        units=ORGANISATION.units,
        clusters=ORGANISATION.clusters,
        campaigns=(*ORGANISATION.campaigns, first),
    )
    second = new_campaign(
        taken,
        title="Mùa đông ấm 2026",
        theme="x",
        description="y",
        starts=date(2026, 12, 1),
        ends=date(2027, 2, 1),
    )
    assert second.key == "mua-dong-am-2026-2"
    assert len(f"sub:0:campaign:{second.key}".encode()) <= 64  # fits a button
    with pytest.raises(CampaignError):
        new_campaign(
            ORGANISATION, title=" ", theme="", description="", starts=date(2026, 1, 1), ends=None
        )
    with pytest.raises(CampaignError):
        new_campaign(
            ORGANISATION,
            title="T",
            theme="",
            description="",
            starts=date(2026, 2, 1),
            ends=date(2026, 1, 1),
        )
