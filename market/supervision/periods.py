"""The periods supervision reports over: a calendar month, quarter or year, or a custom span of
days, in China time; refused when reversed or absurd, with the reason. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from market.errors import InvalidInput

CHINA = ZoneInfo("Asia/Shanghai")
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
MAX_DAYS = 3700  # ten years and a little: a longer span is almost surely a typo


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``first`` to ``last`` inclusive; :attr:`start` and :attr:`end` are the instants
    (China time) it covers, ``end`` exclusive."""

    first: date
    last: date
    label: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), CHINA)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), CHINA)

    def year_before(self) -> Period:
        """The same days one year earlier (year-on-year comparisons); 29 February → 28."""
        return Period(_year_earlier(self.first), _year_earlier(self.last), f"{self.label}（上年同期）")


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field} is a date written YYYY-MM-DD, not {text[:40]!r}", field=field) from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(f"{field} must fall in {EARLIEST_YEAR}–{LATEST_YEAR}, not {day.year}", field=field)
    return day


def custom(since: str, until: str) -> Period:
    """Days ``since`` to ``until`` (both YYYY-MM-DD, inclusive)."""
    first, last = _day(since, "since"), _day(until, "until")
    if last < first:
        raise InvalidInput(f"the period is reversed: until ({last}) is before since ({first})", field="until")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a period spans at most {MAX_DAYS} days; ask for several", field="until")
    return Period(first, last, f"{first}～{last}")


_NAMED = re.compile(r"(\d{4})(?:-(\d{2})|-Q([1-4]))?")


def named(value: str) -> Period:
    """``2026`` (a year), ``2026-Q3`` (a quarter) or ``2026-11`` (a month)."""
    found = _NAMED.fullmatch(value.strip())
    if found is None:
        raise InvalidInput(
            f"a period is a year (2026), a quarter (2026-Q3) or a month (2026-11), not {value[:40]!r}",
            field="period",
        )
    year = int(found[1])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInput(f"the year must fall in {EARLIEST_YEAR}–{LATEST_YEAR}, not {year}", field="period")
    if found[2] is not None:
        month = int(found[2])
        if not 1 <= month <= 12:
            raise InvalidInput(f"there is no month {month}", field="period")
        first = date(year, month, 1)
        return Period(first, _month_end(year, month), f"{year}年{month}月")
    if found[3] is not None:
        quarter = int(found[3])
        first = date(year, 3 * quarter - 2, 1)
        return Period(first, _month_end(year, 3 * quarter), f"{year}年第{quarter}季度")
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}年")


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def of_request(period: str | None, since: str | None, until: str | None, *, today: date) -> Period:
    """What a request asks for: a named period, or since/until, or by default this year."""
    if period and (since or until):
        raise InvalidInput("give either period or since/until, not both", field="period")
    if period:
        return named(period)
    if since or until:
        if not (since and until):
            raise InvalidInput("since and until go together", field="since" if not since else "until")
        return custom(since, until)
    return named(str(today.year))
