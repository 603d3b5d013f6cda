"""Admission: a firm's decisions written down. The rules (states, transitions, reasons,
suspensions and their end) are in :mod:`market.registry.admission_rules`; this module loads
the firm, asks them, and writes the answer.

Every change is a :class:`FirmStatusChange` row (reason, actor, time) and an audit entry,
in the caller's transaction. A suspension may carry an end: past it the firm counts as
admitted again without anything having to run (see eligibility); :func:`lift_expired`
only writes that down for the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, NotFound, PermissionDenied
from market.models import Firm, FirmStatus, FirmStatusChange, Licence, LicenceStatus
from market.principal import Principal
from market.registry import admission_rules
from market.registry.admission_rules import Decision, Standing, StatusChange


def standing_of(firm: Firm) -> Standing:
    """What the admission rules need to know of ``firm``."""
    return Standing(firm.status, firm.suspended_until)


def effective_status(firm: Firm, at: datetime) -> FirmStatus:
    """The status that counts at ``at``: a suspension whose end has passed is over."""
    return standing_of(firm).at(at)


def ensure_version(firm: Firm, expected_version: int | None) -> None:
    """Compare-and-swap: a decision taken on a stale view of the firm is a clean 409."""
    if expected_version is not None and firm.version != expected_version:
        raise Conflict(
            f"firm {firm.id} was changed by someone else (version {firm.version}, you had "
            f"{expected_version}); reload and try again",
            current_version=firm.version,
        )


def ensure_may_edit(principal: Principal, firm_id: int) -> None:
    """Refuse unless ``principal`` may change the firm's record (:func:`market.policy.may_edit_firm`)."""
    if not policy.may_edit_firm(principal, firm_id):
        raise PermissionDenied("you may only change your own firm's record", firm_id=firm_id)


def ensure_may_see_internals(principal: Principal, firm_id: int) -> None:
    """Refuse unless ``principal`` may see what the registry does not publish about the firm
    (:func:`market.policy.may_see_firm_internals`)."""
    if not policy.may_see_firm_internals(principal, firm_id):
        raise PermissionDenied("you may only see your own firm's details", firm_id=firm_id)


async def load_firm(uow: UnitOfWork, firm_id: int, *, for_update: bool = False) -> Firm:
    query = select(Firm).where(Firm.id == firm_id)
    if for_update:
        query = query.with_for_update(of=Firm)
    firm = await uow.session.scalar(query)
    if firm is None:
        raise NotFound(f"there is no firm {firm_id} in the registries", firm_id=firm_id)
    return firm


async def change_status(
    uow: UnitOfWork,
    actor: Actor,
    firm: Firm,
    to: FirmStatus,
    *,
    reason: str,
    now: datetime,
    until: datetime | None = None,
    expected_version: int | None = None,
) -> FirmStatusChange:
    """Move ``firm`` to ``to`` if the rules allow it, recording who, when and why."""
    ensure_version(firm, expected_version)
    change = admission_rules.transition(standing_of(firm), to, reason=reason, now=now, until=until)
    return await write_change(uow, actor, firm, change, now=now)


async def decide(
    uow: UnitOfWork,
    actor: Actor,
    firm_id: int,
    decision: Decision,
    *,
    reason: str,
    now: datetime,
    until: datetime | None = None,
    expected_version: int | None = None,
) -> Firm:
    """An administrator's decision on a firm (admit, return, reject, suspend, reinstate,
    remove), taken on the locked row."""
    firm = await load_firm(uow, firm_id, for_update=True)
    ensure_version(firm, expected_version)
    change = admission_rules.decide(standing_of(firm), decision, reason=reason, now=now, until=until)
    await write_change(uow, actor, firm, change, now=now)
    return firm


async def write_change(
    uow: UnitOfWork, actor: Actor, firm: Firm, change: StatusChange, *, now: datetime
) -> FirmStatusChange:
    """Write down a change the rules allowed: the firm's status, the history row and the
    audit entry (and, when an applicant is admitted, its application's licences)."""
    to = change.to
    firm.status = to
    firm.status_reason = change.reason
    firm.status_changed_at = now
    firm.suspended_until = change.until
    if to is FirmStatus.ADMITTED and firm.admitted_at is None:
        firm.admitted_at = now
    if to is FirmStatus.APPLIED:
        firm.applied_at = now
    row = FirmStatusChange(
        firm_id=firm.id,
        from_status=change.previous,
        to_status=to,
        reason=change.reason,
        until=change.until,
        actor_id=actor.id,
        actor_label=actor.label,
        changed_at=now,
    )
    uow.session.add(row)
    if change.approves_application:
        await _approve_application_licences(uow, actor, firm, now)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        change.action,
        "firm",
        firm.id,
        {
            "from": change.previous,
            "to": to,
            "reason": change.reason,
            "until": change.until,
            "previous_until": change.previous_until,
        },
    )
    return row


async def _approve_application_licences(uow: UnitOfWork, actor: Actor, firm: Firm, now: datetime) -> None:
    """Admitting a firm approves the licences of its application: the reviewer checked them
    together. Later changes to licences are reviewed one by one."""
    pending = (
        await uow.session.scalars(
            select(Licence).where(Licence.firm_id == firm.id, Licence.status == LicenceStatus.PENDING)
        )
    ).all()
    numbers = {(lic.licence_type, lic.number) for lic in pending}
    earlier = (
        await uow.session.scalars(
            select(Licence).where(Licence.firm_id == firm.id, Licence.status == LicenceStatus.APPROVED)
        )
    ).all()
    for licence in earlier:
        # the application's copy of a certificate replaces one approved before (a firm
        # that was removed and applies again, or an import)
        if (licence.licence_type, licence.number) in numbers:
            licence.status = LicenceStatus.SUPERSEDED
    await uow.session.flush()
    for licence in pending:
        licence.status = LicenceStatus.APPROVED
        licence.reviewed_at = now
        licence.reviewed_by = actor.id
        licence.review_reason = "随入库申请审核通过"


async def lift_expired(uow: UnitOfWork, *, now: datetime) -> list[int]:
    """Write down the end of every suspension that has run out (status back to admitted).
    Eligibility already treats them as admitted; this keeps the record and the lists
    readable. Returns the firms reinstated."""
    firms = (
        await uow.session.scalars(
            select(Firm)
            .where(Firm.status == FirmStatus.SUSPENDED, Firm.suspended_until <= now)
            .with_for_update(skip_locked=True)
        )
    ).all()
    actor = Actor.system("scheduler")
    lifted = []
    for firm in firms:
        change = admission_rules.lapse(standing_of(firm), now)
        if change is not None:
            await write_change(uow, actor, firm, change, now=now)
            lifted.append(firm.id)
    return lifted
