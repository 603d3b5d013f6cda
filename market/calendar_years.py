"""Years of the working-day calendar an administrator imports, and the process's calendar.

Each autumn the State Council publishes next year's holidays; ``chinese-calendar`` learns
them only with its next release. So an administrator can import a year from a small TOML
file (docs/calendar.md), written down from the notice; the file is checked whole, stored
with its text and digest, and audited. An imported year replaces the library's for that
year, so a late correction of the notice can be imported too.

:class:`Calendars` is what the web app keeps: the calendar is built once and built again
only when the imported years change. It asks the database for a fingerprint of them on
each use (one row, a few bytes), so an import by ``market calendar import`` in another
process reaches a running server without a restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError

from market import audit
from market.audit import Actor
from market.calendar import IMPORTED, LIBRARY, CalendarYear, WorkingCalendar, library_years, working_calendar
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound
from market.models import ImportedCalendarYear

MAX_FILE_BYTES = 64 * 1024  # a year's notice is a few hundred bytes
FIRST_YEAR, LAST_YEAR = 2000, 2199  # as the table's check constraint
MAX_PERIOD_DAYS = 31
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
TOP_KEYS = frozenset({"year", "notice", "holidays"})
HOLIDAY_KEYS = frozenset({"name", "first", "last", "working_days"})


# -- the file -------------------------------------------------------------------------------
def decode_year_file(data: bytes) -> str:
    """The text of an uploaded or read file: UTF-8, with or without a byte-order mark."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"a calendar file has at most {MAX_FILE_BYTES // 1024} KiB", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file must be UTF-8 text (save it as UTF-8)", field="file") from None


def parse_year_file(text: str) -> CalendarYear:
    """Check a year file (docs/calendar.md) and return its arrangement; the first problem
    is refused with the place it is at (``holidays[2].working_days``)."""
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidInput(f"a calendar file has at most {MAX_FILE_BYTES // 1024} KiB", field="file")
    try:
        document = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the file is not TOML: {exc}", field="file") from None
    _no_unknown_keys(document, TOP_KEYS, "")
    year = document.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year must be a year between {FIRST_YEAR} and {LAST_YEAR}", field="year")
    notice = document.get("notice", "")
    if not isinstance(notice, str) or len(notice) > 300:
        raise InvalidInput(
            "notice is the title or number of the notice, at most 300 characters", field="notice"
        )
    periods = document.get("holidays")
    if not isinstance(periods, list) or not periods:
        raise InvalidInput(
            "the file lists the year's holidays as [[holidays]] tables (name, first, last, working_days)",
            field="holidays",
        )
    holidays: dict[date, str] = {}
    working: dict[date, str] = {}
    for index, period in enumerate(periods):
        where = f"holidays[{index}]"
        if not isinstance(period, dict):
            raise InvalidInput(f"{where} must be a table with name, first, last", field=where)
        _no_unknown_keys(period, HOLIDAY_KEYS, f"{where}.")
        name = period.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 60:
            raise InvalidInput(
                f"{where}.name must name the holiday (春节), at most 60 characters", field=f"{where}.name"
            )
        name = name.strip()
        first = _day(period.get("first"), year, f"{where}.first")
        last = _day(period.get("last", first), year, f"{where}.last")
        if not first <= last <= first + timedelta(days=MAX_PERIOD_DAYS - 1):
            raise InvalidInput(
                f"{name}: last ({last}) must be on or after first ({first}) and at most "
                f"{MAX_PERIOD_DAYS} days later",
                field=f"{where}.last",
            )
        day = first
        while day <= last:
            if day in holidays:
                raise InvalidInput(
                    f"{name}: {day} is already a day off for {holidays[day]}", field=f"{where}.first"
                )
            holidays[day] = name
            day += timedelta(days=1)
        days = period.get("working_days", [])
        if not isinstance(days, list):
            raise InvalidInput(f"{where}.working_days must be a list of days", field=f"{where}.working_days")
        for raw in days:
            worked = _day(raw, year, f"{where}.working_days")
            if worked.weekday() < 5:
                raise InvalidInput(
                    f"{name}: {worked} is a {worked:%A}, a working day anyway; working_days lists only "
                    "the Saturdays and Sundays worked instead (调休上班)",
                    field=f"{where}.working_days",
                )
            if worked in working:
                raise InvalidInput(
                    f"{name}: {worked} is listed twice as a working day", field=f"{where}.working_days"
                )
            working[worked] = name
    clash = sorted(set(holidays) & set(working))
    if clash:
        raise InvalidInput(f"{clash[0]} is both a day off and a working day", field="holidays")
    return CalendarYear(year, dict(sorted(holidays.items())), dict(sorted(working.items())), IMPORTED, notice)


def _no_unknown_keys(table: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidInput(
            f"unknown key {prefix}{unknown[0]}; the keys are {', '.join(sorted(allowed))}",
            field=f"{prefix}{unknown[0]}",
        )


def _day(value: object, year: int, where: str) -> date:
    """A TOML date (2027-02-06) or the same as text; in the year, or in the December before
    it (a New Year holiday may begin there)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # refused below, with the example
            value = date.fromisoformat(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{where} must be a day like {year}-02-06, not {value!r}", field=where)
    if not (value.year == year or (value.year == year - 1 and value.month == 12)):
        raise InvalidInput(f"{where}: {value} is not in {year} (nor in the December before it)", field=where)
    return value


# -- the database ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class YearImport:
    arrangement: CalendarYear
    outcome: Literal["created", "replaced", "unchanged"]
    overrides_library: bool


@dataclass(frozen=True, slots=True)
class KnownYear:
    """A year the calendar can count through, and where its days come from."""

    year: int
    source: str  # "imported" or "chinese_calendar <version>"
    notice: str
    days_off: int
    working_weekend_days: int
    imported_at: datetime | None
    imported_by: str | None
    overrides_library: bool


async def import_year(uow: UnitOfWork, actor: Actor, text: str, *, now: datetime) -> YearImport:
    """Check and store a year file, with an audit entry; the caller commits. The same file
    again changes nothing and writes nothing."""
    arrangement = parse_year_file(text)
    digest = hashlib.sha256(text.encode()).hexdigest()
    overrides = arrangement.year in library_years()
    row = await uow.session.get(ImportedCalendarYear, arrangement.year, with_for_update=True)
    if row is not None and row.sha256 == digest:
        return YearImport(arrangement, "unchanged", overrides)
    previous = row.sha256 if row is not None else None
    if row is None:
        row = ImportedCalendarYear(year=arrangement.year)
        uow.session.add(row)
    row.notice = arrangement.notice
    row.holidays = {d.isoformat(): n for d, n in arrangement.holidays.items()}
    row.working_days = {d.isoformat(): n for d, n in arrangement.working_days.items()}
    row.source_text = text
    row.sha256 = digest
    row.imported_at = now
    row.imported_by = actor.label
    row.imported_by_id = actor.id
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        # another import of the same year committed first
        raise Conflict(
            f"{arrangement.year} was imported by someone else at the same moment; "
            "look at what is stored and import again",
            year=arrangement.year,
        ) from None
    await audit.record(
        uow,
        actor,
        "calendar:imported",
        "calendar_year",
        arrangement.year,
        {
            "notice": arrangement.notice,
            "sha256": digest,
            "replaces_sha256": previous,
            "overrides_library": overrides,
            "holidays": row.holidays,
            "working_days": row.working_days,
        },
    )
    return YearImport(arrangement, "created" if previous is None else "replaced", overrides)


def _arrangement(row: ImportedCalendarYear) -> CalendarYear:
    return CalendarYear(
        year=row.year,
        holidays={date.fromisoformat(d): n for d, n in row.holidays.items()},
        working_days={date.fromisoformat(d): n for d, n in row.working_days.items()},
        source=IMPORTED,
        notice=row.notice,
    )


async def imported_years(uow: UnitOfWork) -> Sequence[ImportedCalendarYear]:
    return (await uow.session.scalars(select(ImportedCalendarYear).order_by(ImportedCalendarYear.year))).all()


async def known_years(uow: UnitOfWork) -> list[KnownYear]:
    """Every year the calendar knows, oldest first, with where its days come from."""
    library = library_years()
    known: dict[int, KnownYear] = {
        year: KnownYear(year, a.source, a.notice, len(a.holidays), len(a.working_days), None, None, False)
        for year, a in library.items()
    }
    for row in await imported_years(uow):
        known[row.year] = KnownYear(
            row.year,
            IMPORTED,
            row.notice,
            len(row.holidays),
            len(row.working_days),
            row.imported_at,
            row.imported_by,
            row.year in library,
        )
    return [known[year] for year in sorted(known)]


async def year_of(uow: UnitOfWork, year: int) -> CalendarYear:
    """One year's days as the calendar uses them."""
    row = await uow.session.get(ImportedCalendarYear, year)
    if row is not None:
        return _arrangement(row)
    if year in library_years():
        return library_years()[year]
    raise NotFound(
        f"{year} is not known: import it with `market calendar import FILE` (docs/calendar.md)", year=year
    )


class Calendars:
    """The process's :class:`WorkingCalendar`, rebuilt when the imported years change."""

    def __init__(self) -> None:
        self._fingerprint: str | None = None
        self._calendar: WorkingCalendar | None = None

    async def current(self, uow: UnitOfWork) -> WorkingCalendar:
        fingerprint = await uow.session.scalar(
            select(
                func.coalesce(
                    func.string_agg(
                        cast(ImportedCalendarYear.year, String) + ":" + ImportedCalendarYear.sha256,
                        aggregate_order_by(literal(","), ImportedCalendarYear.year),
                    ),
                    "",
                )
            )
        )
        if self._calendar is None or fingerprint != self._fingerprint:
            rows = await imported_years(uow)
            self._calendar = working_calendar(_arrangement(row) for row in rows)
            self._fingerprint = fingerprint
        return self._calendar


__all__ = [
    "IMPORTED",
    "LIBRARY",
    "Calendars",
    "KnownYear",
    "YearImport",
    "decode_year_file",
    "import_year",
    "known_years",
    "parse_year_file",
    "year_of",
]
