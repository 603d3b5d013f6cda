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


def clock_of(row: Procurement) -> ProcurementClock:
    return ProcurementClock(
        status=row.status,
        kind=str(row.kind),
        bid_deadline=row.bid_deadline,
        selection_time=row.selection_time,
        review_deadline=row.review_deadline,
    )


def reschedule(uow: UnitOfWork, row: Procurement) -> datetime | None:
    """Recompute and store ``row.next_check``; the caller flushes and commits."""
    row.next_check = next_check(clock_of(row))
    if row.next_check is not None:
        uow.note_next_check(row.next_check)
    return row.next_check
