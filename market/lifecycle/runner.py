"""Advancing procurements whose time has come: :func:`advance`, what the scheduler calls.

Safe to run from several processes (and hosts) on one database at once. Each procurement is
taken in its own transaction with ``FOR UPDATE SKIP LOCKED`` from those whose
``next_check`` has passed, earliest first, and re-read under that lock; what to do is worked
out again from the re-read row (:func:`market.lifecycle.events.due_now`). So a procurement
another process holds is skipped, and one it has just advanced shows its new status and is
not advanced again. A bid holds its procurement ``FOR SHARE``: the deadline's step waits
for the next pass rather than for the bid. Whether a bid is in time never depends on this:
the bid service compares its own clock with the deadline; a late pass only delays the step.

Deadlines passed while no process ran are caught up by the first pass, in due order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from market.bidding.opening import Opened
from market.db import Database, UnitOfWork
from market.errors import MarketError
from market.lifecycle.events import Action, due_now, rule_of
from market.lifecycle.schedule import clock_of, reschedule
from market.lifecycle.steps import STEPS, StepContext
from market.models import Procurement
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey

log = logging.getLogger("market.lifecycle")


@dataclass(frozen=True, slots=True)
class Taken:
    """One step this pass took: which procurement, what, and the due time that caused it."""

    procurement_id: int
    action: Action
    due_at: datetime
    result: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Advanced:
    closed: list[int] = field(default_factory=list)
    opened: list[Opened] = field(default_factory=list)
    steps: list[Taken] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)  # left for the next pass, logged


class StuckStep(Exception):
    """A step that left its procurement where it was: a bug or inconsistent data, logged."""


async def _next_due(uow: UnitOfWork, now: datetime, passed_over: set[int]) -> Procurement | None:
    query = (
        select(Procurement)
        .where(Procurement.next_check <= now)
        .order_by(Procurement.next_check, Procurement.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if passed_over:
        query = query.where(Procurement.id.not_in(passed_over))
    row: Procurement | None = await uow.session.scalar(query)
    return row


async def _advance_one(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> list[Taken]:
    """Every step due on the locked ``row`` at ``now``, in order; then its next check."""
    taken: list[Taken] = []
    while (due := due_now(clock := clock_of(row, context.terms), now)) is not None:
        due_at, action = due
        before = row.status
        uow.audit_cause = {"rule": rule_of(clock, action), "action": action, "due_at": due_at, "run_at": now}
        result = await STEPS[action](uow, row, now, context)
        uow.audit_cause = None
        # a step that neither moves the status nor the time it fell due at would loop forever
        # (passing an offer on keeps the status ``confirming`` but moves its lapse time)
        if row.status is before and due_now(clock_of(row, context.terms), now) == due:
            raise StuckStep(f"lifecycle step {action} left procurement {row.id} {before.value}")
        taken.append(Taken(row.id, action, due_at, result))
        if action == "freeze":
            # the reveal window lies between the freeze and the selection: a freeze that runs
            # late (the service was down past the selection time) leaves the selection to a
            # later pass, whose time is after the window it opened (docs/draw-spec.md §3.3)
            break
    # also heals a stale next_check (written before a rule changed): nothing due, moved on
    reschedule(uow, row, context.terms)
    await uow.session.flush()
    return taken


async def advance(
    database: Database,
    bid_key: KeyEncryptionKey,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> Advanced:
    """Run every step due at ``now``, procurement by procurement in due order, each in its
    own transaction. One that fails (a missing key file, say) is rolled back, logged and
    tried again on the next pass, without holding up the others."""
    context = StepContext(bid_key, vocabulary, terms)
    taken: list[Taken] = []
    failed: list[int] = []
    resting: set[int] = set()
    while True:
        procurement_id: int | None = None
        try:
            async with database.unit_of_work() as uow:
                row = await _next_due(uow, now, set(failed) | resting)
                if row is None:
                    break
                procurement_id = row.id
                steps = await _advance_one(uow, row, now, context)
                await uow.commit()
            if any(t.action == "freeze" for t in steps):
                resting.add(row.id)  # not again in this pass (see _advance_one)
        except Exception as exc:
            if procurement_id is None:  # the database itself: the caller logs and retries
                raise
            # one procurement that cannot advance (a missing key file, a bug, odd data) must
            # not hold up the others: it is due first in every pass, so it is passed over
            if isinstance(exc, MarketError):
                log.error("advancing procurement %s failed: %s", procurement_id, exc.message)
            else:
                log.exception("advancing procurement %s failed", procurement_id)
            failed.append(procurement_id)
            continue
        taken += steps
    return Advanced(
        closed=[t.procurement_id for t in taken if t.action == "close_bidding"],
        opened=[t.result for t in taken if isinstance(t.result, Opened)],
        steps=taken,
        failed=failed,
    )


async def earliest_check(database: Database) -> datetime | None:
    """The earliest next_check of any procurement (the scheduler's alarm time)."""
    async with database.sessions() as session:
        earliest: datetime | None = await session.scalar(select(func.min(Procurement.next_check)))
        return earliest
