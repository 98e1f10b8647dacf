"""The reports page's figures as people read them: the form (a period of local days, a
grouping, a queue), durations ("1 h 20 min"), shares, and bar charts laid out here as SVG
geometry, so the page draws them with no script and no inline style (the console's CSP).

Plain values in and out: ``views.reports_page`` reads the summary and renders these."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cdmx.domain.errors import Invalid
from cdmx.domain.hours import DAYS
from cdmx.queries.reports import GROUPS, Period

DEFAULT_DAYS = 7  # the last week, today included

# The table's figures, in its order: (summary field, how it is shown). Raw and
# business-hours values of a time sit side by side under one heading.
COUNT, DURATION, SHARE, SCORE = "count", "duration", "share", "score"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("conversations", COUNT),
    ("first_response_median_s", DURATION),
    ("first_response_business_median_s", DURATION),
    ("first_response_p90_s", DURATION),
    ("first_response_business_p90_s", DURATION),
    ("reply_median_s", DURATION),
    ("reply_business_median_s", DURATION),
    ("resolution_median_s", DURATION),
    ("resolution_business_median_s", DURATION),
    ("answered_within_target", SHARE),
    ("csat_avg", SCORE),
    ("csat_count", COUNT),
)
# The charts: (element id, summary field, how its values are shown, title's string key).
CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("chart-conversations", "conversations", COUNT, "reports_chart_conversations"),
    ("chart-first-response", "first_response_median_s", DURATION, "reports_chart_first"),
    (
        "chart-first-response-business",
        "first_response_business_median_s",
        DURATION,
        "reports_chart_first_business",
    ),
)


@dataclass(frozen=True)
class ReportForm:
    """What the page's GET form asked for, as typed (to show it again) and as parsed."""

    first: str
    last: str
    group_by: str
    queue: str
    period: Period | None = None
    queue_id: int | None = None
    error: str | None = None  # a string key: what is wrong, for people

    @classmethod
    def parse(
        cls, params: Mapping[str, str], today: date, zone: ZoneInfo, queue_ids: Iterable[int]
    ) -> ReportForm:
        """The form's values, or the first thing wrong with them (``error``). With no
        dates, the last ``DEFAULT_DAYS`` local days ending today."""
        first = params.get("from", "").strip() or (today - timedelta(DEFAULT_DAYS - 1)).isoformat()
        last = params.get("to", "").strip() or today.isoformat()
        group_by = params.get("group_by", "").strip() or "day"
        queue = params.get("queue", "").strip()

        def refused(error: str) -> ReportForm:
            return cls(first, last, group_by, queue, error=error)

        try:
            days = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError:
            return refused("reports_bad_date")
        try:
            period = Period.parse(*days, zone)
        except Invalid as exc:
            return refused(
                "reports_too_long" if exc.code == "period_too_long" else "reports_bad_order"
            )
        if group_by not in GROUPS:
            return refused("reports_bad_group")
        queue_id = None
        if queue:
            if not (queue.isdigit() and int(queue) in set(queue_ids)):
                return refused("reports_bad_queue")
            queue_id = int(queue)
        return cls(first, last, group_by, queue, period=period, queue_id=queue_id)

    def scope(self, allowed: frozenset[int] | None) -> frozenset[int] | None:
        """The queues the summary covers: the chosen one (already checked to be allowed),
        else everything the user's reports cover."""
        return allowed if self.queue_id is None else frozenset({self.queue_id})


def duration(seconds: float | None) -> str:
    """A time as people say it: "45 s", "5 min", "1 min 30 s", "1 h 20 min", "2 d 3 h";
    "—" when nothing was measured, "< 1 s" for a blink. To the second under an hour, the
    minute under a day, else the hour."""
    if seconds is None:
        return "—"
    if 0 < seconds < 0.5:
        return "< 1 s"  # measured, but not "0 s"
    parts: tuple[tuple[int, str], ...]
    if (whole := _half_up(seconds)) < 3600:
        parts = _split(whole, 60, "min", "s")
    elif (minutes := _half_up(seconds / 60)) < 24 * 60:
        parts = _split(minutes, 60, "h", "min")
    else:
        parts = _split(_half_up(seconds / 3600), 24, "d", "h")
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 s"


def _half_up(amount: float) -> int:
    """Rounded as people do (48.5 h is 49 h), not to the even neighbour as round() does."""
    return math.floor(amount + 0.5)


def _split(amount: int, size: int, big: str, small: str) -> tuple[tuple[int, str], ...]:
    high, low = divmod(amount, size)
    return (high, big), (low, small)


def share(value: float | None) -> str:
    """A share 0–1 as a whole percentage: "67%"; "—" when there was nothing to count."""
    return "—" if value is None else f"{round(value * 100)}%"


def score(value: float | None) -> str:
    """A CSAT average with one decimal: "4.0"; "—" without answers."""
    return "—" if value is None else f"{value:.1f}"


FORMATS: dict[str, Callable[[Any], str]] = {
    COUNT: lambda n: str(n), DURATION: duration, SHARE: share, SCORE: score,
}  # fmt: skip


FILLED_DAYS = 62  # by day, a period up to two months shows its quiet days too


def every_day(rows: list[dict[str, Any]], period: Period) -> list[dict[str, Any]]:
    """By day, the summary's rows with the period's days that had none in between (zero
    conversations, nothing measured), so a week is seven bars; a longer period as it is."""
    if not rows or (period.last - period.first).days >= FILLED_DAYS:
        return rows
    having = {row["key"]: row for row in rows}
    quiet = {name: (0 if kind == COUNT else None) for name, kind in COLUMNS}
    days = (period.first + timedelta(n) for n in range((period.last - period.first).days + 1))
    return [
        having.get(day.isoformat()) or {"key": day.isoformat(), "name": day.isoformat(), **quiet}
        for day in days
    ]


def key_name(row: Mapping[str, Any], group_by: str, strings: Mapping[str, str]) -> str:
    """A row's name as the page shows it: a day with its weekday ("Lunes 2026-03-16")."""
    if group_by != "day":
        return str(row["name"])
    day = date.fromisoformat(str(row["key"]))
    return f"{strings['queues_day_' + DAYS[day.weekday()]]} {day.isoformat()}"


def table_rows(
    rows: list[dict[str, Any]], group_by: str, strings: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The table's rows: the key, its name, and per figure the raw value and its text."""
    return [
        {
            "key": str(row["key"]),
            "name": key_name(row, group_by, strings),
            "cells": [
                {"figure": figure, "value": _raw(row[figure]), "text": FORMATS[kind](row[figure])}
                for figure, kind in COLUMNS
            ],
        }
        for row in rows
    ]


def _raw(value: Any) -> str:
    """A value for a ``data-value`` attribute: empty for None, integers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# SVG geometry, in the viewBox's units: the name on the left, the bar, its value after it.
# About the width a chart gets on the page (a column of 30rem or more), so 13 units are
# close to 13 px of text.
WIDTH, NAME_WIDTH, VALUE_WIDTH = 520, 150, 90
BAR_SPACE = WIDTH - NAME_WIDTH - VALUE_WIDTH
ROW_HEIGHT, BAR_HEIGHT, PADDING = 30, 20, 6
NAME_CHARS = 20  # a longer name is cut in the chart (the table has it whole)


@dataclass(frozen=True)
class Bar:
    key: str
    name: str  # as drawn, cut to NAME_CHARS
    full_name: str
    value: str  # the raw value for data-value; empty when nothing was measured
    text: str
    y: int
    width: float
    text_y: int
    value_x: float


@dataclass(frozen=True)
class Chart:
    id: str
    figure: str
    title: str
    bars: tuple[Bar, ...]
    height: int
    measured: bool = True  # False: no row had anything to measure (the page says so)
    name_width: int = NAME_WIDTH
    width: int = WIDTH
    bar_height: int = BAR_HEIGHT


def charts(rows: list[dict[str, Any]], group_by: str, strings: Mapping[str, str]) -> list[Chart]:
    """One horizontal bar chart per entry of CHARTS, a bar per row, scaled to the largest
    value (a row with nothing measured has no bar and "—"; a chart where no row has, no
    bars at all)."""
    drawn = []
    for chart_id, figure, kind, title in CHARTS:
        values = [row[figure] for row in rows]
        top = max((v for v in values if v is not None), default=0) or 1
        bars = []
        for index, (row, value) in enumerate(zip(rows, values, strict=True)):
            y = PADDING + index * ROW_HEIGHT
            width = 0.0 if value is None else round(BAR_SPACE * value / top, 1)
            name = key_name(row, group_by, strings)
            bars.append(
                Bar(
                    key=str(row["key"]), name=_cut(name), full_name=name, value=_raw(value),
                    text=FORMATS[kind](value), y=y, width=width,
                    text_y=y + BAR_HEIGHT // 2 + 5, value_x=NAME_WIDTH + width + 8,
                )
            )  # fmt: skip
        height = 2 * PADDING + len(rows) * ROW_HEIGHT
        measured = any(v is not None for v in values)
        drawn.append(Chart(chart_id, figure, strings[title], tuple(bars), height, measured))
    return drawn


def _cut(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
