"""Credit scores (信用分), 0–100, made of recorded parts.

A firm's score is its credit events folded in the order they were recorded: each one
moves the score by its amount, kept between 0 and 100 (``score = clamp(score + delta)``),
so a deduction always takes effect on the score as it stands. The first event is the base
of the policy; owners' service evaluations, on-time or late performance, misconduct
deductions and administrators' corrections follow, each with its cause and the record it
came from. The firm row keeps the current score for fast eligibility; :func:`statement`
shows it beside the score rebuilt from the events, so a supervisor can see why a score is
what it is and that nothing else moved it. The policy lives in ``reference/registry.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput
from market.models import (
    CreditCause,
    CreditEvent,
    Firm,
    Misconduct,
    MisconductSeverity,
    ServiceEvaluation,
)
from market.principal import Principal
from market.registry import admission_rules, limits
from market.registry.admission import ensure_may_see_internals, load_firm, standing_of, write_change
from market.registry.vocabulary import CreditPolicy

HUNDRED = Decimal("100.00")
ZERO = Decimal("0.00")


def fold(deltas: Iterable[Decimal]) -> Decimal:
    """The score a sequence of credit events gives, starting from nothing."""
    score = ZERO
    for delta in deltas:
        score = clamp(score + delta)
    return score


def clamp(total: Decimal) -> Decimal:
    """The score a total of credit events gives: between 0 and 100, two places."""
    return min(max(total, ZERO), HUNDRED).quantize(Decimal("0.01"))


def base_event_values(policy: CreditPolicy, *, actor: Actor, now: datetime) -> dict[str, Any]:
    """The first credit event of every firm, as column values: the policy's base, and the
    score it gives kept between 0 and 100 like every later event's
    (:func:`market.registry.new_firm.new_firm` writes it for both ways a firm is made)."""
    return {
        "cause": CreditCause.BASE,
        "delta": policy.base,
        "score_after": clamp(policy.base),
        "source_type": "",
        "source_id": "",
        "note": "基础分",
        "actor_label": actor.label,
        "occurred_at": now,
    }


async def change_score(
    uow: UnitOfWork,
    actor: Actor,
    firm: Firm,
    *,
    cause: CreditCause,
    delta: Decimal,
    now: datetime,
    source_type: str = "",
    source_id: str = "",
    note: str = "",
) -> CreditEvent:
    """Record one change with its cause and move the firm's score accordingly. The caller
    holds the firm's row lock, so that the score moved is the score stored."""
    after = clamp(firm.credit_score + delta)
    event = CreditEvent(
        firm_id=firm.id,
        cause=cause,
        delta=delta,
        score_after=after,
        source_type=source_type,
        source_id=source_id,
        note=note,
        actor_label=actor.label,
        occurred_at=now,
    )
    uow.session.add(event)
    before = firm.credit_score
    firm.credit_score = after
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "credit:changed",
        "firm",
        firm.id,
        {
            "cause": cause,
            "delta": delta,
            "before": before,
            "after": firm.credit_score,
            "source": f"{source_type}:{source_id}" if source_type else "",
            "note": note,
        },
    )
    return event


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One credit event as the statement shows it: what moved the score, by how much, why."""

    id: int
    cause: CreditCause
    delta: Decimal
    score_after: Decimal
    source: str  # "table:id" of the record it came from, or empty
    note: str
    actor: str
    occurred_at: datetime

    @classmethod
    def of(cls, e: CreditEvent) -> CreditEntry:
        source = f"{e.source_type}:{e.source_id}" if e.source_type else ""
        return cls(e.id, e.cause, e.delta, e.score_after, source, e.note, e.actor_label, e.occurred_at)


@dataclass(frozen=True, slots=True)
class CreditStatement:
    """A firm's score and every event behind it, oldest first."""

    firm_id: int
    score: Decimal
    recomputed: Decimal
    events: tuple[CreditEntry, ...]

    @property
    def consistent(self) -> bool:
        return self.score == self.recomputed


async def statement(uow: UnitOfWork, reader: Principal, firm_id: int) -> CreditStatement:
    """The score as stored and as rebuilt from the events, with the events: for the firm
    itself and the officials."""
    ensure_may_see_internals(reader, firm_id)
    firm = await load_firm(uow, firm_id)
    events = (
        await uow.session.scalars(
            select(CreditEvent).where(CreditEvent.firm_id == firm_id).order_by(CreditEvent.id)
        )
    ).all()
    return CreditStatement(
        firm_id,
        firm.credit_score,
        fold(e.delta for e in events),
        tuple(CreditEntry.of(e) for e in events),
    )


# -- the causes -----------------------------------------------------------------------------
async def record_evaluation(
    uow: UnitOfWork,
    actor: Actor,
    firm_id: int,
    *,
    procurement_ref: str,
    rating: int,
    on_time: bool,
    comment: str = "",
    now: datetime,
    policy: CreditPolicy,
) -> ServiceEvaluation:
    """An owner's evaluation of a firm's work on one procurement (one per procurement):
    the rating and the punctuality each move the score by the policy's amount. The
    procurement lifecycle calls this when a contract is fulfilled."""
    if rating not in policy.evaluation:
        raise InvalidInput(f"rating is 1 (差) to 5 (优秀), not {rating}", field="rating")
    procurement_ref = procurement_ref.strip()
    if not procurement_ref:
        raise InvalidInput(
            "an evaluation belongs to a procurement (procurement_ref)", field="procurement_ref"
        )
    firm = await load_firm(uow, firm_id, for_update=True)
    evaluation = ServiceEvaluation(
        firm_id=firm.id,
        procurement_ref=procurement_ref,
        rating=rating,
        on_time=on_time,
        comment=comment.strip(),
        evaluator_id=actor.id,
        evaluated_at=now,
    )
    uow.session.add(evaluation)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError:
        raise Conflict(
            f"firm {firm_id} has already been evaluated for procurement {procurement_ref}",
            field="procurement_ref",
        ) from None
    source = ("service_evaluation", str(evaluation.id))
    await change_score(
        uow,
        actor,
        firm,
        cause=CreditCause.EVALUATION,
        delta=policy.evaluation[rating],
        now=now,
        source_type=source[0],
        source_id=source[1],
        note=f"项目 {procurement_ref} 服务评价 {rating} 星",
    )
    await change_score(
        uow,
        actor,
        firm,
        cause=CreditCause.PERFORMANCE,
        delta=policy.on_time if on_time else policy.late,
        now=now,
        source_type=source[0],
        source_id=source[1],
        note=f"项目 {procurement_ref} {'按期完成' if on_time else '未按期完成'}",
    )
    return evaluation


async def annul_evaluation(
    uow: UnitOfWork, actor: Actor, evaluation_id: int, *, reason: str, now: datetime
) -> list[CreditEvent]:
    """Take an annulled evaluation's effect off the firm's score (a supervisor upheld the
    firm's objection to it): each event it caused is answered by one of the same cause and
    source that moves the score back by what that event *actually* moved it (an event kept
    at 0 or 100 by the bounds moved it less than its amount), so the firm gets back exactly
    what the evaluation took, or gives back exactly what it gave. The caller makes sure an
    evaluation is annulled once."""
    evaluation = await uow.session.get(ServiceEvaluation, evaluation_id)
    if evaluation is None:
        raise InvalidInput(f"there is no service evaluation {evaluation_id}", field="evaluation_id")
    firm = await load_firm(uow, evaluation.firm_id, for_update=True)
    caused = (
        await uow.session.scalars(
            select(CreditEvent)
            .where(
                CreditEvent.firm_id == firm.id,
                CreditEvent.source_type == "service_evaluation",
                CreditEvent.source_id == str(evaluation_id),
            )
            .order_by(CreditEvent.id)
        )
    ).all()
    reversals = []
    for event in caused:
        before = await uow.session.scalar(
            select(CreditEvent.score_after)
            .where(CreditEvent.firm_id == firm.id, CreditEvent.id < event.id)
            .order_by(CreditEvent.id.desc())
            .limit(1)
        )
        moved = event.score_after - (before if before is not None else ZERO)
        if moved == 0:
            continue
        reversals.append(
            await change_score(
                uow,
                actor,
                firm,
                cause=event.cause,
                delta=-moved,
                now=now,
                source_type="service_evaluation",
                source_id=str(evaluation_id),
                note=f"项目 {evaluation.procurement_ref} 评价撤销：{reason.strip()[:80]}",
            )
        )
    return reversals


async def record_misconduct(
    uow: UnitOfWork,
    actor: Actor,
    firm_id: int,
    *,
    severity: MisconductSeverity,
    description: str,
    occurred_on: date,
    reference: str = "",
    now: datetime,
    policy: CreditPolicy,
) -> Misconduct:
    """A 不良行为记录: deducts the policy's amount and, when severe, suspends the firm for
    the policy's period (extending a shorter suspension already running)."""
    description = description.strip()
    if not description:
        raise InvalidInput("describe the misconduct (description)", field="description")
    if occurred_on > now.date() + timedelta(days=1):
        raise InvalidInput("the misconduct cannot have happened in the future", field="occurred_on")
    firm = await load_firm(uow, firm_id, for_update=True)
    suspended_until = None
    if severity is MisconductSeverity.SEVERE:
        suspended_until = now + timedelta(days=policy.severe_suspension_days)
    record = Misconduct(
        firm_id=firm.id,
        severity=severity,
        description=description,
        occurred_on=occurred_on,
        reference=reference.strip()[: limits.MISCONDUCT_REFERENCE],
        deduction=policy.misconduct[severity],
        suspended_until=suspended_until,
        recorded_by=actor.id,
        recorded_at=now,
    )
    uow.session.add(record)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "misconduct:recorded",
        "firm",
        firm.id,
        {
            "misconduct_id": record.id,
            "severity": severity,
            "description": description,
            "reference": reference,
        },
    )
    await change_score(
        uow,
        actor,
        firm,
        cause=CreditCause.MISCONDUCT,
        delta=policy.misconduct[severity],
        now=now,
        source_type="misconduct",
        source_id=str(record.id),
        note=f"不良行为记录：{description[:60]}",
    )
    if suspended_until is not None:
        await _suspend_for_misconduct(uow, actor, firm, record, suspended_until, now)
    return record


async def _suspend_for_misconduct(
    uow: UnitOfWork, actor: Actor, firm: Firm, record: Misconduct, until: datetime, now: datetime
) -> None:
    change = admission_rules.misconduct_suspension(
        standing_of(firm),
        until=until,
        reason=f"严重不良行为（记录 {record.id}）自动暂停 {(until - now).days} 天",
        now=now,
    )
    if change is not None:
        await write_change(uow, actor, firm, change, now=now)


async def adjust(
    uow: UnitOfWork, actor: Actor, firm_id: int, *, delta: Decimal, reason: str, now: datetime
) -> CreditEvent:
    """An administrator's correction, which must say why."""
    if not reason.strip():
        raise InvalidInput("a credit correction needs its reason", field="reason")
    if not delta.is_finite() or abs(delta) > HUNDRED or delta.quantize(Decimal("0.01")) == 0:
        raise InvalidInput(
            "a correction is a change of at least 0.01 and at most 100 points, up or down", field="delta"
        )
    firm = await load_firm(uow, firm_id, for_update=True)
    return await change_score(
        uow,
        actor,
        firm,
        cause=CreditCause.ADJUSTMENT,
        delta=delta.quantize(Decimal("0.01")),
        now=now,
        note=reason.strip(),
    )


_POINTS = re.compile(r"[+-]?[0-9]{1,12}(\.[0-9]+)?")


def parse_points(text: str, *, field: str = "delta") -> Decimal:
    """Points as a person writes them (``-2.5``, ``+3``, ``1.25``) as a Decimal of two
    places between -100 and 100. Plain digits only: ``Decimal`` alone would also take
    ``NaN``, ``Infinity`` and ``1E+1000000``, whose first comparison overflows the decimal
    context, so the text is checked before it becomes a number."""
    written = text.strip()
    if len(written) > 20 or not _POINTS.fullmatch(written):
        raise InvalidInput(f"{text[:20]!r} is not a number of points such as -2.50", field=field)
    points = Decimal(written)
    if -points.as_tuple().exponent > 2:  # type: ignore[operator]  # finite: an int exponent
        raise InvalidInput(f"{written} has more than two decimals", field=field)
    if not -HUNDRED <= points <= HUNDRED:
        raise InvalidInput(f"{written} is beyond the 100 points of the whole scale", field=field)
    return points.quantize(Decimal("0.01"))
