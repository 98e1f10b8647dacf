"""Business hours of a queue: a weekly schedule, official holidays and extra closed dates.

Pure functions over a queue's ``hours`` JSON (docs/queues.md)::

    {"weekly": {"mon": [["09:00", "18:00"]], ..., "sun": []},
     "holidays": "MX" | null, "closed_dates": ["2026-12-24"]}

``None`` means always open. A range belongs to the day it starts on: ``["22:00", "02:00"]``
on Friday runs into Saturday's early hours, and a holiday or closed date closes the ranges
that start on it (Friday's night shift still runs on a Saturday holiday). ``"24:00"`` ends
a range at midnight. Times are wall-clock times in the business's zone (``CDMX_TIMEZONE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOOKAHEAD_DAYS = 400  # how far next_opening looks: beyond a year of closed days


class HoursError(ValueError):
    """A malformed ``hours`` object; the message says which part."""


def _minutes(clock: Any, where: str) -> int:
    if not isinstance(clock, str) or not _CLOCK.fullmatch(clock):
        raise HoursError(f"{where}: '{clock}' is not a time of day as HH:MM (00:00–24:00)")
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class BusinessHours:
    """``weekly[d]`` are (start, end) minutes after midnight of weekday ``d`` (0 = Monday);
    an end at or before its start runs into the next day."""

    weekly: tuple[tuple[tuple[int, int], ...], ...] | None = None  # None: always open
    holidays: str | None = None  # a country code of the holidays library, e.g. "MX"
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_json(cls, value: Any) -> BusinessHours:
        """Parse and check a queue's ``hours``; raises HoursError saying what is wrong."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise HoursError("hours: null (always open) or an object with 'weekly'")
        unknown = set(value) - {"weekly", "holidays", "closed_dates"}
        if unknown:
            raise HoursError(f"hours: unknown field(s) {', '.join(sorted(unknown))}")
        weekly = value.get("weekly")
        if not isinstance(weekly, dict):
            raise HoursError("hours.weekly: an object from 'mon' to 'sun' of [start, end] ranges")
        if set(weekly) - set(DAYS):
            raise HoursError(f"hours.weekly: days are {', '.join(DAYS)}")
        days: list[tuple[tuple[int, int], ...]] = []
        for day in DAYS:
            ranges = weekly.get(day)
            ranges = [] if ranges is None else ranges
            if not isinstance(ranges, list):
                raise HoursError(f"hours.weekly.{day}: a list of [start, end] ranges")
            parsed = []
            for index, item in enumerate(ranges):
                where = f"hours.weekly.{day}[{index}]"
                if not isinstance(item, list | tuple) or len(item) != 2:
                    raise HoursError(f'{where}: a range is ["HH:MM", "HH:MM"]')
                start, end = _minutes(item[0], where), _minutes(item[1], where)
                if start == end:
                    raise HoursError(f"{where}: a range needs a start and a later end")
                if start == 24 * 60:
                    raise HoursError(f"{where}: a range cannot start at 24:00")
                parsed.append((start, end))
            days.append(tuple(sorted(parsed)))
        _check_no_overlap(days)
        country = value.get("holidays")
        if country is not None:
            if not isinstance(country, str) or country.upper() not in _countries():
                raise HoursError(f"hours.holidays: '{country}' is not a country code (e.g. MX)")
            country = country.upper()
        closed: set[date] = set()
        dates = value.get("closed_dates")
        dates = [] if dates is None else dates
        if not isinstance(dates, list):
            raise HoursError("hours.closed_dates: a list of dates (YYYY-MM-DD)")
        for item in dates:
            try:
                if not isinstance(item, str) or not _DATE.fullmatch(item):
                    raise ValueError(item)
                closed.add(date.fromisoformat(item))
            except ValueError:
                raise HoursError(
                    f"hours.closed_dates: '{item}' is not a date (YYYY-MM-DD)"
                ) from None
        return cls(tuple(days), country, frozenset(closed))

    def to_json(self) -> dict[str, Any] | None:
        """The canonical JSON form (None: always open)."""
        if self.weekly is None:
            return None
        return {
            "weekly": {
                day: [[_clock(start), _clock(end)] for start, end in self.weekly[index]]
                for index, day in enumerate(DAYS)
            },
            "holidays": self.holidays,
            "closed_dates": sorted(d.isoformat() for d in self.closed_dates),
        }

    @property
    def always_open(self) -> bool:
        return self.weekly is None

    def is_closed_day(self, day: date) -> bool:
        """A holiday or an extra closed date: no range starts on it."""
        if day in self.closed_dates:
            return True
        return self.holidays is not None and day in _calendar(self.holidays, day.year)

    def ranges_starting(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        """The open periods that start on ``day`` (local), as aware datetimes."""
        if self.weekly is None or self.is_closed_day(day):
            return []
        midnight = datetime.combine(day, time(), zone)
        periods = []
        for start, end in self.weekly[day.weekday()]:
            finish = end if end > start else end + 24 * 60
            periods.append((_at(midnight, start), _at(midnight, finish)))
        return periods

    def is_open(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether the business is open at ``moment`` (aware)."""
        if self.weekly is None:
            return True
        local = moment.astimezone(zone)
        today = local.date()
        for day in (today - timedelta(days=1), today):
            for start, end in self.ranges_starting(day, zone):
                if start <= local < end:
                    return True
        return False

    def next_opening(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When it next opens after ``moment`` (``moment`` itself when open now); None when
        no range opens within a year and a bit (an empty schedule)."""
        if self.is_open(moment, zone):
            return moment
        local = moment.astimezone(zone)
        for offset in range(_LOOKAHEAD_DAYS):
            for start, _end in self.ranges_starting(local.date() + timedelta(days=offset), zone):
                if start > local:
                    return start
        return None

    def closed_notice_due(
        self, moment: datetime, last_notice: datetime | None, zone: ZoneInfo
    ) -> bool:
        """Whether a customer writing at ``moment`` gets the closed message: the business is
        closed and it was not already sent in this closed period (``last_notice`` is when
        it last was). Two closed moments are in the same period when the same opening ends
        both."""
        if self.is_open(moment, zone):
            return False
        if last_notice is None or self.is_open(last_notice, zone):
            return True
        return self.next_opening(last_notice, zone) != self.next_opening(moment, zone)

    def open_seconds(self, start: datetime, end: datetime, zone: ZoneInfo) -> float:
        """How many of the seconds between ``start`` and ``end`` fall in business hours."""
        if end <= start:
            return 0.0
        if self.weekly is None:
            return (end - start).total_seconds()
        total = 0.0
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        while day <= last:
            for opens, closes in self.ranges_starting(day, zone):
                overlap = min(closes, end) - max(opens, start)
                total += max(0.0, overlap.total_seconds())
            day += timedelta(days=1)
        return total


def _check_no_overlap(days: list[tuple[tuple[int, int], ...]]) -> None:
    """Ranges may not overlap, within a day or across midnight into the next (Sunday's
    night into Monday included): an overlap would count its time twice."""
    week = 7 * 24 * 60
    spans = []
    for index, ranges in enumerate(days):
        for start, end in ranges:
            finish = end if end > start else end + 24 * 60
            spans.append((index * 24 * 60 + start, index * 24 * 60 + finish, DAYS[index]))
    spans += [(s + week, e + week, d) for s, e, d in spans]  # Sunday night into Monday
    spans.sort()
    for (_, end, day), (start, _, other) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise HoursError(f"hours.weekly.{other}: a range overlaps another ({day})")


def _at(midnight: datetime, minutes: int) -> datetime:
    # Wall-clock arithmetic in the zone (a DST change, where the zone has one, moves it).
    naive = midnight.replace(tzinfo=None) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=midnight.tzinfo)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> holiday_calendars.HolidayBase:
    return holiday_calendars.country_holidays(country, years=year)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(holiday_calendars.list_supported_countries())
