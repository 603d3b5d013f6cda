"""Working days in China: 2026's holidays as the State Council published them, counting
across them, and the refusal to count through a year nobody has imported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from market.calendar import CalendarYear, UnknownCalendarYear, library_years, working_calendar
from market.calendar_years import parse_year_file
from market.clock import SHANGHAI
from market.errors import Conflict, InvalidInput

CALENDAR = working_calendar()
EXAMPLE_2026 = Path(__file__).parents[2] / "docs" / "examples" / "calendar" / "2026.toml"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


# -- 2026 as published ------------------------------------------------------------------
def test_spring_festival_2026_is_off_from_the_15th_to_the_23rd_of_february() -> None:
    for day in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not CALENDAR.is_working_day(day), day
        assert CALENDAR.holiday_of(day) == "春节"
    assert CALENDAR.is_working_day(date(2026, 2, 13))  # Friday before
    assert CALENDAR.is_working_day(date(2026, 2, 24))  # Tuesday after


def test_the_saturdays_around_spring_festival_2026_are_worked() -> None:
    for saturday in (date(2026, 2, 14), date(2026, 2, 28)):
        assert saturday.weekday() == 5
        assert CALENDAR.is_working_day(saturday)
        assert CALENDAR.holiday_of(saturday) == "春节"
    assert not CALENDAR.is_working_day(date(2026, 3, 1))  # an ordinary Sunday


def test_swapped_working_sundays_of_2026_are_worked() -> None:
    for sunday, holiday in ((date(2026, 1, 4), "元旦"), (date(2026, 9, 20), "国庆节")):
        assert sunday.weekday() == 6
        assert CALENDAR.is_working_day(sunday)
        assert CALENDAR.holiday_of(sunday) == holiday


def test_national_day_2026_is_off_from_the_1st_to_the_7th_of_october() -> None:
    for day in days(date(2026, 10, 1), date(2026, 10, 7)):
        assert not CALENDAR.is_working_day(day), day
        assert CALENDAR.holiday_of(day) == "国庆节"
    assert CALENDAR.is_working_day(date(2026, 10, 8))  # Thursday: back at work
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # Saturday worked instead
    assert not CALENDAR.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_the_example_file_says_what_the_library_says_about_2026() -> None:
    written = parse_year_file(EXAMPLE_2026.read_text(encoding="utf-8"))
    shipped = library_years()[2026]
    assert written.year == 2026
    assert sorted(written.holidays) == sorted(shipped.holidays)
    assert sorted(written.working_days) == sorted(shipped.working_days)
    assert len(written.holidays) == 33 and len(written.working_days) == 6


# -- counting -----------------------------------------------------------------------------
def test_three_working_days_from_the_friday_before_spring_festival() -> None:
    # Sat 14th (worked) is the first; 15th-23rd are off; Tue 24th, Wed 25th
    start = at(2026, 2, 13, 10, 0)
    end = CALENDAR.add_working_days(start, 3)
    assert end == at(2026, 2, 25, 10, 0)
    assert CALENDAR.working_days_between(start, end) == 3


def test_the_same_clock_time_in_china_whatever_zone_the_time_comes_in() -> None:
    start = at(2026, 9, 30, 17, 30).astimezone(UTC)  # 09:30 UTC
    end = CALENDAR.add_working_days(start, 1)
    assert end.tzinfo is UTC
    assert end.astimezone(SHANGHAI) == at(2026, 10, 8, 17, 30)  # National Day skipped
    # the day is China's: 15:30 UTC on Thursday the 12th is still Thursday there (next:
    # Friday), 16:30 UTC is already Friday (next: the worked Saturday)
    thursday_night = datetime(2026, 2, 12, 15, 30, tzinfo=UTC)
    friday_morning = datetime(2026, 2, 12, 16, 30, tzinfo=UTC)
    assert CALENDAR.add_working_days(thursday_night, 1) == at(2026, 2, 13, 23, 30)
    assert CALENDAR.add_working_days(friday_morning, 1) == at(2026, 2, 14, 0, 30)


def test_the_start_day_never_counts_even_when_it_is_a_holiday() -> None:
    # a start inside National Day: the first working day after it is the 8th
    assert CALENDAR.working_day_after(date(2026, 10, 3), 1) == date(2026, 10, 8)
    # a start on the swapped working Saturday: its own day does not count either
    assert CALENDAR.working_day_after(date(2026, 10, 10), 1) == date(2026, 10, 12)
    assert CALENDAR.working_day_after(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_five_working_days_over_national_day_count_the_sunday_before_and_saturday_after() -> None:
    # Fri 18 Sep: Sun 20th worked (1), 21-24 (2-5)
    assert CALENDAR.working_day_after(date(2026, 9, 18), 5) == date(2026, 9, 24)
    # Wed 30 Sep: Thu 8th (1), Fri 9th (2), Sat 10th worked (3), Mon 12th (4), Tue 13th (5)
    assert CALENDAR.working_day_after(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_counting_back_is_counting_forward_reversed() -> None:
    assert CALENDAR.working_day_after(date(2026, 10, 8), -1) == date(2026, 9, 30)
    end = at(2026, 10, 13, 9, 0)
    assert CALENDAR.add_working_days(end, -5) == at(2026, 9, 30, 9, 0)
    assert CALENDAR.working_days_between(end, at(2026, 9, 30, 9, 0)) == -5


def test_working_days_between_counts_the_end_not_the_start() -> None:
    assert CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 13)) == 0
    assert CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2  # 14th, 24th
    assert CALENDAR.working_days_between(date(2026, 1, 1), date(2026, 12, 31)) == 248


def test_a_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_working_days(datetime(2026, 3, 2, 9, 0), 1)


# -- years nobody has published -------------------------------------------------------------
def test_a_year_without_data_is_refused_naming_the_year_and_how_to_import_it() -> None:
    assert 2031 not in CALENDAR.known_years
    with pytest.raises(UnknownCalendarYear) as refused:
        CALENDAR.is_working_day(date(2031, 3, 3))
    assert isinstance(refused.value, Conflict)
    assert refused.value.year == 2031 and refused.value.details == {"year": 2031}
    assert "2031" in refused.value.message and "market calendar import" in refused.value.message


def test_counting_into_an_unknown_year_is_refused_not_guessed() -> None:
    last = max(CALENDAR.known_years)
    with pytest.raises(UnknownCalendarYear, match=str(last + 1)):
        CALENDAR.add_working_days(at(last, 12, 30, 9, 0), 5)
    with pytest.raises(UnknownCalendarYear, match=str(last + 1)):
        CALENDAR.working_days_between(date(last, 12, 1), date(last + 1, 1, 10))


YEAR_2031 = """
year = 2031
notice = "a test year: not a real notice"

[[holidays]]
name = "元旦"
first = 2031-01-01

[[holidays]]
name = "春节"
first = 2031-01-22
last = 2031-01-28
working_days = [2031-01-19, 2031-02-08]
"""


def test_an_imported_year_becomes_known() -> None:
    calendar = working_calendar([parse_year_file(YEAR_2031)])
    assert 2031 in calendar.known_years
    assert not calendar.is_working_day(date(2031, 1, 1))
    assert calendar.is_working_day(date(2031, 1, 19))  # a Sunday worked
    assert calendar.holiday_of(date(2031, 1, 25)) == "春节"
    # Tue 21 Jan: Sun 19th is behind; 22-28 off; Wed 29th is the first, Thu 30th the second
    assert calendar.working_day_after(date(2031, 1, 21), 2) == date(2031, 1, 30)
    with pytest.raises(UnknownCalendarYear, match="2032"):
        calendar.working_day_after(date(2031, 12, 30), 3)


def test_an_imported_year_replaces_the_librarys_for_that_year() -> None:
    odd = CalendarYear(2026, {date(2026, 3, 2): "测试"}, {}, notice="correction")
    calendar = working_calendar([odd])
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 2, 16))  # the library's Spring Festival is gone
    assert calendar.years[2026].notice == "correction"
    assert not calendar.is_working_day(date(2025, 10, 1))  # other years keep the library's


# -- the file format -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("year = 2031", "holidays", "[[holidays]]"),
        ("year = 1999\n[[holidays]]\nname='x'\nfirst=1999-01-01", "year", "between 2000 and 2199"),
        ("year = 2031\ncolour = 1", "colour", "unknown key colour"),
        ("year = 2031\n[[holidays]]\nname = '春节'\nfirst = 2031-01-22\nlast = 2031-01-20",
         "holidays[0].last", "on or after first"),
        ("year = 2031\n[[holidays]]\nname = '春节'\nfirst = 2030-06-01", "holidays[0].first", "not in 2031"),
        ("year = 2031\n[[holidays]]\nname = '春节'\nfirst = 'soon'", "holidays[0].first", "like 2031-02-06"),
        ("year = 2031\n[[holidays]]\nname = '春节'\nfirst = 2031-01-22\nworking_days = [2031-01-20]",
         "holidays[0].working_days", "a working day anyway"),
        ("year = 2031\n[[holidays]]\nname = 'a'\nfirst = 2031-01-22\n[[holidays]]\nname = 'b'\n"
         "first = 2031-01-22", "holidays[1].first", "already a day off for a"),
        ("year = 2031\n[[holidays]]\nname = 'a'\nfirst = 2031-01-25\nlast = 2031-01-26\n"
         "working_days = [2031-01-26]", "holidays", "both a day off and a working day"),
        ("year = 2031\n[[holidays]]\nnam = 'a'", "holidays[0].nam", "unknown key"),
        ("year = = 2031", "file", "not TOML"),
    ],
)
def test_a_bad_year_file_is_refused_saying_where(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words.replace("[", r"\[").replace("]", r"\]")) as refused:
        parse_year_file(text)
    assert refused.value.field == field


def test_a_new_year_holiday_may_begin_in_the_december_before() -> None:
    text = "year = 2031\n[[holidays]]\nname = '元旦'\nfirst = '2030-12-30'\nlast = 2031-01-01"
    arrangement = parse_year_file(text)
    assert sorted(arrangement.holidays) == days(date(2030, 12, 30), date(2031, 1, 1))
