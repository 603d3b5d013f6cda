"""The chronograph on real PostgreSQL: due procurements advance in due order, each step once
and audited with its rule and due time; a procurement another process holds is skipped and
taken on the next pass; two instances on one database never advance one twice; missed
deadlines are caught up at start; the alarm re-arms when a commit brings a deadline nearer."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, text

from market import lifecycle
from market.clock import FixedClock
from market.db import Database
from market.models import AuditEntry, Procurement, SelectionRecordRow
from market.principal import Principal
from market.procurement.states import ProcurementStatus
from market.scheduler import DeadlineAlarm
from tests.bid_data import BID_KEY, DEADLINE, PUBLISHED_AT, TERMS, amount, bidder, owner, submit_bid
from tests.conftest import ClonedDatabase
from tests.lifecycle_data import owner_reveals, published_for_draw
from tests.registry_data import VOCABULARY

# without enough bids the freeze fails the procurement (流标): the chain at the deadline
STEP_ACTIONS = ("procurement:bidding_closed", "procurement:opened", "procurement:failed")
CHAIN = ("close_bidding", "open", "freeze")


def _advancing(database: Database) -> Any:
    async def run(now: datetime) -> lifecycle.Advanced:
        return await lifecycle.advance(database, BID_KEY, now, vocabulary=VOCABULARY, terms=TERMS)

    return run


async def _publish_due(database: Database, buyer: Principal, hours: list[int]) -> list[Procurement]:
    """Published procurements whose deadlines are DEADLINE + each of ``hours``."""
    return [
        await published_for_draw(
            database,
            buyer,
            bid_deadline=DEADLINE + timedelta(hours=h),
            selection_time=DEADLINE + timedelta(days=1, hours=h),
        )
        for h in hours
    ]


async def _step_entries(database: Database) -> list[AuditEntry]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.in_(STEP_ACTIONS)).order_by(AuditEntry.id)
            )
        )


async def test_due_procurements_advance_in_due_order_each_step_once(database: Database) -> None:
    buyer = await owner(database)
    late, first, middle, not_yet = await _publish_due(database, buyer, [2, 0, 1, 5])
    advance = _advancing(database)

    done = await advance(DEADLINE + timedelta(hours=3))
    assert [(t.procurement_id, t.action) for t in done.steps] == [
        (p.id, action) for p in (first, middle, late) for action in CHAIN
    ]
    assert [o.procurement_id for o in done.opened] == [first.id, middle.id, late.id]
    # again at the same time, or later but before the next deadline: nothing moves twice
    assert await advance(DEADLINE + timedelta(hours=3)) == lifecycle.Advanced()
    assert await advance(DEADLINE + timedelta(hours=4)) == lifecycle.Advanced()

    entries = await _step_entries(database)
    assert Counter((e.object_id, e.action) for e in entries) == {
        (str(p.id), action): 1 for p in (first, middle, late) for action in STEP_ACTIONS
    }
    closed = next(e for e in entries if e.object_id == str(middle.id) and e.action == STEP_ACTIONS[0])
    assert closed.payload["cause"]["rule"] == "bid_deadline"
    assert closed.payload["cause"]["action"] == "close_bidding"
    assert datetime.fromisoformat(closed.payload["cause"]["due_at"]) == DEADLINE + timedelta(hours=1)
    async with database.sessions() as session:
        rows = {r.id: r for r in await session.scalars(select(Procurement))}
    assert rows[middle.id].status is ProcurementStatus.FAILED and rows[middle.id].next_check is None
    assert rows[not_yet.id].status is ProcurementStatus.PUBLISHED
    assert rows[not_yet.id].next_check == DEADLINE + timedelta(hours=5)


async def test_a_procurement_another_process_holds_is_skipped_then_taken(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    held, free = await _publish_due(database, buyer, [0, 0])
    advance = _advancing(database)
    other = Database.connect(fresh_database.url, pool_size=1)
    try:
        async with other.engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(
                text("SELECT 1 FROM procurement WHERE id = :id FOR UPDATE"), {"id": held.id}
            )
            while_held = await advance(DEADLINE)
            await transaction.rollback()
    finally:
        await other.dispose()
    assert {t.procurement_id for t in while_held.steps} == {free.id}
    after = await advance(DEADLINE)
    assert [(t.procurement_id, t.action) for t in after.steps] == [(held.id, action) for action in CHAIN]


async def test_two_instances_on_one_database_advance_each_procurement_once(
    fresh_database: ClonedDatabase,
) -> None:
    seed = fresh_database.database
    buyer = await owner(seed)
    rows = await _publish_due(seed, buyer, [0] * 16 + [1] * 8)
    for n, row in enumerate(rows[:3]):
        await submit_bid(seed, await bidder(seed, 500 + n), row.id, amount("150000.00"))

    instances = [Database.connect(fresh_database.url, pool_size=3) for _ in range(2)]
    schedulers = [AsyncIOScheduler(timezone="UTC") for _ in instances]
    try:
        alarms = [
            DeadlineAlarm(scheduler, db, FixedClock(DEADLINE + timedelta(hours=2)), _advancing(db))
            for scheduler, db in zip(schedulers, instances, strict=True)
        ]
        for scheduler in schedulers:
            scheduler.start(paused=True)
        results = await asyncio.gather(*(alarm.pass_once() for alarm in alarms))
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=False)
        for db in instances:
            await db.dispose()

    taken = [(t.procurement_id, t.action) for result in results for t in result.steps]
    assert Counter(taken) == {(row.id, action): 1 for row in rows for action in CHAIN}
    entries = await _step_entries(seed)
    assert Counter((e.object_id, e.action) for e in entries) == {
        (str(row.id), action): 1 for row in rows for action in STEP_ACTIONS
    }
    opened_with_bids = [o for result in results for o in result.opened if o.procurement_id == rows[0].id]
    assert [len(o.entries) for o in opened_with_bids] == [1]


async def test_missed_deadlines_are_caught_up_at_start_in_order(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    second, first, future = await _publish_due(database, buyer, [1, 0, 48])
    # the service was down across both deadlines; it starts a day later
    clock = FixedClock(DEADLINE + timedelta(days=1))
    scheduler = AsyncIOScheduler(timezone="UTC")
    seen: list[lifecycle.Advanced] = []
    advance = _advancing(database)

    async def recording(now: datetime) -> lifecycle.Advanced:
        seen.append(await advance(now))
        return seen[-1]

    alarm = DeadlineAlarm(scheduler, database, clock, recording)
    scheduler.start(paused=True)
    try:
        alarm.start()
        await alarm.settled()
        assert [(t.procurement_id, t.action) for t in seen[0].steps] == [
            (p.id, action) for p in (first, second) for action in CHAIN
        ]
        # armed for what is left
        job = scheduler.get_job(DeadlineAlarm.JOB)
        assert alarm.armed_at == DEADLINE + timedelta(hours=48)
        assert job is not None and job.next_run_time == DEADLINE + timedelta(hours=48)
    finally:
        await alarm.stop()
        scheduler.shutdown(wait=False)
    assert future.next_check == DEADLINE + timedelta(hours=48)


async def test_the_alarm_re_arms_when_a_commit_brings_a_deadline_nearer(database: Database) -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    alarm = DeadlineAlarm(scheduler, database, FixedClock(PUBLISHED_AT), _advancing(database))
    scheduler.start(paused=True)
    try:
        alarm.start()
        await alarm.settled()
        assert alarm.armed_at is None and scheduler.get_job(DeadlineAlarm.JOB) is None

        buyer = await owner(database)
        await _publish_due(database, buyer, [5])  # publish commits a next check: the alarm hears it
        assert alarm.armed_at == DEADLINE + timedelta(hours=5)
        await _publish_due(database, buyer, [2])  # nearer: re-armed
        await _publish_due(database, buyer, [9])  # later: left alone
        job = scheduler.get_job(DeadlineAlarm.JOB)
        assert alarm.armed_at == DEADLINE + timedelta(hours=2)
        assert job is not None and job.next_run_time == DEADLINE + timedelta(hours=2)
    finally:
        await alarm.stop()
        scheduler.shutdown(wait=False)


async def test_the_whole_chain_runs_by_itself_from_the_deadline_to_the_selection(database: Database) -> None:
    buyer = await owner(database)
    [row] = await _publish_due(database, buyer, [0])
    for n in range(3):
        await submit_bid(database, await bidder(database, 600 + n), row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)

    at_deadline = await advance(DEADLINE)
    assert [t.action for t in at_deadline.steps] == list(CHAIN)
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
    assert frozen is not None and frozen.status is ProcurementStatus.FROZEN
    assert frozen.next_check == frozen.selection_time
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))

    selection_time = frozen.selection_time
    assert await advance(selection_time - timedelta(seconds=1)) == lifecycle.Advanced()
    at_selection = await advance(selection_time)
    assert [(t.action, t.due_at) for t in at_selection.steps] == [("select", selection_time)]
    assert await advance(selection_time + timedelta(hours=1)) == lifecycle.Advanced()
    async with database.sessions() as session:
        selected = await session.get(Procurement, row.id, populate_existing=True)
        records = list(await session.scalars(select(SelectionRecordRow)))
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "procurement:selected"))
    assert selected is not None and selected.status is ProcurementStatus.SELECTED
    assert selected.next_check == selected.publicity_ends_at is not None  # the award, after publicity
    assert [(r.procurement_id, r.outcome) for r in records] == [(row.id, "selected")]
    assert entry is not None and entry.payload["cause"]["rule"] == "selection_time"


async def test_a_freeze_run_after_the_selection_time_leaves_the_selection_to_a_later_pass(
    database: Database,
) -> None:
    """Down past the selection time: the pass that freezes does not also select at the same
    instant (its beacon would not come after the reveal window the freeze opened); the next
    pass does, once, without an error."""
    buyer = await owner(database)
    [row] = await _publish_due(database, buyer, [0])
    for n in range(3):
        await submit_bid(database, await bidder(database, 700 + n), row.id, amount(f"{160000 + n * 1000}.00"))
    advance = _advancing(database)
    late = row.selection_time + timedelta(hours=1)

    first = await advance(late)
    assert [t.action for t in first.steps] == list(CHAIN) and first.failed == []
    second = await advance(late + timedelta(seconds=1))
    assert [t.action for t in second.steps] == ["select"] and second.failed == []
    assert await advance(late + timedelta(seconds=2)) == lifecycle.Advanced()
    async with database.sessions() as session:
        stored = await session.get(Procurement, row.id, populate_existing=True)
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "procurement:failed"))
    # the owner never had a window to reveal in: the platform alone may not draw (spec §3.5),
    # so the draw fails (流标) rather than running on the platform's secret and its own chain
    assert stored is not None and stored.status is ProcurementStatus.FAILED
    assert entry is not None and entry.payload["failure"]["code"] == "insufficient_contributions"
