"""Every time-limited action after a selection, kept as a ``time_limit`` row: who owes it
(owner, firm, supervisor), since when, by when, and when it was done — or flagged overdue
by the lifecycle, or no longer owed.

The services call :func:`start` when a party comes to owe an action and :func:`done` when
it acts (both in the caller's transaction); the lifecycle's ``flag_overdue`` step calls
:func:`flag_due`. Each keeps ``procurement.limit_due_at`` — the earliest due time of the
procurement's open limits not yet flagged — so that the lifecycle's clock, which reads the
row alone, wakes at it. Supervisors' overdue lists and the on-time rate read the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import func, select, update

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.lifecycle.schedule import reschedule
from market.models import Procurement, TimeLimit

LimitAction = Literal[
    "objection_answer",  # the owner answers an objection (subject objection:ID)
    "complaint_decision",  # a supervisor decides a complaint (objection:ID)
    "contract_owner",  # the owner confirms the contract (award:ID)
    "contract_firm",  # the firm confirms it (award:ID)
    "acceptance",  # the owner accepts or returns a delivery (delivery:ID)
    "evaluation",  # the owner evaluates the accepted service or works (award:ID)
    "evaluation_decision",  # a supervisor decides a firm's objection to its evaluation (evaluation:ID)
]
LIMIT_ACTIONS: tuple[LimitAction, ...] = get_args(LimitAction)
Party = Literal["owner", "firm", "supervisor"]

#: What each limit is called where people read it.
LABELS: Mapping[LimitAction, str] = {
    "objection_answer": "质疑答复",
    "complaint_decision": "投诉处理",
    "contract_owner": "采购人确认合同",
    "contract_firm": "中选单位确认合同",
    "acceptance": "验收",
    "evaluation": "服务评价",
    "evaluation_decision": "评价异议处理",
}

LIMIT_ACTOR = Actor.system("时限监控（系统）")


def subject_of(kind: str, subject_id: int) -> str:
    return f"{kind}:{subject_id}"


def on_time(limit: TimeLimit) -> bool | None:
    """Whether the action was done in time: None while it is still owed (or was cancelled)."""
    if limit.done_at is None:
        return None
    return limit.done_at <= limit.due_at


async def start(
    uow: UnitOfWork,
    row: Procurement,
    action: LimitAction,
    subject: str,
    party: Party,
    *,
    started_at: datetime,
    due_at: datetime,
) -> TimeLimit:
    """``party`` owes ``action`` on ``subject`` from ``started_at`` until ``due_at``."""
    limit = TimeLimit(
        procurement_id=row.id,
        action=action,
        subject=subject,
        party=party,
        started_at=started_at,
        due_at=due_at,
    )
    uow.session.add(limit)
    await uow.session.flush()
    await refresh(uow, row)
    return limit


async def done(uow: UnitOfWork, row: Procurement, action: LimitAction, subject: str, at: datetime) -> None:
    """The owed ``action`` on ``subject`` was done at ``at`` (late or not: the row says)."""
    await uow.session.execute(
        update(TimeLimit)
        .where(
            TimeLimit.subject == subject,
            TimeLimit.action == action,
            TimeLimit.done_at.is_(None),
            TimeLimit.cancelled_at.is_(None),
        )
        .values(done_at=at)
    )
    await refresh(uow, row)


async def cancel(
    uow: UnitOfWork, row: Procurement, at: datetime, *, subjects: Sequence[str] | None = None
) -> None:
    """The open limits of ``row`` (or only those on ``subjects``) are no longer owed: the
    award was voided or replaced, the procurement failed."""
    query = update(TimeLimit).where(
        TimeLimit.procurement_id == row.id, TimeLimit.done_at.is_(None), TimeLimit.cancelled_at.is_(None)
    )
    if subjects is not None:
        query = query.where(TimeLimit.subject.in_(list(subjects)))
    await uow.session.execute(query.values(cancelled_at=at))
    await refresh(uow, row)


async def refresh(uow: UnitOfWork, row: Procurement) -> None:
    """Store the earliest due time of ``row``'s open, unflagged limits and reschedule."""
    row.limit_due_at = await uow.session.scalar(
        select(func.min(TimeLimit.due_at)).where(
            TimeLimit.procurement_id == row.id,
            TimeLimit.done_at.is_(None),
            TimeLimit.cancelled_at.is_(None),
            TimeLimit.flagged_at.is_(None),
        )
    )
    reschedule(uow, row)
    await uow.session.flush()


async def flag_due(uow: UnitOfWork, row: Procurement, now: datetime) -> list[TimeLimit]:
    """The lifecycle step ``flag_overdue``: every open limit of ``row`` due by ``now`` is
    flagged (listed to supervisors) and audited ``limit:overdue``; the status stays."""
    due = list(
        await uow.session.scalars(
            select(TimeLimit)
            .where(
                TimeLimit.procurement_id == row.id,
                TimeLimit.done_at.is_(None),
                TimeLimit.cancelled_at.is_(None),
                TimeLimit.flagged_at.is_(None),
                TimeLimit.due_at <= now,
            )
            .order_by(TimeLimit.due_at, TimeLimit.id)
        )
    )
    for limit in due:
        limit.flagged_at = now
    await uow.session.flush()
    await audit.record_many(
        uow,
        LIMIT_ACTOR,
        [
            (
                "limit:overdue",
                "procurement",
                row.id,
                {
                    "reference": row.reference,
                    "limit_id": limit.id,
                    "action": limit.action,
                    "subject": limit.subject,
                    "party": limit.party,
                    "due_at": limit.due_at,
                },
            )
            for limit in due
        ],
    )
    await refresh(uow, row)
    return due


async def open_limits(uow: UnitOfWork, procurement_id: int) -> list[TimeLimit]:
    """What ``procurement_id`` still owes, earliest first (its pages show them)."""
    return list(
        await uow.session.scalars(
            select(TimeLimit)
            .where(
                TimeLimit.procurement_id == procurement_id,
                TimeLimit.done_at.is_(None),
                TimeLimit.cancelled_at.is_(None),
            )
            .order_by(TimeLimit.due_at, TimeLimit.id)
        )
    )
