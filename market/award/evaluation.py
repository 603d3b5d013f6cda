"""The owner's evaluation of the accepted service or works (服务评价), into the firm's credit,
and the firm's one objection to it, decided by a supervisor.

The evaluation goes through :func:`market.registry.credit.record_evaluation` — the rating
(the scores' mean) and the punctuality (the accepted delivery against the contract's end)
each move the firm's score by the registry's credit policy, with their cause — so the next
eligibility query and the next credit-weighted draw read the new score. The
``procurement_evaluation`` row keeps the scores per criterion beside it.

The firm may object once within ``evaluation_objection_working_days``; a supervisor (never
of the owner's organisation) then owes a decision within ``evaluation_decision_working_days``.
Upheld, the evaluation is annulled: its credit effect is taken back with its cause
(:func:`market.registry.credit.annul_evaluation`) and it no longer counts in scored draws.
Every refusal comes before a write; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.award import delivery_rules, limits
from market.award import evaluation_rules as rules
from market.award.evaluation_rules import EvaluationRefused
from market.award.records import current_award
from market.calendar_years import Calendars
from market.db import UnitOfWork
from market.errors import NotFound, PermissionDenied
from market.lifecycle.schedule import move
from market.models import Delivery, Organisation, Procurement, ProcurementEvaluation
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.registry import credit
from market.registry.vocabulary import CreditPolicy


async def evaluate(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    *,
    scores: Mapping[str, Any],
    comment: str,
    now: datetime,
    terms: ProcurementTerms,
    policy_: CreditPolicy,
) -> ProcurementEvaluation:
    """The owner evaluates the accepted delivery, once."""
    row = await service.load(uow, principal, procurement_id, lock=True)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) evaluates its procurement", procurement_id=procurement_id
        )
    done = await uow.session.scalar(
        select(ProcurementEvaluation).where(ProcurementEvaluation.procurement_id == row.id)
    )
    if done is not None:
        raise EvaluationRefused(
            f"procurement {row.reference} was evaluated already; an evaluation is made once",
            evaluation_id=done.id,
        )
    if row.status is not ProcurementStatus.ACCEPTED:
        raise EvaluationRefused(
            f"procurement {row.reference} is {row.status.label}: it is evaluated after the owner "
            "accepted the delivery (验收)",
            procurement_status=row.status.value,
        )
    checked = rules.checked_scores(terms.after.criteria, scores)
    text = rules.comment(comment)
    award = await current_award(uow, row.id, lock=True)
    accepted = await uow.session.scalar(
        select(Delivery)
        .where(Delivery.award_id == (award.id if award else -1), Delivery.decision == delivery_rules.ACCEPTED)
        .order_by(Delivery.sequence.desc())
        .limit(1)
    )
    assert award is not None and accepted is not None, "an accepted procurement has its accepted delivery"
    rating = rules.rating_of(checked)
    on_time = delivery_rules.on_time(accepted.submitted_at, accepted.due_at)
    recorded = await credit.record_evaluation(
        uow,
        actor,
        award.firm_id,
        procurement_ref=row.reference or str(row.id),
        rating=rating,
        on_time=on_time,
        comment=text,
        now=now,
        policy=policy_,
    )
    evaluation = ProcurementEvaluation(
        procurement_id=row.id,
        award_id=award.id,
        firm_id=award.firm_id,
        scores=checked,
        rating=rating,
        on_time=on_time,
        comment=text,
        evaluated_by=principal.user_id,
        evaluated_at=now,
        service_evaluation_id=recorded.id,
    )
    uow.session.add(evaluation)
    await uow.session.flush()
    await limits.done(uow, row, "evaluation", limits.subject_of("award", award.id), now)
    action = await move(uow, row, "evaluate", now)
    await audit.record(
        uow,
        actor,
        action,
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "evaluation_id": evaluation.id,
            "uscc": award.uscc,
            "scores": checked,
            "rating": rating,
            "on_time": on_time,
            "credit": {
                "rating": policy_.evaluation[rating],
                "punctuality": policy_.on_time if on_time else policy_.late,
            },
        },
    )
    return evaluation


async def objection_window_end(
    uow: UnitOfWork, evaluation: ProcurementEvaluation, terms: ProcurementTerms
) -> datetime:
    calendar = await Calendars().current(uow)
    return calendar.add_working_days(evaluation.evaluated_at, terms.after.evaluation_objection_working_days)


async def _locked(uow: UnitOfWork, evaluation_id: int) -> tuple[ProcurementEvaluation, Procurement]:
    found = await uow.session.get(ProcurementEvaluation, evaluation_id)
    if found is None:
        raise NotFound(f"there is no evaluation {evaluation_id}", evaluation_id=evaluation_id)
    row = await uow.session.scalar(
        select(Procurement).where(Procurement.id == found.procurement_id).with_for_update()
    )
    assert row is not None  # the foreign key
    await uow.session.refresh(found, with_for_update=True)
    return found, row


async def object_to(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    evaluation_id: int,
    *,
    grounds: str,
    now: datetime,
    terms: ProcurementTerms,
) -> ProcurementEvaluation:
    """The evaluated firm objects, once, in time; a supervisor then owes the decision."""
    found, row = await _locked(uow, evaluation_id)
    if not policy.acts_for_firm(principal, found.firm_id):
        # another firm does not learn that the evaluation exists
        raise NotFound(f"there is no evaluation {evaluation_id} of your firm", evaluation_id=evaluation_id)
    rules.check_objection(
        objected_at=found.objected_at,
        window_ends=await objection_window_end(uow, found, terms),
        annulled=found.objection_decision == "upheld",
        now=now,
        evaluation_id=found.id,
    )
    text = rules.grounds(grounds)
    calendar = await Calendars().current(uow)
    found.objection_grounds, found.objected_by, found.objected_at = text, principal.user_id, now
    found.objection_due_at = calendar.add_working_days(now, terms.after.evaluation_decision_working_days)
    await uow.session.flush()
    await limits.start(
        uow,
        row,
        "evaluation_decision",
        limits.subject_of("evaluation", found.id),
        "supervisor",
        started_at=now,
        due_at=found.objection_due_at,
    )
    await audit.record(
        uow,
        actor,
        "evaluation:objected",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "evaluation_id": found.id,
            "grounds": text,
            "due_at": found.objection_due_at,
        },
    )
    return found


async def decide(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    evaluation_id: int,
    *,
    decision: str,
    note: str,
    now: datetime,
) -> ProcurementEvaluation:
    """A supervisor outside the owner's organisation decides the firm's objection: upheld
    annuls the evaluation and takes its credit effect back; dismissed leaves it standing."""
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("a supervisor (监督) decides objections to evaluations")
    found, row = await _locked(uow, evaluation_id)
    if not policy.may_decide_for(principal, row.owner_organisation_id):
        raise PermissionDenied("an objection is decided outside the organisation that evaluated")
    text = rules.check_decision(
        decision,
        note,
        objected=found.objected_at is not None,
        decided=found.objection_decision,
        evaluation_id=found.id,
    )
    found.objection_decision, found.objection_note = decision, text
    found.decided_by, found.decided_at = principal.user_id, now
    await uow.session.flush()
    reversed_by: list[str] = []
    if decision == "upheld" and found.service_evaluation_id is not None:
        events = await credit.annul_evaluation(
            uow, actor, found.service_evaluation_id, reason=text or "评价异议成立", now=now
        )
        reversed_by = [str(e.delta) for e in events]
    await limits.done(uow, row, "evaluation_decision", limits.subject_of("evaluation", found.id), now)
    await audit.record(
        uow,
        actor,
        f"evaluation:objection_{decision}",
        "procurement",
        row.id,
        {"reference": row.reference, "evaluation_id": found.id, "note": text, "credit_reversed": reversed_by},
    )
    return found


# -- reading ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EvaluationLine:
    """An evaluation as its lists show it."""

    evaluation: ProcurementEvaluation
    procurement_id: int
    reference: str
    title: str
    owner_name: str
    firm_name: str
    objection_window_ends: datetime


def _lines_query() -> Any:
    owner = Organisation.__table__.alias("owner_org")
    firm = Organisation.__table__.alias("firm_org")
    return (
        select(ProcurementEvaluation, Procurement.reference, Procurement.title, owner.c.name, firm.c.name)
        .join(Procurement, Procurement.id == ProcurementEvaluation.procurement_id)
        .join(owner, owner.c.id == Procurement.owner_organisation_id)
        .join(firm, firm.c.id == ProcurementEvaluation.firm_id)
        .order_by(ProcurementEvaluation.evaluated_at.desc(), ProcurementEvaluation.id.desc())
        .limit(200)
    )


async def _lines(uow: UnitOfWork, query: Any, terms: ProcurementTerms) -> list[EvaluationLine]:
    rows = (await uow.session.execute(query)).all()
    return [
        EvaluationLine(
            e, e.procurement_id, ref or "", title, owner, firm, await objection_window_end(uow, e, terms)
        )
        for e, ref, title, owner, firm in rows
    ]


async def firm_evaluations(
    uow: UnitOfWork, principal: Principal, terms: ProcurementTerms
) -> list[EvaluationLine]:
    """The signed-in firm's evaluations, latest first."""
    if principal.organisation_id is None or not policy.acts_for_firm(principal, principal.organisation_id):
        raise PermissionDenied("evaluations are read by the evaluated firm's users (中介机构 / 施工企业)")
    query = _lines_query().where(ProcurementEvaluation.firm_id == principal.organisation_id)
    return await _lines(uow, query, terms)


async def objections(
    uow: UnitOfWork, principal: Principal, terms: ProcurementTerms, *, open_only: bool = False
) -> list[EvaluationLine]:
    """Every evaluation a firm objected to, for supervisors: undecided ones first."""
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("objections to evaluations are listed to supervisors (监督)")
    query = _lines_query().where(ProcurementEvaluation.objected_at.is_not(None))
    if open_only:
        query = query.where(ProcurementEvaluation.decided_at.is_(None))
    query = query.order_by(None).order_by(
        ProcurementEvaluation.decided_at.is_not(None), ProcurementEvaluation.objected_at.desc()
    )
    return await _lines(uow, query, terms)


async def evaluation_of(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, terms: ProcurementTerms
) -> EvaluationLine | None:
    """The procurement's evaluation, for its two parties and the officials; None before it."""
    row = await service.load(uow, principal, procurement_id)
    award = await current_award(uow, row.id)
    if award is None or not policy.may_read_delivery(principal, row.owner_organisation_id, award.firm_id):
        raise NotFound(
            f"procurement {procurement_id} has no evaluation you may read", procurement_id=procurement_id
        )
    found = await _lines(uow, _lines_query().where(ProcurementEvaluation.procurement_id == row.id), terms)
    return found[0] if found else None
