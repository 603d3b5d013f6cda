"""Supervision periods: named, custom, and refused when reversed or absurd."""

from __future__ import annotations

from datetime import date

import pytest

from market.errors import InvalidInput
from market.supervision import periods


def test_named_periods_cover_their_days() -> None:
    assert (periods.named("2026").first, periods.named("2026").last) == (date(2026, 1, 1), date(2026, 12, 31))
    q = periods.named("2026-Q1")
    assert (q.first, q.last, q.label) == (date(2026, 1, 1), date(2026, 3, 31), "2026年第1季度")
    m = periods.named("2024-02")
    assert (m.first, m.last) == (date(2024, 2, 1), date(2024, 2, 29))
    assert periods.named("2026-12").last == date(2026, 12, 31)
    assert (
        m.start.isoformat() == "2024-02-01T00:00:00+08:00"
        and m.end.isoformat() == "2024-03-01T00:00:00+08:00"
    )


def test_the_year_before_keeps_the_days() -> None:
    leap = periods.custom("2024-02-01", "2024-02-29").year_before()
    assert (leap.first, leap.last) == (date(2023, 2, 1), date(2023, 2, 28))


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2026-12-01", "2026-01-01", "reversed"),
        ("1999-01-01", "2026-01-01", "2000"),
        ("2026-01-01", "2126-01-01", "2100"),
        ("2026-13-01", "2026-12-31", "YYYY-MM-DD"),
        ("2000-01-01", "2026-01-01", "at most"),
    ],
)
def test_a_reversed_or_absurd_period_is_refused_naming_why(since: str, until: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        periods.custom(since, until)


@pytest.mark.parametrize("value", ["26", "2026-Q5", "2026-00", "2026-13", "x", "2026-1"])
def test_a_malformed_named_period_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput):
        periods.named(value)


def test_a_request_asks_for_one_kind_of_period() -> None:
    today = date(2026, 11, 30)
    assert periods.of_request(None, None, None, today=today).label == "2026年"
    with pytest.raises(InvalidInput, match="not both"):
        periods.of_request("2026", "2026-01-01", None, today=today)
    with pytest.raises(InvalidInput, match="go together"):
        periods.of_request(None, "2026-01-01", None, today=today)
