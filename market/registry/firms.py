"""Firms in the registries: applying, editing one's own profile, licences and their
review, track records. Admission decisions are in :mod:`market.registry.admission`,
scores in :mod:`market.registry.credit`.

A firm edits only itself (administrators edit any); the profile changes at once, while a
new or changed licence waits for review and the approved one keeps counting until then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import accounts, audit
from market.accounts import Principal
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import (
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    Organisation,
    OrganisationKind,
    Registry,
    Role,
    TrackRecord,
    User,
)
from market.registry.admission import ensure_version, load_firm
from market.registry.credit import base_event, clamp
from market.registry.records import (
    FirmInput,
    LicenceInput,
    TrackRecordInput,
    firm_input,
    licence_input,
    track_record_input,
)
from market.registry.vocabulary import Vocabulary
from market.settings import AuthSettings

ORGANISATION_KIND = {
    Registry.CONTRACTOR: OrganisationKind.CONTRACTOR,
    Registry.INTERMEDIARY: OrganisationKind.INTERMEDIARY,
}
ROLE_OF = {Registry.CONTRACTOR: Role.CONTRACTOR, Registry.INTERMEDIARY: Role.INTERMEDIARY}
PROFILE_FIELDS = frozenset(
    {
        "name",
        "legal_representative",
        "address",
        "division_code",
        "contact_name",
        "contact_phone",
        "contact_email",
        "introduction",
        "work_fields",
        "service_types",
        "practitioners",
        "service_area",
    }
)


def ensure_may_edit(principal: Principal, firm_id: int) -> None:
    """A firm's own users and administrators may change it; nobody else."""
    if Role.ADMIN in principal.roles:
        return
    if principal.organisation_id != firm_id or not principal.has_any((Role.CONTRACTOR, Role.INTERMEDIARY)):
        raise PermissionDenied("you may only change your own firm's record", firm_id=firm_id)


# -- applying ---------------------------------------------------------------------------------
async def apply(
    uow: UnitOfWork, actor: Actor, record: FirmInput, *, now: datetime, vocabulary: Vocabulary
) -> Firm:
    """A new firm applies to its registry: organisation, firm (applied), its licences
    (pending, reviewed with the application) and track records, the base credit score."""
    clash = await uow.session.scalar(select(Organisation.id).where(Organisation.uscc == record.uscc))
    if clash is not None:
        raise Conflict(
            f"a firm with USCC {record.uscc} is already registered; sign in with its account instead",
            field="uscc",
        )
    org = Organisation(
        kind=ORGANISATION_KIND[record.kind],
        name=record.name,
        uscc=record.uscc,
        address=record.address,
        contact_phone=record.contact_phone,
    )
    uow.session.add(org)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError:  # a concurrent application with the same USCC won the race
        raise Conflict(f"a firm with USCC {record.uscc} is already registered", field="uscc") from None
    firm = Firm(
        id=org.id,
        kind=record.kind,
        status=FirmStatus.APPLIED,
        status_changed_at=now,
        applied_at=now,
        credit_score=clamp(vocabulary.credit.base),
        **_firm_columns(record),
    )
    uow.session.add(firm)
    await uow.session.flush()
    uow.session.add(
        FirmStatusChange(
            firm_id=firm.id,
            from_status=None,
            to_status=FirmStatus.APPLIED,
            reason="入库申请",
            actor_id=actor.id,
            actor_label=actor.label,
            changed_at=now,
        )
    )
    uow.session.add(base_event(firm.id, vocabulary.credit, actor=actor, now=now))
    for licence in record.licences:
        uow.session.add(_licence_row(firm.id, licence, LicenceStatus.PENDING))
    for track in record.track_records:
        uow.session.add(_track_row(firm.id, track))
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "firm:applied",
        "firm",
        firm.id,
        {
            "kind": record.kind,
            "uscc": record.uscc,
            "profile": record.profile(),
            "licences": [lic.as_dict() for lic in record.licences],
            "track_records": len(record.track_records),
        },
    )
    return firm


@dataclass(frozen=True, slots=True)
class Registration:
    firm: Firm
    user: User


async def register(
    uow: UnitOfWork,
    raw: Mapping[str, Any],
    *,
    username: str,
    display_name: str,
    password: str,
    address: str,
    now: datetime,
    vocabulary: Vocabulary,
    auth: AuthSettings,
) -> Registration:
    """Self-service: a firm applies and opens its first account in one step. Everything is
    checked before anything is written, so a refusal leaves nothing behind."""
    record = firm_input(vocabulary, raw)
    if await accounts.find_user(uow, username) is not None:
        raise Conflict(f"the user name {username!r} is already taken", field="username")
    actor = Actor(None, f"applicant:{username}", address)
    firm = await apply(uow, actor, record, now=now, vocabulary=vocabulary)
    user = await accounts.create_user(
        uow,
        actor,
        username=username,
        display_name=display_name,
        password=password,
        roles=[ROLE_OF[record.kind]],
        organisation_id=firm.id,
        auth=auth,
    )
    return Registration(firm, user)


async def resubmit(uow: UnitOfWork, actor: Actor, firm_id: int, *, now: datetime, note: str = "") -> Firm:
    """After a return (退回补正) or a rejection, the firm sends its application again."""
    from market.registry.admission import change_status

    firm = await load_firm(uow, firm_id, for_update=True)
    await change_status(uow, actor, firm, FirmStatus.APPLIED, reason=note or "重新提交入库申请", now=now)
    return firm


# -- the profile ------------------------------------------------------------------------------
def _firm_columns(record: FirmInput) -> dict[str, Any]:
    return {
        "legal_representative": record.legal_representative,
        "division_code": record.division_code,
        "contact_name": record.contact_name,
        "contact_phone": record.contact_phone,
        "contact_email": record.contact_email,
        "introduction": record.introduction,
        "work_fields": list(record.work_fields),
        "service_types": list(record.service_types),
        "practitioners": record.practitioners,
        "service_area": list(record.service_area),
    }


def current_record(firm: Firm) -> dict[str, Any]:
    """The firm's profile as :func:`firm_input` takes it."""
    org = firm.organisation
    return {
        "kind": firm.kind.value,
        "uscc": org.uscc,
        "name": org.name,
        "address": org.address,
        **_firm_columns_of(firm),
    }


def _firm_columns_of(firm: Firm) -> dict[str, Any]:
    return {
        "legal_representative": firm.legal_representative,
        "division_code": firm.division_code,
        "contact_name": firm.contact_name,
        "contact_phone": firm.contact_phone,
        "contact_email": firm.contact_email,
        "introduction": firm.introduction,
        "work_fields": list(firm.work_fields),
        "service_types": list(firm.service_types),
        "practitioners": firm.practitioners,
        "service_area": list(firm.service_area),
    }


async def update_profile(
    uow: UnitOfWork,
    principal: Principal,
    firm_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    vocabulary: Vocabulary,
) -> Firm:
    """Change profile fields (not the USCC, not licences). The whole profile is checked
    again, and a stale ``expected_version`` is a 409."""
    ensure_may_edit(principal, firm_id)
    unknown = sorted(set(changes) - PROFILE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} cannot be changed here; licences have their own review, "
            "and the USCC never changes",
            field=unknown[0],
            allowed=sorted(PROFILE_FIELDS),
        )
    if not changes:
        raise InvalidInput("nothing to change", field=None)
    firm = await load_firm(uow, firm_id, for_update=True)
    if firm.status is FirmStatus.REMOVED:
        raise Conflict("a removed firm cannot be changed", status=firm.status.value)
    ensure_version(firm, expected_version)
    before = current_record(firm)
    checked = firm_input(vocabulary, {**before, **changes}, kind=firm.kind)
    after = checked.profile()
    diff = {k: {"before": before.get(k), "after": after[k]} for k in after if before.get(k) != after[k]}
    if not diff:
        return firm
    firm.organisation.name = checked.name
    firm.organisation.address = checked.address
    firm.organisation.contact_phone = checked.contact_phone
    for key, value in _firm_columns(checked).items():
        setattr(firm, key, value)
    await uow.session.flush()
    await audit.record(uow, principal.actor, "firm:changed", "firm", firm.id, diff)
    return firm


# -- licences ---------------------------------------------------------------------------------
def _licence_row(firm_id: int, licence: LicenceInput, status: LicenceStatus) -> Licence:
    return Licence(
        firm_id=firm_id,
        licence_type=licence.licence_type,
        grade=licence.grade,
        grade_rank=licence.grade_rank,
        number=licence.number,
        issuer=licence.issuer,
        issued_on=licence.issued_on,
        valid_until=licence.valid_until,
        e_licence_ref=licence.e_licence_ref,
        status=status,
    )


async def submit_licence(
    uow: UnitOfWork,
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
        raise Conflict("a removed firm cannot add licences", status=firm.status.value)
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
    row = _licence_row(firm_id, licence, LicenceStatus.PENDING)
    row.replaces_id = replaces
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        principal.actor,
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


async def withdraw_licence(uow: UnitOfWork, principal: Principal, firm_id: int, licence_id: int) -> Licence:
    """The firm takes back a licence (pending or approved): it stops counting at once."""
    ensure_may_edit(principal, firm_id)
    licence = await _licence_of(uow, firm_id, licence_id)
    if licence.status not in (LicenceStatus.PENDING, LicenceStatus.APPROVED):
        raise Conflict(f"licence {licence_id} is {licence.status.value}; nothing to withdraw")
    licence.status = LicenceStatus.WITHDRAWN
    await uow.session.flush()
    await audit.record(uow, principal.actor, "licence:withdrawn", "firm", firm_id, {"licence_id": licence_id})
    return licence


async def licences_of(uow: UnitOfWork, firm_id: int, *, current_only: bool = False) -> Sequence[Licence]:
    query = select(Licence).where(Licence.firm_id == firm_id).order_by(Licence.licence_type, Licence.id)
    if current_only:
        query = query.where(Licence.status.in_([LicenceStatus.APPROVED, LicenceStatus.PENDING]))
    return (await uow.session.scalars(query)).all()


async def pending_licences(uow: UnitOfWork, *, limit: int = 200) -> list[tuple[Licence, str, FirmStatus]]:
    """The review queue: licences waiting for review (oldest first) of firms already in the
    pool, with the firm's name and status. An applicant's licences are reviewed with its
    application instead."""
    rows = await uow.session.execute(
        select(Licence, Organisation.name, Firm.status)
        .join(Firm, Firm.id == Licence.firm_id)
        .join(Organisation, Organisation.id == Firm.id)
        .where(
            Licence.status == LicenceStatus.PENDING,
            Firm.status.in_([FirmStatus.ADMITTED, FirmStatus.SUSPENDED]),
        )
        .order_by(Licence.created_at, Licence.id)
        .limit(limit)
    )
    return [(lic, name, status) for lic, name, status in rows]


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
    uow: UnitOfWork, *, today: date, days: int = 30, firm_id: int | None = None, limit: int = 500
) -> list[ExpiringLicence]:
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
        .limit(limit)
    )
    if firm_id is not None:
        query = query.where(Licence.firm_id == firm_id)
    rows = await uow.session.execute(query)
    return [
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


# -- track records ----------------------------------------------------------------------------
def _track_row(firm_id: int, track: TrackRecordInput) -> TrackRecord:
    return TrackRecord(
        firm_id=firm_id,
        project=track.project,
        owner_name=track.owner_name,
        contract_value=track.contract_value,
        completed_on=track.completed_on,
        field_code=track.field_code,
    )


async def add_track_record(
    uow: UnitOfWork,
    principal: Principal,
    firm_id: int,
    raw: Mapping[str, Any],
    *,
    today: date,
    vocabulary: Vocabulary,
) -> TrackRecord:
    ensure_may_edit(principal, firm_id)
    firm = await load_firm(uow, firm_id)
    track = track_record_input(vocabulary, firm.kind, raw)
    if track.completed_on > today:
        raise InvalidInput(
            "a track record is a completed project; its completion date is in the future",
            field="completed_on",
        )
    row = _track_row(firm_id, track)
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        principal.actor,
        "track_record:added",
        "firm",
        firm_id,
        {"track_record_id": row.id, "project": track.project, "contract_value": track.contract_value},
    )
    return row


async def remove_track_record(uow: UnitOfWork, principal: Principal, firm_id: int, record_id: int) -> None:
    ensure_may_edit(principal, firm_id)
    row = await uow.session.get(TrackRecord, record_id)
    if row is None or row.firm_id != firm_id:
        raise NotFound(f"firm {firm_id} has no track record {record_id}", track_record_id=record_id)
    await uow.session.delete(row)
    await uow.session.flush()
    await audit.record(
        uow,
        principal.actor,
        "track_record:removed",
        "firm",
        firm_id,
        {"track_record_id": record_id, "project": row.project},
    )
