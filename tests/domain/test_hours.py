"""``BusinessHours``: a weekly schedule in Mexico City wall-clock time, Mexico's official
holidays and extra closed dates; ``is_open``, ``next_opening``, ``open_seconds`` and the
checks of ``from_json``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from cdmx.domain.hours import DAYS, BusinessHours, HoursError

ZONE = ZoneInfo("America/Mexico_City")
HOUR = 3600.0

# March 2026: Friday the 6th, Saturday the 7th, Monday the 9th (an ordinary Monday),
# Saturday the 14th, Monday the 16th (Benito Juárez's birthday), Tuesday the 17th.
FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)
ORDINARY_MONDAY = date(2026, 3, 9)
HOLIDAY_MONDAY = date(2026, 3, 16)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def hours_json(
    holidays_country: str | None = None, closed_dates: list[str] | None = None, **days: Any
) -> dict[str, Any]:
    """An ``hours`` object: the given days' ranges, every other day closed."""
    value: dict[str, Any] = {"weekly": {day: days.get(day, []) for day in DAYS}}
    value["holidays"] = holidays_country
    if closed_dates is not None:
        value["closed_dates"] = closed_dates
    return value


def schedule(
    holidays_country: str | None = None, closed_dates: list[str] | None = None, **days: Any
) -> BusinessHours:
    return BusinessHours.from_json(hours_json(holidays_country, closed_dates, **days))


NINE_TO_SIX = [["09:00", "18:00"]]


def weekdays_nine_to_six(holidays_country: str | None = "MX") -> BusinessHours:
    weekdays = {day: NINE_TO_SIX for day in ("mon", "tue", "wed", "thu", "fri")}
    return schedule(holidays_country, **weekdays)


def friday_night_shift(closed_dates: list[str] | None = None) -> BusinessHours:
    return schedule(None, closed_dates, fri=[["22:00", "02:00"]])


# --- the JSON form -------------------------------------------------------------------------


def test_no_hours_means_always_open() -> None:
    always = BusinessHours.from_json(None)
    assert always.always_open
    assert always.to_json() is None
    for moment in (local(SATURDAY, 3), local(HOLIDAY_MONDAY, 12), local(date(2026, 12, 25), 0)):
        assert always.is_open(moment, ZONE)


def test_to_json_gives_the_canonical_form_and_round_trips() -> None:
    value = {
        "weekly": {
            "tue": [["16:00", "19:00"], ["09:00", "14:00"]],
            "mon": [["09:00", "18:00"]],
            "fri": [["22:00", "02:00"]],
            "sat": [["10:00", "24:00"]],
        },
        "holidays": "mx",
        "closed_dates": ["2026-12-31", "2026-12-24"],
    }
    canonical = BusinessHours.from_json(value).to_json()
    assert canonical == {
        "weekly": {
            "mon": [["09:00", "18:00"]],
            "tue": [["09:00", "14:00"], ["16:00", "19:00"]],
            "wed": [],
            "thu": [],
            "fri": [["22:00", "02:00"]],
            "sat": [["10:00", "24:00"]],
            "sun": [],
        },
        "holidays": "MX",
        "closed_dates": ["2026-12-24", "2026-12-31"],
    }
    assert BusinessHours.from_json(canonical).to_json() == canonical
    assert BusinessHours.from_json(canonical) == BusinessHours.from_json(value)


# --- is_open -------------------------------------------------------------------------------


def test_a_weekday_range_opens_at_its_start_and_closes_at_its_end() -> None:
    hours = weekdays_nine_to_six()
    assert hours.is_open(local(ORDINARY_MONDAY, 9), ZONE)
    assert hours.is_open(local(ORDINARY_MONDAY, 17, 59), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY, 18), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY, 8, 59), ZONE)


def test_is_open_reads_the_moment_in_the_business_zone_whatever_its_offset() -> None:
    hours = weekdays_nine_to_six()
    nine_local_in_utc = local(ORDINARY_MONDAY, 9).astimezone(ZoneInfo("UTC"))
    assert nine_local_in_utc.hour == 15
    assert hours.is_open(nine_local_in_utc, ZONE)
    assert not hours.is_open(nine_local_in_utc - timedelta(minutes=1), ZONE)


def test_several_ranges_a_day_leave_the_gap_between_them_closed() -> None:
    hours = schedule(mon=[["09:00", "14:00"], ["16:00", "19:00"]])
    assert hours.is_open(local(ORDINARY_MONDAY, 13, 59), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY, 14), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY, 15), ZONE)
    assert hours.is_open(local(ORDINARY_MONDAY, 16), ZONE)
    assert hours.is_open(local(ORDINARY_MONDAY, 18, 59), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY, 19), ZONE)


def test_a_range_past_midnight_runs_into_the_next_mornings_early_hours() -> None:
    hours = friday_night_shift()
    assert not hours.is_open(local(FRIDAY, 21, 59), ZONE)
    assert hours.is_open(local(FRIDAY, 22), ZONE)
    assert hours.is_open(local(SATURDAY, 0), ZONE)
    assert hours.is_open(local(SATURDAY, 1, 30), ZONE)
    assert not hours.is_open(local(SATURDAY, 2), ZONE)
    assert not hours.is_open(local(SATURDAY, 22), ZONE)


def test_a_range_past_midnight_still_runs_when_the_next_day_is_closed() -> None:
    hours = friday_night_shift(closed_dates=[SATURDAY.isoformat()])
    assert hours.is_closed_day(SATURDAY)
    assert hours.is_open(local(SATURDAY, 1, 30), ZONE)
    assert not hours.is_open(local(SATURDAY, 2), ZONE)


def test_a_range_past_midnight_does_not_run_when_the_day_it_starts_on_is_closed() -> None:
    hours = friday_night_shift(closed_dates=[FRIDAY.isoformat()])
    assert not hours.is_open(local(FRIDAY, 23), ZONE)
    assert not hours.is_open(local(SATURDAY, 1, 30), ZONE)


def test_a_range_ending_at_24_00_is_open_until_midnight() -> None:
    hours = schedule(mon=[["20:00", "24:00"]])
    assert hours.is_open(local(ORDINARY_MONDAY, 23, 59), ZONE)
    assert not hours.is_open(local(ORDINARY_MONDAY + timedelta(days=1), 0), ZONE)


@pytest.mark.parametrize(
    "holiday",
    [
        pytest.param(date(2026, 2, 2), id="constitution-day-first-monday-of-february"),
        pytest.param(date(2026, 3, 16), id="benito-juarez-third-monday-of-march"),
        pytest.param(date(2026, 11, 16), id="revolution-day-third-monday-of-november"),
        pytest.param(date(2026, 12, 25), id="christmas-day"),
    ],
)
def test_mexicos_official_holidays_close_a_day_the_weekly_schedule_opens(holiday: date) -> None:
    assert holiday.weekday() < 5  # the weekly schedule alone would open it
    assert weekdays_nine_to_six(holidays_country=None).is_open(local(holiday, 12), ZONE)
    hours = weekdays_nine_to_six(holidays_country="MX")
    assert hours.is_closed_day(holiday)
    assert not hours.is_open(local(holiday, 12), ZONE)


def test_an_ordinary_monday_is_open_with_mexican_holidays() -> None:
    hours = weekdays_nine_to_six(holidays_country="MX")
    assert not hours.is_closed_day(ORDINARY_MONDAY)
    assert hours.is_open(local(ORDINARY_MONDAY, 12), ZONE)


def test_without_a_holiday_calendar_a_holiday_is_an_ordinary_day() -> None:
    hours = weekdays_nine_to_six(holidays_country=None)
    assert not hours.is_closed_day(HOLIDAY_MONDAY)
    assert hours.is_open(local(HOLIDAY_MONDAY, 12), ZONE)


def test_extra_closed_dates_close_that_day_only() -> None:
    hours = schedule(None, ["2026-12-24"], thu=NINE_TO_SIX)
    christmas_eve, new_years_eve = date(2026, 12, 24), date(2026, 12, 31)
    assert christmas_eve.weekday() == new_years_eve.weekday() == 3
    assert not hours.is_open(local(christmas_eve, 12), ZONE)
    assert hours.is_open(local(new_years_eve, 12), ZONE)


def test_a_day_with_no_ranges_is_closed_all_day() -> None:
    hours = schedule(sat=[["10:00", "14:00"]], sun=[])
    sunday = SATURDAY + timedelta(days=1)
    assert hours.is_open(local(SATURDAY, 12), ZONE)
    for hour in range(24):
        assert not hours.is_open(local(sunday, hour), ZONE)


def test_every_day_of_2026_at_noon_is_open_exactly_on_weekdays_that_are_not_holidays() -> None:
    hours = weekdays_nine_to_six(holidays_country="MX")
    mexican_holidays = holidays.country_holidays("MX", years=2026)
    day, open_days = date(2026, 1, 1), 0
    while day.year == 2026:
        noon = local(day, 12)
        assert noon.utcoffset() == timedelta(hours=-6), day  # no daylight saving time
        expected = day.weekday() < 5 and day not in mexican_holidays
        assert hours.is_open(noon, ZONE) is expected, day
        open_days += expected
        day += timedelta(days=1)
    weekday_holidays = sum(1 for holiday in mexican_holidays if holiday.weekday() < 5)
    assert open_days == 261 - weekday_holidays  # 2026 has 261 weekdays


# --- next_opening --------------------------------------------------------------------------


def test_next_opening_from_saturday_afternoon_is_monday_at_nine() -> None:
    hours = weekdays_nine_to_six()
    opening = hours.next_opening(local(SATURDAY, 15), ZONE)
    assert opening == local(ORDINARY_MONDAY, 9)


def test_next_opening_from_monday_evening_is_tuesday_at_nine() -> None:
    hours = weekdays_nine_to_six()
    opening = hours.next_opening(local(ORDINARY_MONDAY, 18), ZONE)
    assert opening == local(ORDINARY_MONDAY + timedelta(days=1), 9)


def test_next_opening_while_open_is_the_moment_itself() -> None:
    hours = weekdays_nine_to_six()
    moment = local(ORDINARY_MONDAY, 10, 17)
    assert hours.next_opening(moment, ZONE) == moment


def test_next_opening_skips_a_holiday_monday_to_the_tuesday() -> None:
    hours = weekdays_nine_to_six(holidays_country="MX")
    opening = hours.next_opening(local(HOLIDAY_MONDAY - timedelta(days=2), 15), ZONE)
    assert opening == local(HOLIDAY_MONDAY + timedelta(days=1), 9)


def test_next_opening_of_an_empty_weekly_schedule_is_none() -> None:
    assert schedule().next_opening(local(ORDINARY_MONDAY, 12), ZONE) is None


# --- open_seconds --------------------------------------------------------------------------


def test_open_seconds_inside_one_day_counts_only_the_open_part() -> None:
    hours = weekdays_nine_to_six()
    assert hours.open_seconds(local(ORDINARY_MONDAY, 10), local(ORDINARY_MONDAY, 12), ZONE) == (
        2 * HOUR
    )
    assert hours.open_seconds(local(ORDINARY_MONDAY, 7), local(ORDINARY_MONDAY, 20), ZONE) == (
        9 * HOUR
    )


def test_open_seconds_across_a_night_leaves_out_the_closed_hours() -> None:
    hours = weekdays_nine_to_six()
    tuesday = ORDINARY_MONDAY + timedelta(days=1)
    seconds = hours.open_seconds(local(ORDINARY_MONDAY, 17), local(tuesday, 10), ZONE)
    assert seconds == 2 * HOUR


def test_open_seconds_counts_a_range_past_midnight_on_both_sides() -> None:
    hours = friday_night_shift()
    seconds = hours.open_seconds(local(FRIDAY, 23), local(SATURDAY, 12), ZONE)
    assert seconds == 3 * HOUR


def test_open_seconds_from_inside_a_range_that_began_the_day_before_counts_its_tail() -> None:
    hours = friday_night_shift()
    seconds = hours.open_seconds(local(SATURDAY, 1), local(SATURDAY, 12), ZONE)
    assert seconds == 1 * HOUR


def test_open_seconds_across_a_weekend_counts_only_friday_and_monday() -> None:
    hours = weekdays_nine_to_six()
    seconds = hours.open_seconds(local(FRIDAY, 17), local(ORDINARY_MONDAY, 10), ZONE)
    assert seconds == 2 * HOUR


def test_open_seconds_across_a_holiday_leaves_the_holiday_out() -> None:
    hours = weekdays_nine_to_six(holidays_country="MX")
    friday, tuesday = HOLIDAY_MONDAY - timedelta(days=3), HOLIDAY_MONDAY + timedelta(days=1)
    assert hours.open_seconds(local(friday, 17), local(tuesday, 10), ZONE) == 2 * HOUR
    no_calendar = weekdays_nine_to_six(holidays_country=None)
    assert no_calendar.open_seconds(local(friday, 17), local(tuesday, 10), ZONE) == 11 * HOUR


def test_open_seconds_leaves_out_an_extra_closed_date_but_not_the_days_around_it() -> None:
    weekdays = {day: NINE_TO_SIX for day in ("mon", "tue", "wed", "thu", "fri")}
    tuesday = ORDINARY_MONDAY + timedelta(days=1)
    wednesday = tuesday + timedelta(days=1)
    hours = schedule(None, [tuesday.isoformat()], **weekdays)
    # Monday 17:00–18:00, Tuesday closed, Wednesday 09:00–10:30: 2.5 h.
    assert hours.open_seconds(local(ORDINARY_MONDAY, 17), local(wednesday, 10, 30), ZONE) == (
        2.5 * HOUR
    )
    # Inside the closed date alone: nothing.
    assert hours.open_seconds(local(tuesday, 9), local(tuesday, 18), ZONE) == 0.0


def test_open_seconds_keeps_the_seconds_of_instants_given_in_utc() -> None:
    hours = weekdays_nine_to_six()
    start = local(ORDINARY_MONDAY, 17, 59).astimezone(UTC) + timedelta(seconds=15)
    end = local(ORDINARY_MONDAY + timedelta(days=1), 9, 0).astimezone(UTC) + timedelta(seconds=20)
    assert hours.open_seconds(start, end, ZONE) == 45 + 20


def test_open_seconds_of_always_open_hours_counts_everything() -> None:
    start = local(SATURDAY, 3, 15)
    end = start + timedelta(days=2, hours=5, seconds=7)
    assert BusinessHours.from_json(None).open_seconds(start, end, ZONE) == (
        (end - start).total_seconds()
    )


def test_open_seconds_is_zero_when_the_end_is_not_after_the_start() -> None:
    hours = weekdays_nine_to_six()
    start, end = local(ORDINARY_MONDAY, 12), local(ORDINARY_MONDAY, 10)
    assert hours.open_seconds(start, end, ZONE) == 0.0
    assert hours.open_seconds(start, start, ZONE) == 0.0
    assert BusinessHours.from_json(None).open_seconds(start, end, ZONE) == 0.0


# --- from_json errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field"),
    [
        pytest.param(hours_json(mon=[["9:00", "18:00"]]), "hours.weekly.mon[0]", id="time-9:00"),
        pytest.param(hours_json(tue=[["09:00", "25:00"]]), "hours.weekly.tue[0]", id="time-25:00"),
        pytest.param(
            hours_json(wed=[["09:00", "18:00"], ["10:00", "10:00"]]),
            "hours.weekly.wed[1]",
            id="start-equals-end",
        ),
        pytest.param({"weekly": {"monday": NINE_TO_SIX}}, "hours.weekly", id="unknown-day-monday"),
        pytest.param(
            {**hours_json(), "timezone": "America/Mexico_City"}, "timezone", id="unknown-field"
        ),
        pytest.param(hours_json(holidays_country="XX"), "hours.holidays", id="unknown-country"),
        pytest.param(
            hours_json(closed_dates=["2026-02-30"]), "hours.closed_dates", id="bad-closed-date"
        ),
    ],
)
def test_from_json_rejects_a_malformed_field_and_names_it(value: Any, field: str) -> None:
    with pytest.raises(HoursError) as raised:
        BusinessHours.from_json(value)
    assert field in str(raised.value)


def test_the_error_messages_name_the_offending_value() -> None:
    with pytest.raises(HoursError, match="'25:00'"):
        BusinessHours.from_json(hours_json(mon=[["09:00", "25:00"]]))
    with pytest.raises(HoursError, match="'XX'"):
        BusinessHours.from_json(hours_json(holidays_country="XX"))
    with pytest.raises(HoursError, match="'2026-02-30'"):
        BusinessHours.from_json(hours_json(closed_dates=["2026-02-30"]))


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"weekly": {"mon": [["09:00", "18:00"], ["10:00", "12:00"]]}}, "hours.weekly.mon"),
        ({"weekly": {"mon": [["22:00", "08:00"]], "tue": [["07:00", "12:00"]]}}, "hours.weekly"),
        ({"weekly": {"sun": [["22:00", "08:00"]], "mon": [["07:00", "12:00"]]}}, "hours.weekly"),
        ({"weekly": {"mon": [["09:00\n", "18:00"]]}}, "hours.weekly.mon[0]"),
        ({"weekly": {"mon": 0}}, "hours.weekly.mon"),
        ({"weekly": {}, "closed_dates": 5}, "hours.closed_dates"),
        ({"weekly": {}, "closed_dates": "2026-12-24"}, "hours.closed_dates"),
        ({"weekly": {}, "closed_dates": ["20261224"]}, "hours.closed_dates"),
        ({"weekly": {}, "closed_dates": ["2026-W52-4"]}, "hours.closed_dates"),
    ],
    ids=[
        "overlap-in-a-day",
        "night-overlaps-next-morning",
        "sunday-night-overlaps-monday",
        "trailing-newline",
        "day-not-a-list",
        "dates-not-a-list",
        "dates-a-string",
        "compact-date",
        "week-date",
    ],
)
def test_overlaps_and_loose_forms_are_refused_as_hours_errors(value: Any, field: str) -> None:
    """An overlap would count its time twice in open_seconds; the rest would be read as
    something other than what was meant."""
    with pytest.raises(HoursError) as refused:
        BusinessHours.from_json(value)
    assert field in str(refused.value)


def test_the_closed_message_goes_once_per_closed_period() -> None:
    weekdays = BusinessHours.from_json(
        hours_json(**{day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
    )
    friday_night, saturday = local(FRIDAY, 20), local(SATURDAY, 11)
    monday_night = local(ORDINARY_MONDAY, 19)
    # Open: never. Closed and never told: yes.
    assert not weekdays.closed_notice_due(local(FRIDAY, 10), None, ZONE)
    assert weekdays.closed_notice_due(friday_night, None, ZONE)
    # The whole weekend is one closed period (it ends Monday at 9:00): told once.
    assert not weekdays.closed_notice_due(saturday, friday_night, ZONE)
    # Monday night is the next period: told again.
    assert weekdays.closed_notice_due(monday_night, saturday, ZONE)
    # A notice sent while open (the hours changed since) does not count.
    assert weekdays.closed_notice_due(friday_night, local(FRIDAY, 10), ZONE)


def test_a_queue_that_never_opens_sends_its_closed_message_once() -> None:
    never = BusinessHours.from_json(hours_json())
    first = local(FRIDAY, 10)
    assert never.closed_notice_due(first, None, ZONE)
    assert not never.closed_notice_due(first + timedelta(days=30), first, ZONE)
    assert not BusinessHours().closed_notice_due(first, None, ZONE)  # always open
