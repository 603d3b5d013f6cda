"""Reading the awards: the firm's own awards with what it owes next (我的中选项目), and the
supervisors' list of overdue time limits across procurements (逾期事项).

A firm's list holds only its own awards (ended ones too, with how they ended). The overdue
list is for supervisors; anyone else asking is refused and the refusal is audited, since
the list names who is late on which procurement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from market import audit
from market.audit import Actor
from market.award import contract_rules as rules
from market.award import limits
from market.award.contract import FIRM_ROLES, state_of
from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound, PermissionDenied
from market.models import Award, ContractSigning, Organisation, Procurement, TimeLimit
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus

#: Most lines either list shows; a firm wins a few procurements a month, and a supervisor
#: filters by action when more are late.
MOST = 500


@dataclass(frozen=True, slots=True)
class AwardLine:
    award: Award
    reference: str
    title: str
    status: ProcurementStatus
    owner_name: str
    signing: ContractSigning | None
    next_step: rules.FirmStep


async def firm_awards(uow: UnitOfWork, principal: Principal) -> list[AwardLine]:
    """The awards of the principal's firm, current ones first, then newest first."""
    if not principal.has_any(FIRM_ROLES) or principal.organisation_id is None:
        raise PermissionDenied("the awards list is the awarded firms' (中介机构 / 施工企业)")
    current = aliased(ContractSigning)
    rows = await uow.session.execute(
        select(
            Award, Procurement.reference, Procurement.title, Procurement.status, Organisation.name, current
        )
        .join(Procurement, Procurement.id == Award.procurement_id)
        .join(Organisation, Organisation.id == Procurement.owner_organisation_id)
        .outerjoin(current, (current.award_id == Award.id) & current.superseded_at.is_(None))
        .where(Award.firm_id == principal.organisation_id)
        .order_by(Award.ended_at.is_not(None), Award.selected_at.desc(), Award.id.desc())
        .limit(MOST)
    )
    return [
        AwardLine(
            award,
            reference or "",
            title,
            status,
            owner_name,
            signing,
            rules.firm_next_step(status.value, award.ended_at is not None, state_of(signing)),
        )
        for award, reference, title, status, owner_name, signing in rows
    ]


async def firm_award(uow: UnitOfWork, principal: Principal, award_id: int) -> AwardLine:
    """One award of the principal's firm; another firm's is unknown to it."""
    for line in await firm_awards(uow, principal):
        if line.award.id == award_id:
            return line
    raise NotFound(f"your firm has no award {award_id}", award_id=award_id)


@dataclass(frozen=True, slots=True)
class OverdueLine:
    limit_id: int
    procurement_id: int
    action: str
    party: str
    subject: str
    started_at: datetime
    due_at: datetime
    flagged_at: datetime | None
    label: str
    reference: str
    title: str
    owner_name: str
    firm_name: str  # the awarded firm of an ``award:ID`` subject; empty otherwise
    late_by: timedelta


def check_action(action: str | None) -> limits.LimitAction | None:
    if action is None or action == "":
        return None
    for known in limits.LIMIT_ACTIONS:
        if known == action:
            return known
    raise InvalidInput(
        f"unknown action {action[:40]!r}; the actions are: {', '.join(limits.LIMIT_ACTIONS)}", field="action"
    )


async def overdue(
    uow: UnitOfWork, actor: Actor, principal: Principal, now: datetime, action: str | None = None
) -> list[OverdueLine]:
    """Open limits flagged by the lifecycle or past due at ``now``, the longest late first."""
    if Role.SUPERVISOR not in principal.roles:
        await audit.record(uow, actor, "supervision:refused", "overdue", "list", {"user": principal.username})
        await uow.commit()  # the refusal is kept though the request fails
        raise PermissionDenied("the list of overdue items is for supervisors (监督)")
    wanted = check_action(action)
    owner = aliased(Organisation)
    firm = aliased(Organisation)
    query = (
        select(TimeLimit, Procurement.reference, Procurement.title, owner.name, firm.name)
        .join(Procurement, Procurement.id == TimeLimit.procurement_id)
        .join(owner, owner.id == Procurement.owner_organisation_id)
        .outerjoin(Award, TimeLimit.subject == "award:" + Award.id.cast(TimeLimit.subject.type))
        .outerjoin(firm, firm.id == Award.firm_id)
        .where(
            TimeLimit.done_at.is_(None),
            TimeLimit.cancelled_at.is_(None),
            or_(TimeLimit.flagged_at.is_not(None), TimeLimit.due_at <= now),
        )
        .order_by(TimeLimit.due_at, TimeLimit.id)
        .limit(MOST)
    )
    if wanted is not None:
        query = query.where(TimeLimit.action == wanted)
    rows = await uow.session.execute(query)
    return [
        OverdueLine(
            limit.id,
            limit.procurement_id,
            limit.action,
            limit.party,
            limit.subject,
            limit.started_at,
            limit.due_at,
            limit.flagged_at,
            limits.LABELS.get(limit.action, limit.action),  # type: ignore[call-overload]
            reference or "",
            title,
            owner_name,
            firm_name or "",
            now - limit.due_at,
        )
        for limit, reference, title, owner_name, firm_name in rows
    ]
