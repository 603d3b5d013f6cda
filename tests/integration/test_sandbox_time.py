"""Sandbox time's anchor in the database: processes starting on one database read the same
clock; a new factor continues from the sandbox time reached, never back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from market.clock import AcceleratedClock, FixedClock, SystemClock
from market.db import Database
from market.models import AuditEntry
from market.sandbox_time import ANCHOR_ACTION, anchor, clock_for, stored_anchor
from market.settings import Settings

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


async def test_processes_on_one_database_share_one_anchor(database: Database) -> None:
    first = await stored_anchor(database, 1440, START)
    later = await stored_anchor(database, 1440, START + timedelta(minutes=3))  # another process
    assert later == first and first.real == first.virtual == START
    async with database.sessions() as session:
        stored = await session.scalar(select(func.count()).where(AuditEntry.action == ANCHOR_ACTION))
    assert stored == 1


async def test_a_new_factor_continues_from_the_sandbox_time_reached(database: Database) -> None:
    await stored_anchor(database, 1440, START)
    moved = await stored_anchor(database, 60, START + timedelta(minutes=2))
    assert moved.virtual == START + timedelta(days=2) and moved.real == START + timedelta(minutes=2)
    assert moved.virtual_at(START + timedelta(minutes=3)) == START + timedelta(days=2, hours=1)


async def test_the_app_clock_is_anchored_from_the_origin_or_the_database(database: Database) -> None:
    assert isinstance(clock_for(Settings()), SystemClock)
    origin = Settings(environment="training", time_acceleration=1440, time_origin=START)
    clock = clock_for(origin)
    assert isinstance(clock, AcceleratedClock)
    clock.real = FixedClock(START + timedelta(minutes=1))
    await anchor(clock, origin, database)
    assert clock.now() == START + timedelta(days=1)

    stored = Settings(environment="training", time_acceleration=1440)
    clock = clock_for(stored)
    assert isinstance(clock, AcceleratedClock)
    clock.real = FixedClock(START)
    await anchor(clock, stored, database)
    assert clock.now() == START
