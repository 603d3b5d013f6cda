"""Background work of one service process: APScheduler for timed jobs, plus a sealer that
wakes right after commits that wrote audit entries (and on the scheduler's tick as a
backstop, e.g. for entries written by another process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from market import audit
from market.clock import Clock, SystemClock
from market.db import Database
from market.registry import admission

log = logging.getLogger("market.scheduler")


class AuditSealer:
    """Coalesces wake-ups: many commits in a burst give one sealing pass."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        database.on_audit_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await audit.seal_pending(self.database)
            except Exception:  # keep sealing later; the scheduler tick retries too
                log.exception("sealing the audit log failed")
                await asyncio.sleep(1)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="audit-sealer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # leave nothing unsealed behind us
        with contextlib.suppress(Exception):
            await audit.seal_pending(self.database)


class BackgroundWork:
    def __init__(
        self,
        database: Database,
        *,
        seal_interval_seconds: int,
        clock: Clock | None = None,
        advance: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> None:
        self.database = database
        self.clock = clock or SystemClock()
        self.sealer = AuditSealer(database)
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.sealer.wake,
            "interval",
            seconds=seal_interval_seconds,
            id="audit-seal",
            max_instances=1,
            coalesce=True,
        )
        # Eligibility never waits for this: a suspension counts only until its end. The job
        # writes the end down so that lists and histories read right.
        self.scheduler.add_job(
            self.lift_expired_suspensions,
            "interval",
            minutes=1,
            id="lift-expired-suspensions",
            max_instances=1,
            coalesce=True,
        )

        # Closing bidding and opening the bids (market.lifecycle). A bid's timeliness never
        # waits for this job (the bid service checks the deadline itself); a tick only sets
        # how soon after the deadline the opening list appears.
        self.advance = advance
        if advance is not None:
            self.scheduler.add_job(
                self.advance_procurements,
                "interval",
                seconds=15,
                id="advance-procurements",
                max_instances=1,
                coalesce=True,
            )

    async def advance_procurements(self) -> None:
        if self.advance is None:
            return
        try:
            await self.advance(self.clock.now())
        except Exception:  # the next tick tries again
            log.exception("advancing procurements failed")

    async def lift_expired_suspensions(self) -> list[int]:
        try:
            async with self.database.unit_of_work() as uow:
                lifted = await admission.lift_expired(uow, now=self.clock.now())
                await uow.commit()
        except Exception:  # the next tick tries again; eligibility does not depend on it
            log.exception("lifting expired suspensions failed")
            return []
        if lifted:
            log.info("suspensions ended for firms %s", lifted)
        return lifted

    def start(self) -> None:
        self.sealer.start()
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.sealer.stop()
