"""Background work of one service process: APScheduler for timed jobs, a sealer that
wakes right after commits that wrote audit entries (and on the scheduler's tick as a
backstop, e.g. for entries written by another process), and the deadline alarm that runs
:func:`market.lifecycle.advance` at the earliest ``next_check``.

Every process runs all of it; several processes on one database are safe because each
step of :func:`market.lifecycle.advance` takes its procurement ``FOR UPDATE SKIP LOCKED``
and re-reads it (docs/deployment.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from market import audit, audit_checkpoints
from market.clock import Clock, SystemClock, wall_time
from market.db import Database
from market.lifecycle.runner import Advanced, earliest_check
from market.registry import admission

log = logging.getLogger("market.scheduler")


class AuditSealer:
    """Coalesces wake-ups: many commits in a burst give one sealing pass. After a wake-up it
    waits ``gather_seconds`` for the rest of the burst: a pass costs six round trips
    whatever it seals, and under a busy bid intake passes back to back sealed a handful of
    entries each, a tenth of the service's time (bench/bids.py)."""

    gather_seconds = 0.05

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
            await asyncio.sleep(self.gather_seconds)
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


class DeadlineAlarm:
    """One APScheduler date job armed at the earliest ``next_check`` this process knows of,
    plus a periodic sweep for times written by other processes.

    The jobs only wake a task (like :class:`AuditSealer`), so a wake-up during a pass is
    never lost to APScheduler's one-instance rule: the task makes another pass. A commit in
    this process that stores an earlier ``next_check`` (publish, amend, a lifecycle step)
    re-arms the job through :meth:`market.db.Database.on_next_check`. Each pass runs
    everything due, then arms at the earliest time left; the first pass, at start, catches
    up deadlines passed while no process ran.
    """

    JOB = "deadline-alarm"
    RETRY_JOB = "deadline-retry"

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        database: Database,
        clock: Clock,
        advance: Callable[[datetime], Awaitable[Advanced]],
        *,
        sweep_seconds: float = 15,
        retry_seconds: float = 2,
    ) -> None:
        self.scheduler = scheduler
        self.database = database
        self.clock = clock
        self.advance = advance
        self.retry_seconds = retry_seconds
        self.armed_at: datetime | None = None  # in the platform's (possibly accelerated) time
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        scheduler.add_job(
            self.wake, "interval", seconds=sweep_seconds, id="deadline-sweep", max_instances=1, coalesce=True
        )

    def wake(self) -> None:
        self._wake.set()
        self._idle.clear()

    async def settled(self) -> None:
        """Wait until no pass runs or is asked for (tests await this instead of sleeping)."""
        await self._idle.wait()

    def poke(self, at: datetime) -> None:
        """A ``next_check`` of ``at`` was committed: arm for it if it is earlier."""
        if self.armed_at is not None and self.armed_at <= at:
            return
        self.armed_at = at
        if at <= self.clock.now():
            self.wake()
            return
        self.scheduler.add_job(
            self.wake,
            "date",
            run_date=wall_time(self.clock, at),
            id=self.JOB,
            replace_existing=True,
            misfire_grace_time=None,  # late (a busy loop, a suspended laptop) still runs
        )

    async def pass_once(self) -> Advanced:
        """Advance everything due now, then arm at the earliest time left."""
        now = self.clock.now()
        self.armed_at = None  # this pass covers everything up to now
        result = await self.advance(now)
        earliest = await earliest_check(self.database)
        if earliest is not None and earliest > now:
            self.poke(earliest)
        elif earliest is not None and not result.failed:
            # still due: another process holds it, or a bid holds it FOR SHARE a moment
            self.scheduler.add_job(
                self.wake,
                "date",
                run_date=datetime.now(UTC) + timedelta(seconds=self.retry_seconds),
                id=self.RETRY_JOB,
                replace_existing=True,
            )
        # otherwise a step fails (logged by advance): the sweep tries again
        return result

    async def _run(self) -> None:
        while True:
            if not self._wake.is_set():
                self._idle.set()
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.pass_once()
            except Exception:  # the sweep tries again
                log.exception("advancing procurements failed")
                await asyncio.sleep(1)

    def start(self) -> None:
        self.database.on_next_check(self.poke)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="deadline-alarm")
        self.wake()  # catch up at start

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class NoticeIssuer:
    """Issues the award notices the lifecycle left pending
    (:func:`market.award.documents.issue_pending`), outside the procurement's lock. Woken
    after each lifecycle pass, after each commit that stored a next check (an award opens
    or is awarded in such a commit, whichever path it took), at start, and on a slow
    interval as a backstop; wake-ups during a pass give one more pass, never a lost one."""

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        database: Database,
        clock: Clock,
        issue: Callable[[datetime], Awaitable[int]],
        *,
        sweep_seconds: float = 30,
    ) -> None:
        self.database = database
        self.clock = clock
        self.issue = issue
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        scheduler.add_job(
            self.wake, "interval", seconds=sweep_seconds, id="notice-sweep", max_instances=1, coalesce=True
        )

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.issue(self.clock.now())
            except Exception:  # each notice's own failure is logged inside; this is the query
                log.exception("issuing pending notices failed")
                await asyncio.sleep(1)

    def start(self) -> None:
        self.database.on_next_check(self.wake)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="notice-issuer")
        self.wake()  # notices left pending while no process ran

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class BackgroundWork:
    def __init__(
        self,
        database: Database,
        *,
        seal_interval_seconds: int,
        clock: Clock | None = None,
        advance: Callable[[datetime], Awaitable[Advanced]] | None = None,
        issue_notices: Callable[[datetime], Awaitable[int]] | None = None,
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
        # a checkpoint of the chain at least daily (market.audit_checkpoints); hourly, so that
        # a process restarted now and then still publishes one within a day
        self.scheduler.add_job(
            self.publish_checkpoint,
            "interval",
            hours=1,
            id="audit-checkpoint",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        )

        # The chronograph (market.lifecycle): closing the bidding, the opening … at their
        # times. A bid's timeliness never waits for it (the bid service checks the deadline
        # itself); the alarm only sets how soon after the deadline the step is taken.
        self.notices = (
            NoticeIssuer(self.scheduler, database, self.clock, issue_notices)
            if issue_notices is not None
            else None
        )
        if advance is not None and self.notices is not None:
            advance = self._then_notices(advance, self.notices)
        self.alarm = (
            DeadlineAlarm(self.scheduler, database, self.clock, advance) if advance is not None else None
        )

    @staticmethod
    def _then_notices(
        advance: Callable[[datetime], Awaitable[Advanced]], notices: NoticeIssuer
    ) -> Callable[[datetime], Awaitable[Advanced]]:
        """A lifecycle pass, then a wake-up of the notices (a pass may open or award)."""

        async def run(now: datetime) -> Advanced:
            try:
                return await advance(now)
            finally:
                notices.wake()

        return run

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

    async def publish_checkpoint(self) -> None:
        try:
            await audit_checkpoints.publish_daily(self.database, self.clock.now())
        except Exception:  # the next hour tries again
            log.exception("publishing the audit checkpoint failed")

    def start(self) -> None:
        self.sealer.start()
        self.scheduler.start()
        if self.alarm is not None:
            self.alarm.start()
        if self.notices is not None:
            self.notices.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self.alarm is not None:
            await self.alarm.stop()
        if self.notices is not None:
            await self.notices.stop()
        await self.sealer.stop()
