"""Business hours in Mexico City: ranges, nights past midnight, holidays, closed days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from cdmx.domain.hours import BusinessHours, HoursError

CDMX = ZoneInfo("America/Mexico_City")
WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(day: date, clock: str) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime.combine(day, time(hours, minutes), CDMX)


def office(**extra: object) -> BusinessHours:
    return BusinessHours.from_json({"weekly": WEEKDAYS, "holidays": "MX", **extra})


def test_no_hours_is_always_open_and_a_schedule_round_trips() -> None:
    assert BusinessHours.from_json(None).is_open(datetime(2026, 1, 1, tzinfo=UTC), CDMX)
    schedule = {"weekly": {"mon": [["16:00", "19:00"], ["09:00", "14:00"]]}, "holidays": "mx"}
    shown = BusinessHours.from_json(schedule).to_json()
    assert shown is not None
    assert shown["weekly"]["mon"] == [["09:00", "14:00"], ["16:00", "19:00"]]
    assert shown["weekly"]["sun"] == [] and shown["holidays"] == "MX"
    assert BusinessHours.from_json(shown).to_json() == shown


def test_a_range_opens_at_its_start_and_closes_at_its_end() -> None:
    monday = date(2026, 12, 7)
    hours = office()
    assert hours.is_open(at(monday, "09:00"), CDMX)
    assert not hours.is_open(at(monday, "08:59"), CDMX)
    assert not hours.is_open(at(monday, "18:00"), CDMX)
    split = BusinessHours.from_json({"weekly": {"mon": [["09:00", "14:00"], ["16:00", "19:00"]]}})
    assert [split.is_open(at(monday, c), CDMX) for c in ("13:59", "15:00", "16:00", "19:00")] == [
        True, False, True, False,
    ]  # fmt: skip


def test_a_night_range_runs_past_midnight_and_belongs_to_the_day_it_starts() -> None:
    friday, saturday = date(2026, 12, 4), date(2026, 12, 5)
    night = {"weekly": {"fri": [["22:00", "02:00"]]}}
    hours = BusinessHours.from_json(night)
    assert hours.is_open(at(saturday, "01:30"), CDMX)
    assert not hours.is_open(at(saturday, "02:00"), CDMX)
    closed_saturday = BusinessHours.from_json({**night, "closed_dates": [saturday.isoformat()]})
    assert closed_saturday.is_open(at(saturday, "01:30"), CDMX)
    closed_friday = BusinessHours.from_json({**night, "closed_dates": [friday.isoformat()]})
    assert not closed_friday.is_open(at(saturday, "01:30"), CDMX)


def test_mexico_s_official_holidays_close_an_open_weekday() -> None:
    for holiday in (date(2026, 2, 2), date(2026, 3, 16), date(2026, 11, 16), date(2026, 12, 25)):
        assert holiday.weekday() < 5
        assert not office().is_open(at(holiday, "12:00"), CDMX), holiday
        assert BusinessHours.from_json({"weekly": WEEKDAYS}).is_open(at(holiday, "12:00"), CDMX)
    assert office().is_open(at(date(2026, 2, 9), "12:00"), CDMX)


def test_extra_closed_dates_and_empty_days_are_closed() -> None:
    eve = date(2026, 12, 24)
    assert not office(closed_dates=[eve.isoformat()]).is_open(at(eve, "12:00"), CDMX)
    assert office().is_open(at(eve, "12:00"), CDMX)
    assert not office().is_open(at(date(2026, 12, 6), "12:00"), CDMX)  # a Sunday


def test_a_whole_year_at_noon_follows_weekdays_and_the_holidays_library() -> None:
    official = holidays.country_holidays("MX", years=2026)
    hours, day = office(), date(2026, 1, 1)
    while day.year == 2026:
        noon = at(day, "12:00")
        assert noon.utcoffset() == timedelta(hours=-6)  # no daylight saving time since 2022
        assert hours.is_open(noon, CDMX) == (day.weekday() < 5 and day not in official), day
        day += timedelta(days=1)


def test_next_opening() -> None:
    hours = office()
    saturday = at(date(2026, 12, 5), "15:00")
    assert hours.next_opening(saturday, CDMX) == at(date(2026, 12, 7), "09:00")
    inside = at(date(2026, 12, 7), "10:00")
    assert hours.next_opening(inside, CDMX) == inside
    before_holiday = at(date(2026, 11, 14), "12:00")  # Monday 16 November is a holiday
    assert hours.next_opening(before_holiday, CDMX) == at(date(2026, 11, 17), "09:00")
    assert BusinessHours.from_json({"weekly": {}}).next_opening(saturday, CDMX) is None


def test_open_seconds_count_only_business_hours() -> None:
    hours, monday = office(), date(2026, 12, 7)
    assert hours.open_seconds(at(monday, "10:00"), at(monday, "11:30"), CDMX) == 5400
    overnight = hours.open_seconds(at(monday, "17:00"), at(monday + timedelta(1), "10:00"), CDMX)
    assert overnight == 2 * 3600
    weekend = hours.open_seconds(at(date(2026, 12, 4), "17:00"), at(monday, "09:30"), CDMX)
    assert weekend == 3600 + 1800
    holiday = hours.open_seconds(
        at(date(2026, 11, 13), "17:00"), at(date(2026, 11, 17), "10:00"), CDMX
    )
    assert holiday == 2 * 3600  # Friday 17–18 and Tuesday 9–10; Monday the 16th is closed
    always = BusinessHours.from_json(None)
    assert always.open_seconds(at(monday, "00:00"), at(monday, "06:00"), CDMX) == 6 * 3600
    assert hours.open_seconds(at(monday, "11:00"), at(monday, "10:00"), CDMX) == 0


@pytest.mark.parametrize(
    ("hours", "names"),
    [
        ({"weekly": {"mon": [["9:00", "18:00"]]}}, "hours.weekly.mon[0]"),
        ({"weekly": {"mon": [["09:00", "25:00"]]}}, "hours.weekly.mon[0]"),
        ({"weekly": {"tue": [["10:00", "10:00"]]}}, "hours.weekly.tue[0]"),
        ({"weekly": {"monday": []}}, "hours.weekly"),
        ({"weekly": {}, "timezone": "UTC"}, "unknown field"),
        ({"weekly": {}, "holidays": "XX"}, "hours.holidays"),
        ({"weekly": {}, "closed_dates": ["24/12/2026"]}, "hours.closed_dates"),
        ("always", "hours:"),
    ],
)
def test_a_malformed_schedule_is_refused_naming_the_part(hours: object, names: str) -> None:
    with pytest.raises(HoursError, match=names.replace("[", r"\[").replace("]", r"\]")):
        BusinessHours.from_json(hours)
