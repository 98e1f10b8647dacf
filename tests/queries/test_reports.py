"""The reports' arithmetic: percentiles as PostgreSQL's percentile_cont, exactly, and the
period in the business time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from cdmx.domain.errors import Invalid
from cdmx.queries.reports import MEDIAN, P90, Period, percentile

ZONE = ZoneInfo("America/Mexico_City")


def test_percentiles_are_linear_between_the_two_nearest_ranks() -> None:
    assert percentile([], MEDIAN) is None
    assert percentile([42.0], MEDIAN) == percentile([42.0], P90) == 42.0
    assert percentile([10.0, 20.0], MEDIAN) == 15.0
    assert percentile([10.0, 20.0, 40.0], MEDIAN) == 20.0
    # rank 0.9 × 3 = 2.7: 1,800 + 0.7 × 82,800, with no floating-point residue.
    assert percentile([180.0, 1200.0, 1800.0, 84600.0], P90) == 59760.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], P90) == 10.0


def test_a_period_runs_from_local_midnight_to_the_midnight_after_its_last_day() -> None:
    period = Period.parse(date(2026, 3, 16), date(2026, 3, 22), ZONE)
    assert period.start == datetime(2026, 3, 16, tzinfo=ZONE)
    assert period.end == datetime(2026, 3, 23, tzinfo=ZONE)
    assert (
        period.start.utcoffset() is not None
        and period.start.utcoffset().total_seconds() == -6 * 3600
    )


def test_a_period_backwards_or_longer_than_400_days_is_refused() -> None:
    with pytest.raises(Invalid) as backwards:
        Period.parse(date(2026, 3, 22), date(2026, 3, 16), ZONE)
    assert backwards.value.code == "invalid_period"
    with pytest.raises(Invalid) as long:
        Period.parse(date(2025, 1, 1), date(2026, 2, 5), ZONE)
    assert long.value.code == "period_too_long"
    assert Period.parse(date(2025, 1, 1), date(2026, 2, 4), ZONE).last == date(2026, 2, 4)
