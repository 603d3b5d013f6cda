"""The running service issues an award's notices within seconds of the step that made them
due: the notice issuer runs at start (notices left while no process ran), after every
lifecycle pass, and after every commit that stored a next check (an award opening on a
contractor's confirmation, outside the lifecycle)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from market.clock import FixedClock
from market.db import Database
from market.lifecycle import Advanced
from market.scheduler import BackgroundWork

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def test_notices_are_issued_at_start_after_each_lifecycle_pass_and_after_a_next_check(
    database: Database,
) -> None:
    issued = asyncio.Event()
    passes: list[datetime] = []

    async def issue(now: datetime) -> int:
        issued.set()
        return 0

    async def advance(now: datetime) -> Advanced:
        passes.append(now)
        return Advanced()

    work = BackgroundWork(
        database, seal_interval_seconds=3600, clock=FixedClock(NOW), advance=advance, issue_notices=issue
    )
    assert work.alarm is not None
    work.start()
    try:
        await asyncio.wait_for(issued.wait(), 10)  # at start
        await work.alarm.settled()
        issued.clear()
        seen = len(passes)
        work.alarm.wake()
        await asyncio.wait_for(issued.wait(), 10)  # after the pass
        assert len(passes) > seen
        await work.alarm.settled()
        issued.clear()
        database.next_check_committed(NOW)  # what a commit storing a next check announces
        await asyncio.wait_for(issued.wait(), 10)
    finally:
        await work.stop()
