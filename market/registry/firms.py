"""Firms in the registries: applying (self-service, with the firm's first account, a limited
number per client address and hour), sending a returned or rejected application again,
editing the profile, track records.

Licences and their review are in :mod:`market.registry.licences`, admission decisions in
:mod:`market.registry.admission` (their rules in :mod:`market.registry.admission_rules`),
scores in :mod:`market.registry.credit`, what a reader may see in
:mod:`market.registry.directory`. A firm edits only itself, administrators any
(:func:`market.policy.may_edit_firm`); a profile change counts at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from market import accounts, audit
from market.audit import Actor
from market.db import UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from market.models import (
    AuditEntry,
    CreditEvent,
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    Organisation,
    Registry,
    Role,
    TrackRecord,
    User,
)
from market.principal import Principal
from market.registry.admission import change_status, ensure_may_edit, ensure_version, load_firm
from market.registry.new_firm import new_firm, track_record_values
from market.registry.records import (
    FIRM_COLUMNS,
    PROFILE_FIELDS,
    FirmInput,
    fields_of,
    firm_input,
    track_record_input,
)
from market.registry.vocabulary import Vocabulary
from market.settings import AuthSettings

ROLE_OF = {Registry.CONTRACTOR: Role.CONTRACTOR, Registry.INTERMEDIARY: Role.INTERMEDIARY}
APPLICATION = "入库申请"  # the reason of an application's first status (and the firm's status reason)


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
    facts = new_firm(
        record, status=FirmStatus.APPLIED, reason=APPLICATION, actor=actor, now=now, credit=vocabulary.credit
    )
    org = Organisation(**facts.organisation)
    uow.session.add(org)
    try:
        async with uow.session.begin_nested():
            await uow.session.flush()
    except IntegrityError:  # a concurrent application with the same USCC won the race
        raise Conflict(f"a firm with USCC {record.uscc} is already registered", field="uscc") from None
    firm = Firm(id=org.id, **facts.firm)
    uow.session.add(firm)
    await uow.session.flush()
    uow.session.add(FirmStatusChange(firm_id=firm.id, **facts.status_change))
    uow.session.add(CreditEvent(firm_id=firm.id, **facts.credit_event))
    uow.session.add_all(Licence(firm_id=firm.id, **values) for values in facts.licences)
    uow.session.add_all(TrackRecord(firm_id=firm.id, **values) for values in facts.track_records)
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
    await _check_application_rate(uow, address, auth, now)
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


async def _check_application_rate(uow: UnitOfWork, address: str, auth: AuthSettings, now: datetime) -> None:
    """At most ``auth.max_applications_per_address`` applications per address and hour.
    The address is in the audit entry; the time is the application's first status change,
    written with the service's clock, so that the hour is the same hour every other rule
    sees (the audit entry's own time is the database's)."""
    if not address:
        return
    recent = await uow.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .join(FirmStatusChange, AuditEntry.object_id == cast(FirmStatusChange.firm_id, String))
        .where(
            AuditEntry.action == "firm:applied",
            AuditEntry.client_address == address,
            FirmStatusChange.from_status.is_(None),
            FirmStatusChange.changed_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= auth.max_applications_per_address:
        raise TooManyAttempts(
            f"{recent} applications have come from your address in the last hour; wait an hour "
            "or ask the trading centre to file the application",
            retry_after=3600,
        )


async def resubmit(
    uow: UnitOfWork, actor: Actor, principal: Principal, firm_id: int, *, now: datetime, note: str = ""
) -> Firm:
    """After a return (退回补正) or a rejection, the firm sends its application again."""
    ensure_may_edit(principal, firm_id)
    firm = await load_firm(uow, firm_id, for_update=True)
    await change_status(uow, actor, firm, FirmStatus.APPLIED, reason=note or "重新提交入库申请", now=now)
    return firm


# -- the profile ------------------------------------------------------------------------------
def _firm_columns(source: FirmInput | Firm) -> dict[str, Any]:
    """The firm row's own columns, from a checked record or from the stored firm."""
    return fields_of(source, FIRM_COLUMNS)


def current_record(firm: Firm) -> dict[str, Any]:
    """The firm's profile as :func:`firm_input` takes it."""
    org = firm.organisation
    return {
        "kind": firm.kind.value,
        "uscc": org.uscc,
        "name": org.name,
        "address": org.address,
        **_firm_columns(firm),
    }


async def update_profile(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    firm_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    vocabulary: Vocabulary,
    now: datetime,
) -> Firm:
    """Change profile fields (not the USCC, not licences). The whole profile is checked
    again, and a stale ``expected_version`` is a 409."""
    ensure_may_edit(principal, firm_id)
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
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
        raise Conflict("a removed firm cannot be changed", firm_status=firm.status.value)
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
    # the firm row is written even when only the organisation's name or address changed,
    # so that its version moves and a form opened before sees a conflict; flagged, because
    # the same time twice (a fixed clock, a fast second edit) would otherwise be no change
    firm.updated_at = now
    flag_modified(firm, "updated_at")
    await uow.session.flush()
    await audit.record(uow, actor, "firm:changed", "firm", firm.id, diff)
    return firm


# -- track records ----------------------------------------------------------------------------
async def add_track_record(
    uow: UnitOfWork,
    actor: Actor,
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
    row = TrackRecord(firm_id=firm_id, **track_record_values(track))
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "track_record:added",
        "firm",
        firm_id,
        {"track_record_id": row.id, "project": track.project, "contract_value": track.contract_value},
    )
    return row


async def remove_track_record(
    uow: UnitOfWork, actor: Actor, principal: Principal, firm_id: int, record_id: int
) -> None:
    ensure_may_edit(principal, firm_id)
    row = await uow.session.get(TrackRecord, record_id)
    if row is None or row.firm_id != firm_id:
        raise NotFound(f"firm {firm_id} has no track record {record_id}", track_record_id=record_id)
    await uow.session.delete(row)
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "track_record:removed",
        "firm",
        firm_id,
        {"track_record_id": record_id, "project": row.project},
    )
