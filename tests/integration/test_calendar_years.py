"""Importing a year of the working-day calendar: stored, audited, and seen by the process's
calendar without a restart."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from market.audit import Actor
from market.calendar import UnknownCalendarYear
from market.calendar_years import Calendars, import_year, known_years, year_of
from market.db import Database
from market.errors import InvalidInput, NotFound
from market.models import AuditEntry, ImportedCalendarYear
from tests.registry_data import NOW
from tests.unit.test_calendar import EXAMPLE_2026, YEAR_2031

ADMIN = Actor(None, "admin.li", "10.0.0.7")  # the e2e tests import as a real user


async def _count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_imported_year_is_stored_audited_and_counted_in(database: Database) -> None:
    calendars = Calendars()
    async with database.unit_of_work() as uow:
        with pytest.raises(UnknownCalendarYear, match="2031"):
            (await calendars.current(uow)).is_working_day(date(2031, 1, 2))
        done = await import_year(uow, ADMIN, YEAR_2031, now=NOW)
        await uow.commit()
    assert (done.outcome, done.overrides_library) == ("created", False)
    async with database.unit_of_work() as uow:
        calendar = await calendars.current(uow)
        assert not calendar.is_working_day(date(2031, 1, 1))
        assert calendar.working_day_after(date(2031, 1, 21), 2) == date(2031, 1, 30)
        row = await uow.session.get(ImportedCalendarYear, 2031)
        entry = await uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar:imported"))
        assert row is not None and row.imported_at == NOW and row.imported_by == "admin.li"
        assert row.source_text == YEAR_2031 and row.holidays["2031-01-22"] == "春节"
        assert entry is not None
        assert (entry.object_type, entry.object_id, entry.actor_id, entry.client_address) == (
            "calendar_year", "2031", None, "10.0.0.7"
        )
        assert entry.payload["working_days"] == {"2031-01-19": "春节", "2031-02-08": "春节"}
        assert entry.payload["replaces_sha256"] is None and entry.payload["sha256"] == row.sha256


async def test_the_same_file_again_changes_nothing_and_writes_no_entry(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await import_year(uow, ADMIN, YEAR_2031, now=NOW)
        await uow.commit()
    entries = await _count(database, AuditEntry)
    async with database.unit_of_work() as uow:
        again = await import_year(uow, ADMIN, YEAR_2031, now=NOW)
        await uow.commit()
    assert again.outcome == "unchanged"
    assert await _count(database, AuditEntry) == entries


async def test_a_corrected_file_replaces_the_year_and_the_cached_calendar(database: Database) -> None:
    calendars = Calendars()
    async with database.unit_of_work() as uow:
        await import_year(uow, ADMIN, YEAR_2031, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        before = await calendars.current(uow)
        assert await calendars.current(uow) is before  # nothing changed: not rebuilt
    corrected = YEAR_2031.replace("last = 2031-01-28", "last = 2031-01-29")
    async with database.unit_of_work() as uow:
        done = await import_year(uow, ADMIN, corrected, now=NOW)
        await uow.commit()
    assert done.outcome == "replaced"
    async with database.unit_of_work() as uow:
        after = await calendars.current(uow)
        entries = (
            await uow.session.scalars(
                select(AuditEntry.payload)
                .where(AuditEntry.action == "calendar:imported")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert after is not before
    assert before.is_working_day(date(2031, 1, 29)) and not after.is_working_day(date(2031, 1, 29))
    assert entries[1]["replaces_sha256"] == entries[0]["sha256"]


async def test_an_imported_2026_overrides_the_librarys_and_the_listing_says_so(database: Database) -> None:
    async with database.unit_of_work() as uow:
        done = await import_year(uow, ADMIN, EXAMPLE_2026.read_text(encoding="utf-8"), now=NOW)
        await uow.commit()
    assert done.overrides_library
    async with database.unit_of_work() as uow:
        listed = {k.year: k for k in await known_years(uow)}
        days = await year_of(uow, 2026)
        library = await year_of(uow, 2025)
        with pytest.raises(NotFound, match="market calendar import"):
            await year_of(uow, 2031)
    assert listed[2026].source == "imported" and listed[2026].overrides_library
    assert listed[2026].imported_by == "admin.li" and listed[2026].days_off == 33
    assert listed[2025].source.startswith("chinese_calendar ") and listed[2025].imported_at is None
    assert 2031 not in listed
    assert days.holidays[date(2026, 2, 17)] == "春节" and days.notice.startswith("国务院办公厅")
    assert library.source.startswith("chinese_calendar")


async def test_a_bad_file_writes_nothing(database: Database) -> None:
    before = (await _count(database, ImportedCalendarYear), await _count(database, AuditEntry))
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="working day anyway"):
            await import_year(uow, ADMIN, YEAR_2031.replace("2031-02-08", "2031-02-07"), now=NOW)
    assert (await _count(database, ImportedCalendarYear), await _count(database, AuditEntry)) == before
