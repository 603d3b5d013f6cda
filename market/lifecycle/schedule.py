"""Keeping ``procurement.next_check`` true: the one function every write of a procurement
calls (publish, amend, cancel in :mod:`market.procurement.service`, each lifecycle step).

The new time is also noted on the unit of work, which after its commit tells whoever
listens (the scheduler of this process re-arms its alarm if the time is earlier than the
one it waits for; :meth:`market.db.Database.on_next_check`).
"""

from __future__ import annotations

from datetime import datetime

from market.db import UnitOfWork
from market.lifecycle.events import ProcurementClock, next_check
from market.models import Procurement
from market.procurement.publication import pool_freeze_time
from market.procurement.states import Action, ProcurementStatus, transition
from market.procurement.terms import ProcurementTerms


class TermsNeeded(RuntimeError):
    """A published kind without bids is timed by its reference data (the pool's freeze lead):
    a caller that moves one there must pass the terms."""


def clock_of(row: Procurement, terms: ProcurementTerms | None = None) -> ProcurementClock:
    pool_freeze_at = None
    if row.bid_deadline is None and row.status is ProcurementStatus.PUBLISHED:
        if terms is None:
            raise TermsNeeded(f"procurement {row.id}: the pool's freeze time needs the kind's terms")
        pool_freeze_at = pool_freeze_time(row.selection_time, terms.of(row.kind))
    return ProcurementClock(
        status=row.status,
        kind=str(row.kind),
        bid_deadline=row.bid_deadline,
        selection_time=row.selection_time,
        review_deadline=row.review_deadline,
        pool_freeze_at=pool_freeze_at,
        offer_due_at=row.offer_due_at,
        publicity_ends_at=row.publicity_ends_at,
        objections_open=row.objections_open,
        limit_due_at=row.limit_due_at,
        redraw_freeze_at=row.redraw_freeze_at,
    )


def reschedule(uow: UnitOfWork, row: Procurement, terms: ProcurementTerms | None = None) -> datetime | None:
    """Recompute and store ``row.next_check``; the caller flushes and commits. ``terms`` is
    needed for a published kind without bids (see :class:`TermsNeeded`)."""
    row.next_check = next_check(clock_of(row, terms))
    if row.next_check is not None:
        uow.note_next_check(row.next_check)
    return row.next_check


async def move(uow: UnitOfWork, row: Procurement, event: Action, now: datetime) -> str:
    """Apply the lifecycle ``event`` to the locked ``row`` (status, next check) and flush, so
    the audit entry that follows sees it; the audit action the transition names."""
    change = transition(row.status, event, now=now, takes_bids=row.bid_deadline is not None)
    row.status = change.to
    row.updated_at = now
    reschedule(uow, row)
    await uow.session.flush()
    return change.audit_action
