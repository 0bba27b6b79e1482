"""Vietnam's working calendar: weekends, public holidays of 2018, swapped days, shifts."""

import subprocess
import sys
from datetime import date, timedelta

import holidays
import pytest

from core.calendar import CalendarConfig, CalendarError, Shift, WorkingCalendar, _vietnam
from tests.unit.reasons import words

# The Prime Minister's decision for Tết Mậu Tuất: 29 Tết (14/02/2018) to mùng 5 (20/02/2018).
# Configured explicitly, as a deployment with an older `holidays` release must do.
TET_2018 = frozenset(date(2018, 2, 14) + timedelta(days=i) for i in range(7))


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_weekdays_are_working_days_and_weekends_are_not(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2018, 1, 5))  # Friday
    assert not calendar.is_working_day(date(2018, 1, 6))
    assert not calendar.is_working_day(date(2018, 1, 7))
    assert calendar.is_working_day(date(2018, 1, 8))  # Monday
    assert calendar.holiday_name(date(2018, 1, 6)) == "Thứ Bảy"
    assert calendar.holiday_name(date(2018, 1, 7)) == "Chủ nhật"
    assert calendar.holiday_name(date(2018, 1, 5)) is None


def test_new_year_day_2018_is_off(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2018, 1, 1))
    assert calendar.holiday_name(date(2018, 1, 1)) == "Tết Dương lịch"


def test_national_day_2018_falls_on_sunday_and_is_observed_on_monday(
    calendar: WorkingCalendar,
) -> None:
    assert date(2018, 9, 2).weekday() == 6
    assert calendar.holiday_name(date(2018, 9, 2)) == "Quốc khánh"
    observed = calendar.holiday_name(date(2018, 9, 3))
    assert observed is not None and observed.startswith("Quốc khánh")
    assert not calendar.is_working_day(date(2018, 9, 3))
    assert calendar.is_working_day(date(2018, 9, 4))


def test_reunification_and_labour_day_2018_are_off(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2018, 4, 27))  # Friday before
    for day in (date(2018, 4, 28), date(2018, 4, 29), date(2018, 4, 30), date(2018, 5, 1)):
        assert not calendar.is_working_day(day), day
    assert calendar.is_working_day(date(2018, 5, 2))
    assert calendar.holiday_name(date(2018, 5, 1)) == "Ngày Quốc tế Lao động"


def test_hung_kings_day_2018_is_the_tenth_of_the_third_lunar_month(
    calendar: WorkingCalendar,
) -> None:
    name = calendar.holiday_name(date(2018, 4, 25))
    assert name is not None and "Hùng Vương" in name
    assert not calendar.is_working_day(date(2018, 4, 25))
    assert calendar.is_working_day(date(2018, 4, 24))


def test_lunar_new_year_day_2018_is_off_without_configuration(calendar: WorkingCalendar) -> None:
    # Mùng 1 Tết Mậu Tuất; every supported release of `holidays` knows it.
    assert not calendar.is_working_day(date(2018, 2, 16))
    assert calendar.holiday_name(date(2018, 2, 16)) == "Tết Nguyên Đán"


def test_configured_tet_2018_is_off_from_14_to_20_february() -> None:
    calendar = WorkingCalendar(CalendarConfig(extra_days_off=TET_2018))
    assert calendar.is_working_day(date(2018, 2, 13))
    assert [calendar.is_working_day(day) for day in sorted(TET_2018)] == [False] * 7
    assert calendar.is_working_day(date(2018, 2, 21))
    # The package's own names are kept for the days it knows.
    assert calendar.holiday_name(date(2018, 2, 16)) == "Tết Nguyên Đán"


def test_installed_holidays_package_lists_the_whole_tet_2018_decision(
    calendar: WorkingCalendar,
) -> None:
    # With holidays 0.109 no configuration is needed for 2018; see core.calendar's notes.
    assert [calendar.is_working_day(day) for day in sorted(TET_2018)] == [False] * 7


def test_substituted_day_off_at_the_end_of_2018_and_its_worked_saturday(
    calendar: WorkingCalendar,
) -> None:
    assert not calendar.is_working_day(date(2018, 12, 31))
    assert calendar.is_working_day(date(2019, 1, 5))  # the Saturday that paid it back
    assert calendar.holiday_name(date(2019, 1, 5)) is None


def test_configured_swap_makes_a_saturday_work_and_a_weekday_rest() -> None:
    calendar = WorkingCalendar(
        CalendarConfig(
            extra_days_off=frozenset({date(2018, 5, 2), date(2018, 5, 3)}),
            extra_working_days=frozenset({date(2018, 5, 5)}),
            labels={date(2018, 5, 3): "Nghỉ hoán đổi"},
        )
    )
    assert not calendar.is_working_day(date(2018, 5, 2))
    assert calendar.holiday_name(date(2018, 5, 2)) == "Nghỉ bù"
    assert calendar.holiday_name(date(2018, 5, 3)) == "Nghỉ hoán đổi"
    assert calendar.is_working_day(date(2018, 5, 5))
    assert calendar.holiday_name(date(2018, 5, 5)) is None


def test_configured_working_day_overrides_a_public_holiday() -> None:
    calendar = WorkingCalendar(CalendarConfig(extra_working_days=frozenset({date(2018, 4, 30)})))
    assert calendar.is_working_day(date(2018, 4, 30))


def test_a_day_both_off_and_worked_is_rejected() -> None:
    with pytest.raises(CalendarError, match="05/05/2018"):
        CalendarConfig(
            extra_days_off=frozenset({date(2018, 5, 5)}),
            extra_working_days=frozenset({date(2018, 5, 5)}),
        )


def test_next_and_previous_working_day_keep_a_working_day(calendar: WorkingCalendar) -> None:
    assert calendar.next_working_day(date(2018, 3, 14)) == date(2018, 3, 14)
    assert calendar.previous_working_day(date(2018, 3, 14)) == date(2018, 3, 14)
    assert calendar.next_working_day(date(2018, 4, 28)) == date(2018, 5, 2)
    assert calendar.previous_working_day(date(2018, 5, 1)) == date(2018, 4, 27)


def test_add_working_days_jumps_over_tet() -> None:
    calendar = WorkingCalendar(CalendarConfig(extra_days_off=TET_2018))
    assert calendar.add_working_days(date(2018, 2, 13), 1) == date(2018, 2, 21)
    assert calendar.add_working_days(date(2018, 2, 21), -1) == date(2018, 2, 13)
    assert calendar.add_working_days(date(2018, 2, 28), -7) == date(2018, 2, 12)
    assert calendar.add_working_days(date(2018, 2, 16), 0) == date(2018, 2, 16)
    assert calendar.working_days_between(date(2018, 2, 13), date(2018, 2, 21)) == 1
    assert calendar.working_days_between(date(2018, 2, 21), date(2018, 2, 13)) == -1
    assert calendar.working_days_between(date(2018, 2, 14), date(2018, 2, 20)) == 0


def test_add_working_days_crosses_the_year_end(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(date(2018, 12, 28), 1) == date(2019, 1, 2)
    assert calendar.add_working_days(date(2019, 1, 2), -1) == date(2018, 12, 28)


def test_add_and_count_working_days_agree_around_the_holidays(
    calendar: WorkingCalendar,
) -> None:
    start = date(2018, 1, 1)
    for offset in range(0, 365, 5):
        day = start + timedelta(days=offset)
        for n in (-7, -3, -1, 1, 3, 5):
            moved = calendar.add_working_days(day, n)
            assert calendar.is_working_day(moved)
            if n > 0 or calendar.is_working_day(day):
                assert calendar.working_days_between(day, moved) == n, (day, n)
            else:  # from a day off, the first step back lands on the first working day
                assert calendar.working_days_between(day, moved) == n + 1, (day, n)


def test_deadline_on_a_working_day_does_not_move(calendar: WorkingCalendar) -> None:
    assert calendar.shift_deadline(date(2018, 3, 14)) == Shift(date(2018, 3, 14), None)


def test_deadline_on_reunification_day_moves_after_labour_day(calendar: WorkingCalendar) -> None:
    shift = calendar.shift_deadline(date(2018, 4, 30))
    name = calendar.holiday_name(date(2018, 4, 30))
    assert shift.day == date(2018, 5, 2)
    labour_day = calendar.holiday_name(date(2018, 5, 1))
    assert words(shift.reason) == (
        f"30/04/2018 và 01/05/2018 là ngày nghỉ ({name}, {labour_day}); hạn chuyển sang 02/05/2018"
    )
    assert words(shift.reason, "en") == (
        "30/04/2018 and 01/05/2018 are days off (Liberation Day/Reunification Day, International"
        " Labor Day); the deadline moves to 02/05/2018"
    )


def test_deadline_on_national_day_2018_moves_to_tuesday(calendar: WorkingCalendar) -> None:
    shift = calendar.shift_deadline(date(2018, 9, 2))
    assert shift.day == date(2018, 9, 4)
    assert words(shift.reason) == (
        "02/09/2018 và 03/09/2018 là ngày nghỉ (Quốc khánh, Quốc khánh (nghỉ bù));"
        " hạn chuyển sang 04/09/2018"
    )


def test_deadline_on_a_weekend_names_the_day(calendar: WorkingCalendar) -> None:
    shift = calendar.shift_deadline(date(2018, 1, 7))
    assert words(shift.reason) == "07/01/2018 là Chủ nhật; hạn chuyển sang 08/01/2018"
    assert words(shift.reason, "en") == "07/01/2018 is a Sunday; the deadline moves to 08/01/2018"


def test_deadline_on_the_substituted_day_off_reads_naturally(calendar: WorkingCalendar) -> None:
    shift = calendar.shift_deadline(date(2018, 12, 31))
    assert shift.day == date(2019, 1, 2)
    said = words(shift.reason)
    assert said is not None
    assert said.startswith("31/12/2018 và 01/01/2019 là ngày nghỉ (Ngày nghỉ (thay cho")
    assert said.endswith("hạn chuyển sang 02/01/2019")


def test_deadline_on_a_configured_day_off_says_so() -> None:
    calendar = WorkingCalendar(CalendarConfig(extra_days_off=frozenset({date(2018, 5, 2)})))
    shift = calendar.shift_deadline(date(2018, 5, 2))
    assert shift.day == date(2018, 5, 3)
    assert words(shift.reason) == "02/05/2018 là ngày nghỉ (Nghỉ bù); hạn chuyển sang 03/05/2018"


def test_deadline_moved_back_says_why(calendar: WorkingCalendar) -> None:
    shift = calendar.shift_deadline_back(date(2018, 9, 2))
    assert shift.day == date(2018, 8, 31)
    assert words(shift.reason) == (
        "01/09/2018 và 02/09/2018 là ngày nghỉ (Quốc khánh); hạn chuyển về 31/08/2018"
    )
    assert calendar.shift_deadline_back(date(2018, 8, 31)) == Shift(date(2018, 8, 31))


def test_vietnams_holidays_are_the_packages_without_loading_every_country() -> None:
    """Vietnam's module is loaded alone (8 MB less), and gives what the package gives."""
    probe = (
        "import sys; from datetime import date; from core.calendar import WorkingCalendar\n"
        "WorkingCalendar().public_holiday_name(date(2018, 9, 2))\n"
        "print(sum(m.startswith('holidays.countries.') for m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "0"
    for year in (2018, 2024, 2030):
        for language in ("vi", "en_US"):
            package = holidays.country_holidays("VN", years=year, language=language)
            alone = _vietnam(year, language)
            assert (
                dict(alone) == dict(package) and alone.weekend_workdays == package.weekend_workdays
            )
