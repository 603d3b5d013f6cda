"""Admission: the life of a firm in a registry.

    applied ──admit──▶ admitted ──suspend──▶ suspended ──reinstate──▶ admitted
       │  ╲                 │                   │
       │   return ▶ returned ─resubmit─▶ applied  │
     reject                 └──────remove───────┴──▶ removed (final)
       ▼
    rejected ──reapply──▶ applied

Every change is a :class:`FirmStatusChange` row (reason, actor, time) and an audit entry,
in the caller's transaction. A suspension may carry an end: past it the firm counts as
admitted again without anything having to run (see eligibility); :func:`lift_expired`
only writes that down for the record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound
from market.models import Firm, FirmStatus, FirmStatusChange, Licence, LicenceStatus

TRANSITIONS: dict[FirmStatus, frozenset[FirmStatus]] = {
    FirmStatus.APPLIED: frozenset({FirmStatus.ADMITTED, FirmStatus.RETURNED, FirmStatus.REJECTED}),
    FirmStatus.RETURNED: frozenset({FirmStatus.APPLIED, FirmStatus.REJECTED}),
    FirmStatus.REJECTED: frozenset({FirmStatus.APPLIED}),
    FirmStatus.ADMITTED: frozenset({FirmStatus.SUSPENDED, FirmStatus.REMOVED}),
    FirmStatus.SUSPENDED: frozenset({FirmStatus.ADMITTED, FirmStatus.SUSPENDED, FirmStatus.REMOVED}),
    FirmStatus.REMOVED: frozenset(),
}

# the verb each transition is audited under
ACTIONS: dict[FirmStatus, str] = {
    FirmStatus.ADMITTED: "firm:admitted",
    FirmStatus.RETURNED: "firm:returned",
    FirmStatus.REJECTED: "firm:rejected",
    FirmStatus.SUSPENDED: "firm:suspended",
    FirmStatus.REMOVED: "firm:removed",
    FirmStatus.APPLIED: "firm:resubmitted",
}

# a decision that takes something away must say why
NEEDS_REASON = frozenset({FirmStatus.RETURNED, FirmStatus.REJECTED, FirmStatus.SUSPENDED, FirmStatus.REMOVED})


def effective_status(firm: Firm, at: datetime) -> FirmStatus:
    """The status that counts at ``at``: a suspension whose end has passed is over."""
    if (
        firm.status is FirmStatus.SUSPENDED
        and firm.suspended_until is not None
        and firm.suspended_until <= at
    ):
        return FirmStatus.ADMITTED
    return firm.status


def ensure_version(firm: Firm, expected_version: int | None) -> None:
    """Compare-and-swap: a decision taken on a stale view of the firm is a clean 409."""
    if expected_version is not None and firm.version != expected_version:
        raise Conflict(
            f"firm {firm.id} was changed by someone else (version {firm.version}, you had "
            f"{expected_version}); reload and try again",
            current_version=firm.version,
        )


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
    reason = reason.strip()
    ensure_version(firm, expected_version)
    current = effective_status(firm, now)
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
        raise Conflict(
            f"a firm that is {current.value} cannot become {to.value}; from {current.value} it can become: "
            f"{allowed}",
            firm_status=current.value,
        )
    if to in NEEDS_REASON and not reason:
        raise InvalidInput(f"say why the firm is {to.value} (reason)", field="reason")
    if until is not None:
        if to is not FirmStatus.SUSPENDED:
            raise InvalidInput("only a suspension has an end (until)", field="until")
        if until <= now:
            raise InvalidInput("the suspension must end in the future", field="until")
    return await _write_change(uow, actor, firm, to, reason=reason, now=now, until=until)


async def _write_change(
    uow: UnitOfWork,
    actor: Actor,
    firm: Firm,
    to: FirmStatus,
    *,
    reason: str,
    now: datetime,
    until: datetime | None = None,
) -> FirmStatusChange:
    """Set the firm's status and write the change down: history row and audit entry."""
    previous, previous_until = firm.status, firm.suspended_until
    firm.status = to
    firm.status_reason = reason
    firm.status_changed_at = now
    firm.suspended_until = until if to is FirmStatus.SUSPENDED else None
    if to is FirmStatus.ADMITTED and firm.admitted_at is None:
        firm.admitted_at = now
    if to is FirmStatus.APPLIED:
        firm.applied_at = now
    change = FirmStatusChange(
        firm_id=firm.id,
        from_status=previous,
        to_status=to,
        reason=reason,
        until=firm.suspended_until,
        actor_id=actor.id,
        actor_label=actor.label,
        changed_at=now,
    )
    uow.session.add(change)
    if to is FirmStatus.ADMITTED and previous is FirmStatus.APPLIED:
        await _approve_application_licences(uow, actor, firm, now)
    await uow.session.flush()
    action = (
        "firm:reinstated" if previous is FirmStatus.SUSPENDED and to is FirmStatus.ADMITTED else ACTIONS[to]
    )
    await audit.record(
        uow,
        actor,
        action,
        "firm",
        firm.id,
        {
            "from": previous,
            "to": to,
            "reason": reason,
            "until": firm.suspended_until,
            "previous_until": previous_until,
        },
    )
    return change


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
    for firm in firms:
        await _write_change(uow, actor, firm, FirmStatus.ADMITTED, reason="暂停期满", now=now)
    return [f.id for f in firms]
