"""China's local time and the times people type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from market.clock import SHANGHAI, local, local_day, user_time
from market.errors import InvalidInput


def test_the_local_day_turns_at_midnight_in_china_not_in_utc() -> None:
    assert local_day(datetime(2026, 2, 13, 15, 59, tzinfo=UTC)) == date(2026, 2, 13)
    assert local_day(datetime(2026, 2, 13, 16, 0, tzinfo=UTC)) == date(2026, 2, 14)
    assert local(datetime(2026, 2, 13, 16, 0, tzinfo=UTC)).hour == 0


def test_local_day_of_a_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_day(datetime(2026, 2, 13, 12, 0))


def test_a_typed_time_without_a_zone_is_china_time() -> None:
    typed = user_time(datetime(2026, 3, 2, 9, 30), "at")
    assert typed == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert typed is not None and typed.tzinfo is SHANGHAI
    assert user_time("2026-03-02T09:30", "at") == typed


def test_a_typed_time_with_a_zone_keeps_it() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert user_time("2026-03-02T09:30-05:00", "until") == datetime(2026, 3, 2, 9, 30, tzinfo=eastern)


def test_no_time_stays_none_for_the_caller_to_default() -> None:
    assert user_time(None, "at") is None


@pytest.mark.parametrize(
    "typed",
    [datetime(1999, 12, 31, 23, 0), datetime(2200, 1, 2), datetime(9999, 12, 31, 23, 0), "1999-01-01"],
)
def test_a_time_outside_2000_to_2200_is_refused_naming_the_field(typed: datetime | str) -> None:
    with pytest.raises(InvalidInput, match="between the years 2000 and 2200") as refused:
        user_time(typed, "until")
    assert refused.value.field == "until"


def test_text_that_is_no_time_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidInput, match="2026-03-02T09:30") as refused:
        user_time("next tuesday", "at")
    assert refused.value.field == "at"
