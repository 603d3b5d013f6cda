"""Background work of one service process: APScheduler for timed jobs, plus a sealer that
wakes right after commits that wrote audit entries (and on the scheduler's tick as a
backstop, e.g. for entries written by another process)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from market import audit
from market.db import Database

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
    def __init__(self, database: Database, *, seal_interval_seconds: int) -> None:
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

    def start(self) -> None:
        self.sealer.start()
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        await self.sealer.stop()
