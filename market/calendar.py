"""Working days in China: official holidays and swapped working weekends (调休).

Every autumn the State Council publishes next year's arrangement: which days are off for
each holiday, and which Saturdays or Sundays are worked instead. There is no rule to
compute it from, so a year without that notice is unknown, and this module refuses to
count through it rather than guess (a deadline one day off is a void procedure).

Where the years come from: the ``chinese-calendar`` library for the years it ships, and
years an administrator imports (:mod:`market.calendar_years`, docs/calendar.md), which
override the library's for their year. :class:`WorkingCalendar` itself holds only day
sets: no database, no clock, no zone other than China's.

Counting (the rule of the Civil Code, art. 201: the day an event happens is not counted):

- ``working_day_after(day, n)`` is the n-th working day *after* ``day``; ``day`` itself
  never counts, whether it is a working day or not. So one working day after a Friday is
  the Monday, and one working day after a Saturday is also the Monday. ``n = 0`` is
  ``day`` itself; a negative ``n`` counts back (the n-th working day before ``day``).
- ``add_working_days(t, n)`` is the same local clock time (Asia/Shanghai) on that day: a
  notice published on Friday 2026-02-13 at 10:00 with a period of 3 working days ends on
  Wednesday 2026-02-25 at 10:00: the swapped working Saturday 2026-02-14 is the first,
  the Spring Festival holiday 2026-02-15 to 23 is skipped. China has kept no summer time since
  1991, so that clock time always exists.
- ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b`` (local
  days), negative when ``b`` is before ``a``; so
  ``working_days_between(t, add_working_days(t, n)) == n``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar

from market.clock import SHANGHAI, local_day
from market.errors import Conflict

LIBRARY = "chinese_calendar"
IMPORTED = "imported"


@dataclass(frozen=True, slots=True)
class CalendarYear:
    """One year's official arrangement.

    ``holidays`` are the days off (including weekend days inside a holiday period) with the
    holiday's name; ``working_days`` are the Saturdays and Sundays that are worked, with
    the name of the holiday they make up for. A notice may reach into the last days of the
    year before (the New Year holiday of 2019 began on 2018-12-30)."""

    year: int
    holidays: Mapping[date, str]
    working_days: Mapping[date, str]
    source: str = IMPORTED
    notice: str = ""


class UnknownCalendarYear(Conflict):
    """A working-day count reached a year the platform has no holiday arrangement for."""

    code = "calendar-year-unknown"

    def __init__(self, year: int) -> None:
        super().__init__(
            f"the holidays and working weekends of {year} are not known yet: an administrator "
            f"imports the State Council's arrangement for {year} with "
            f"`market calendar import FILE` or POST /api/calendar/years (see docs/calendar.md)",
            year=year,
        )
        self.year = year


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: a cache hands it out
class WorkingCalendar:
    """Working days over the years it was given; any other year is refused."""

    years: Mapping[int, CalendarYear]
    _holidays: dict[date, str] = field(init=False, repr=False, compare=False)
    _working: dict[date, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        holidays: dict[date, str] = {}
        working: dict[date, str] = {}
        # in year order, so that a notice reaching back into December wins over what
        # the year before said about those days
        for year in sorted(self.years):
            arrangement = self.years[year]
            for day, name in arrangement.holidays.items():
                working.pop(day, None)
                holidays[day] = name
            for day, name in arrangement.working_days.items():
                holidays.pop(day, None)
                working[day] = name
        object.__setattr__(self, "_holidays", holidays)
        object.__setattr__(self, "_working", working)

    @property
    def known_years(self) -> frozenset[int]:
        return frozenset(self.years)

    def _known(self, day: date) -> date:
        if day.year not in self.years:
            raise UnknownCalendarYear(day.year)
        return day

    def is_working_day(self, day: date | datetime) -> bool:
        """Whether ``day`` (a date, or an aware time: its day in China) is a working day."""
        day = self._known(_day(day))
        if day in self._holidays:
            return False
        if day in self._working:
            return True
        return day.weekday() < 5

    def holiday_of(self, day: date | datetime) -> str | None:
        """The holiday a day is off for, or the holiday a working weekend day makes up for."""
        day = self._known(_day(day))
        return self._holidays.get(day) or self._working.get(day)

    def working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (before it when ``n < 0``); ``day`` itself
        never counts, and ``n = 0`` is ``day``."""
        step = timedelta(days=1 if n > 0 else -1)
        left = abs(n)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        return day

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """``t`` plus ``n`` working days: the same clock time in China on the n-th working
        day after ``t``'s day in China (see the module's docstring). Returned in ``t``'s
        zone."""
        if t.tzinfo is None:
            raise ValueError("add_working_days needs a timezone-aware time")
        start = t.astimezone(SHANGHAI)
        end = self.working_day_after(start.date(), n)
        return datetime.combine(end, start.timetz()).astimezone(t.tzinfo)

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days ``d`` with ``a < d <= b`` (days in China); negative if ``b < a``."""
        first, last = _day(a), _day(b)
        if last < first:
            return -self.working_days_between(last, first)
        count = 0
        day = first
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def _day(value: date | datetime) -> date:
    return local_day(value) if isinstance(value, datetime) else value


@cache
def library_years() -> Mapping[int, CalendarYear]:
    """The years ``chinese-calendar`` ships, grouped by the day's year (as the library
    itself decides which years it supports: every year from its first to its last)."""
    names = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    source = f"{LIBRARY} {chinese_calendar.__version__}"
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    years: dict[int, CalendarYear] = {}
    for year in range(first, last + 1):
        years[year] = CalendarYear(
            year=year,
            holidays={d: names.get(n, n) for d, n in chinese_calendar.holidays.items() if d.year == year},
            working_days={d: names.get(n, n) for d, n in chinese_calendar.workdays.items() if d.year == year},
            source=source,
        )
    return years


def working_calendar(imported: Iterable[CalendarYear] = ()) -> WorkingCalendar:
    """The library's years, each imported year replacing the library's for that year."""
    years = dict(library_years())
    for arrangement in imported:
        years[arrangement.year] = arrangement
    return WorkingCalendar(years)
