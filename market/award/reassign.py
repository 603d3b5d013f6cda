"""The owner awards the next alternate after a party missed the contract's limit (另行确定中选
单位): only while awarded and once a contract limit of the current award is past due —
flagged by the lifecycle, or its time passed before the lifecycle's next pass. The current
award ends as ``replaced`` with the owner's reason, its open draft is set aside, and
:func:`market.award.succession.pass_to_next` gives the place (with a new publicity) to the
next firm of the record, or fails the procurement with none left. Audited; the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.award import contract_rules as rules
from market.award import limits, succession
from market.award.contract import current_signing, locked
from market.award.records import current_award
from market.db import UnitOfWork
from market.errors import PermissionDenied
from market.models import Award, TimeLimit
from market.principal import Principal
from market.procurement.terms import ProcurementTerms

REASON_MOST = 2000
CONTRACT_LIMITS = ("contract_owner", "contract_firm")


async def missed_limits(uow: UnitOfWork, award: Award, now: datetime) -> list[TimeLimit]:
    """The contract limits of ``award`` still owed and past due at ``now``."""
    return list(
        await uow.session.scalars(
            select(TimeLimit)
            .where(
                TimeLimit.subject == limits.subject_of("award", award.id),
                TimeLimit.action.in_(CONTRACT_LIMITS),
                TimeLimit.done_at.is_(None),
                TimeLimit.cancelled_at.is_(None),
            )
            .where((TimeLimit.flagged_at.is_not(None)) | (TimeLimit.due_at <= now))
            .order_by(TimeLimit.action)
        )
    )


async def reassign(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    reason: str,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> Award | None:
    """End the current award as replaced and award the next firm; None when nobody is left
    (the procurement failed)."""
    row = await locked(uow, principal, procurement_id)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied("only the owner's organisation (业主) awards the next alternate")
    text = rules.check_reason(reason, REASON_MOST)
    award = await current_award(uow, row.id, lock=True)
    missed = await missed_limits(uow, award, now) if award is not None else []
    rules.check_may_reassign(
        row.status.value, bool(missed), award.contract_due_at if award is not None else None
    )
    assert award is not None
    signing = await current_signing(uow, award.id, lock=True)
    if signing is not None:
        signing.superseded_at = now  # the ended award's draft is no longer to be confirmed
    # what was missed goes into the log beside the owner's reason, which ends the award
    await audit.record(
        uow,
        actor,
        "award:contract_missed",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "award_id": award.id,
            "missed": [{"action": m.action, "party": m.party, "due_at": m.due_at} for m in missed],
        },
    )
    return await succession.pass_to_next(
        uow, actor, row, award, ending="replaced", note=text, now=now, terms=terms
    )
