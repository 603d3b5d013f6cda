"""Licences (资质证书) of firms already in a registry: submitting new ones or changes,
their review, withdrawal, the review queue and the list of licences expiring soon.

A change never replaces an approved licence directly: it waits as ``pending`` and the
approved one keeps counting until the change is approved (it is then ``superseded``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from market import audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound
from market.models import Firm, FirmStatus, Licence, LicenceStatus, Organisation
from market.principal import Principal
from market.registry.admission import ensure_may_edit, ensure_may_see_internals, load_firm
from market.registry.records import LicenceInput, licence_input
from market.registry.vocabulary import Vocabulary


def licence_row(firm_id: int, licence: LicenceInput, status: LicenceStatus) -> Licence:
    return Licence(
        firm_id=firm_id,
        licence_type=licence.licence_type,
        grade=licence.grade,
        number=licence.number,
        issuer=licence.issuer,
        issued_on=licence.issued_on,
        valid_until=licence.valid_until,
        e_licence_ref=licence.e_licence_ref,
        status=status,
    )


async def submit_licence(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    firm_id: int,
    raw: Mapping[str, Any],
    *,
    replaces: int | None = None,
    vocabulary: Vocabulary,
) -> Licence:
    """A new licence, or a change to an approved one (``replaces``), waits for review.
    Until it is approved the old one keeps counting."""
    ensure_may_edit(principal, firm_id)
    firm = await load_firm(uow, firm_id, for_update=True)
    if firm.status is FirmStatus.REMOVED:
        raise Conflict("a removed firm cannot add licences", firm_status=firm.status.value)
    licence = licence_input(vocabulary, firm.kind, raw)
    if replaces is not None:
        old = await _licence_of(uow, firm_id, replaces)
        if old.status is not LicenceStatus.APPROVED:
            raise Conflict(f"licence {replaces} is {old.status.value}; only an approved licence is replaced")
        if old.licence_type != licence.licence_type:
            raise InvalidInput(
                "a replacement keeps the licence type; add a new licence instead", field="licence_type"
            )
    waiting = await uow.session.scalar(
        select(Licence.id).where(
            Licence.firm_id == firm_id,
            Licence.status == LicenceStatus.PENDING,
            Licence.licence_type == licence.licence_type,
            Licence.number == licence.number,
        )
    )
    if waiting is not None:
        raise Conflict(
            f"certificate {licence.number} is already waiting for review (licence {waiting})",
            licence_id=waiting,
        )
    row = licence_row(firm_id, licence, LicenceStatus.PENDING)
    row.replaces_id = replaces
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "licence:submitted",
        "firm",
        firm_id,
        {"licence_id": row.id, "replaces": replaces, **licence.as_dict()},
    )
    return row


async def _licence_of(uow: UnitOfWork, firm_id: int, licence_id: int) -> Licence:
    licence = await uow.session.get(Licence, licence_id, with_for_update=True)
    if licence is None or licence.firm_id != firm_id:
        raise NotFound(f"firm {firm_id} has no licence {licence_id}", licence_id=licence_id)
    return licence


async def review_licence(
    uow: UnitOfWork,
    actor: Actor,
    licence_id: int,
    *,
    approve: bool,
    reason: str,
    now: datetime,
) -> Licence:
    """An administrator approves (the replaced licence is superseded) or rejects (with reason)."""
    licence = await uow.session.get(Licence, licence_id, with_for_update=True)
    if licence is None:
        raise NotFound(f"there is no licence {licence_id}", licence_id=licence_id)
    if licence.status is not LicenceStatus.PENDING:
        raise Conflict(f"licence {licence_id} is {licence.status.value}, not waiting for review")
    firm = await load_firm(uow, licence.firm_id)
    if firm.status not in (FirmStatus.ADMITTED, FirmStatus.SUSPENDED):
        raise Conflict(
            f"licence {licence_id} belongs to a firm that is {firm.status.value}: an applicant's licences "
            "are reviewed with its application, and a removed firm's not at all",
            firm_status=firm.status.value,
        )
    if not approve and not reason.strip():
        raise InvalidInput("say why the licence is rejected (reason)", field="reason")
    if approve:
        superseded = []
        same_number = await uow.session.scalars(
            select(Licence).where(
                Licence.firm_id == licence.firm_id,
                Licence.status == LicenceStatus.APPROVED,
                Licence.licence_type == licence.licence_type,
                Licence.number == licence.number,
            )
        )
        for old in same_number:
            superseded.append(old)
        if licence.replaces_id is not None:
            replaced = await uow.session.get(Licence, licence.replaces_id, with_for_update=True)
            if (
                replaced is not None
                and replaced.status is LicenceStatus.APPROVED
                and replaced not in superseded
            ):
                superseded.append(replaced)
        for old in superseded:
            old.status = LicenceStatus.SUPERSEDED
        await uow.session.flush()  # the unique index allows one approved row per number
        licence.status = LicenceStatus.APPROVED
    else:
        licence.status = LicenceStatus.REJECTED
    licence.review_reason = reason.strip()
    licence.reviewed_at = now
    licence.reviewed_by = actor.id
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "licence:approved" if approve else "licence:rejected",
        "firm",
        licence.firm_id,
        {"licence_id": licence.id, "reason": licence.review_reason, "number": licence.number},
    )
    return licence


async def withdraw_licence(
    uow: UnitOfWork, actor: Actor, principal: Principal, firm_id: int, licence_id: int
) -> Licence:
    """The firm takes back a licence (pending or approved): it stops counting at once."""
    ensure_may_edit(principal, firm_id)
    licence = await _licence_of(uow, firm_id, licence_id)
    if licence.status not in (LicenceStatus.PENDING, LicenceStatus.APPROVED):
        raise Conflict(f"licence {licence_id} is {licence.status.value}; nothing to withdraw")
    licence.status = LicenceStatus.WITHDRAWN
    await uow.session.flush()
    await audit.record(uow, actor, "licence:withdrawn", "firm", firm_id, {"licence_id": licence_id})
    return licence


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """One page of a list, and how long the whole list is."""

    items: list[T]
    total: int
    offset: int


def _page(limit: int, offset: int) -> None:
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit is between 1 and 1000", field="limit")
    if not 0 <= offset <= 10_000_000:
        raise InvalidInput("offset is 0 or more", field="offset")


async def _rows_and_total(
    uow: UnitOfWork, query: Select[*tuple[Any, ...]], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of ``query``'s rows and the number of all of them."""
    _page(limit, offset)
    rows = list(
        (await uow.session.execute(query.add_columns(func.count().over()).limit(limit).offset(offset))).all()
    )
    if rows:
        return [row[:-1] for row in rows], int(rows[0][-1])
    if offset == 0:
        return [], 0
    return [], int(await uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@dataclass(frozen=True, slots=True)
class PendingLicence:
    """A licence in the review queue, with the firm it belongs to."""

    licence_id: int
    firm_id: int
    firm_name: str
    firm_status: FirmStatus
    licence_type: str
    grade: str
    number: str
    valid_until: date
    replaces_id: int | None
    submitted_at: datetime


async def pending_licences(uow: UnitOfWork, *, limit: int = 200, offset: int = 0) -> Listing[PendingLicence]:
    """The review queue: licences waiting for review (oldest first) of firms already in the
    pool, with the firm's name and status. An applicant's licences are reviewed with its
    application instead."""
    query = (
        select(Licence, Organisation.name, Firm.status)
        .join(Firm, Firm.id == Licence.firm_id)
        .join(Organisation, Organisation.id == Firm.id)
        .where(
            Licence.status == LicenceStatus.PENDING,
            Firm.status.in_([FirmStatus.ADMITTED, FirmStatus.SUSPENDED]),
        )
        .order_by(Licence.created_at, Licence.id)
    )
    rows, total = await _rows_and_total(uow, query, limit=limit, offset=offset)
    items = [
        PendingLicence(
            lic.id,
            lic.firm_id,
            name,
            status,
            lic.licence_type,
            lic.grade,
            lic.number,
            lic.valid_until,
            lic.replaces_id,
            lic.created_at,
        )
        for lic, name, status in rows
    ]
    return Listing(items, total, offset)


@dataclass(frozen=True, slots=True)
class ExpiringLicence:
    licence_id: int
    firm_id: int
    firm_name: str
    licence_type: str
    grade: str
    number: str
    valid_until: date
    days_left: int


async def expiring_licences(
    uow: UnitOfWork,
    *,
    today: date,
    days: int = 30,
    firm_id: int | None = None,
    limit: int = 500,
    offset: int = 0,
) -> Listing[ExpiringLicence]:
    """Approved licences whose valid-until falls in the next ``days`` days (soonest first),
    for the administrators (all firms in the pool) or for one firm."""
    if not 1 <= days <= 366:
        raise InvalidInput("days is between 1 and 366", field="days")
    query = (
        select(Licence, Organisation.name)
        .join(Firm, Firm.id == Licence.firm_id)
        .join(Organisation, Organisation.id == Firm.id)
        .where(
            Licence.status == LicenceStatus.APPROVED,
            Licence.valid_until >= today,
            Licence.valid_until <= today + timedelta(days=days),
            Firm.status.in_([FirmStatus.ADMITTED, FirmStatus.SUSPENDED]),
        )
        .order_by(Licence.valid_until, Licence.id)
    )
    if firm_id is not None:
        query = query.where(Licence.firm_id == firm_id)
    rows, total = await _rows_and_total(uow, query, limit=limit, offset=offset)
    items = [
        ExpiringLicence(
            lic.id,
            lic.firm_id,
            name,
            lic.licence_type,
            lic.grade,
            lic.number,
            lic.valid_until,
            (lic.valid_until - today).days,
        )
        for lic, name in rows
    ]
    return Listing(items, total, offset)


async def expiring_for_firm(
    uow: UnitOfWork, reader: Principal, firm_id: int, *, today: date, days: int = 30
) -> Listing[ExpiringLicence]:
    """One firm's licences expiring in the next ``days`` days: for the firm itself and the
    officials."""
    ensure_may_see_internals(reader, firm_id)
    return await expiring_licences(uow, today=today, days=days, firm_id=firm_id, limit=1000)
