"""What supervisors are pointed at from the audit log (issue 14): every refused early read of
sealed bids (who tried, when, on which procurement) and every draw in which a party that had
committed withheld its reveal. The overdue answers, confirmations and evaluations are
:mod:`market.award.award_views`' list, the direct selections :mod:`market.direct`'s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market.db import UnitOfWork
from market.models import AuditEntry
from market.supervision.periods import Period

DRAW_OUTCOMES = ("procurement:selected", "procurement:failed", "procurement:offered")
MAX_ROWS = 500


@dataclass(frozen=True, slots=True)
class Alert:
    entry_id: int
    occurred_at: datetime
    actor: str
    object_type: str
    object_id: str
    details: dict[str, Any]


def _alert(entry: AuditEntry) -> Alert:
    return Alert(
        entry.id, entry.occurred_at, entry.actor_label, entry.object_type, entry.object_id, entry.payload
    )


async def early_reads(uow: UnitOfWork, period: Period) -> list[Alert]:
    """Refused attempts to read bids (or their history) before the opening, newest first."""
    rows = await uow.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "bid:early_read_refused",
            AuditEntry.occurred_at >= period.start,
            AuditEntry.occurred_at < period.end,
        )
        .order_by(AuditEntry.id.desc())
        .limit(MAX_ROWS)
    )
    return [_alert(e) for e in rows]


async def withheld_reveals(uow: UnitOfWork, period: Period) -> list[Alert]:
    """Draws (or failures) whose record names parties that committed and did not reveal."""
    rows = await uow.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action.in_(DRAW_OUTCOMES),
            AuditEntry.occurred_at >= period.start,
            AuditEntry.occurred_at < period.end,
            AuditEntry.payload["withheld"].astext.not_in(["[]", ""]),
            AuditEntry.payload.has_key("withheld"),
        )
        .order_by(AuditEntry.id.desc())
        .limit(MAX_ROWS)
    )
    return [_alert(e) for e in rows]
