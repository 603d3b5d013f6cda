"""The registries as people browse them: search with filters, pages and sorting, and one
firm's record as each kind of reader may see it.

The public sees what a trading centre publishes (名录公示): identity, registration, fields
or services, approved licences, track records, misconduct records, credit score and
status. Contact details are for signed-in members (not for applicants, see
:mod:`market.policy`); pending licences, the status history and the credit events are for
the firm itself, supervisors and administrators. The services here take the reader and
ask :mod:`market.policy` (whose ``audience_of`` is re-exported for the pages' wording).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, cast, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from market import policy
from market.clock import local_day
from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound
from market.models import (
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    Misconduct,
    Organisation,
    Registry,
    TrackRecord,
)
from market.policy import Audience as Audience
from market.policy import audience_of as audience_of
from market.principal import Principal
from market.registry.admission import effective_status, load_firm
from market.registry.firm_record import (
    Contact,
    FirmRecord,
    LicenceEntry,
    MisconductEntry,
    StatusChangeEntry,
    TrackRecordEntry,
)
from market.registry.vocabulary import Term, Vocabulary

PUBLISHED_STATUSES = (FirmStatus.ADMITTED, FirmStatus.SUSPENDED)
MAX_PAGE = 100_000  # deeper than any registry; keeps OFFSET inside a bigint


SORTS: dict[str, tuple[Any, ...]] = {
    "name": (Organisation.name, Firm.id),
    "credit": (Firm.credit_score.desc(), Firm.id),
    "-credit": (Firm.credit_score, Firm.id),
    "admitted": (Firm.admitted_at.desc().nulls_last(), Firm.id),
    "applied": (Firm.applied_at, Firm.id),
    "id": (Firm.id,),
}


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    kind: Registry | None = None
    text: str = ""
    division: str | None = None
    work_field: str | None = None
    service_type: str | None = None
    licence_type: str | None = None
    statuses: tuple[FirmStatus, ...] = PUBLISHED_STATUSES
    min_credit: Decimal | None = None
    sort: str = "name"
    page: int = 1
    per_page: int = 20


def directory_query(
    vocabulary: Vocabulary,
    *,
    kind: str | None = None,
    text: str = "",
    division: str | None = None,
    work_field: str | None = None,
    service_type: str | None = None,
    licence_type: str | None = None,
    status: str | None = None,
    min_credit: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = 20,
    reader: Principal | None = None,
) -> DirectoryQuery:
    """Check the filters given as text (query string); unknown values are 422s listing
    the allowed ones. Only officials may list firms that are not published."""
    audience = policy.audience_of(reader)
    registry = None
    if kind:
        try:
            registry = Registry(kind)
        except ValueError:
            raise InvalidInput("kind is contractor or intermediary", field="kind") from None
    statuses: tuple[FirmStatus, ...] = PUBLISHED_STATUSES
    if status:
        try:
            statuses = tuple(FirmStatus(s) for s in status.split(","))
        except ValueError:
            raise InvalidInput(
                f"status is one or more of {', '.join(s.value for s in FirmStatus)}",
                field="status",
            ) from None
        if not policy.sees_unpublished(audience) and not set(statuses) <= set(PUBLISHED_STATUSES):
            raise InvalidInput("only admitted and suspended firms are published", field="status")
    if sort not in SORTS:
        raise InvalidInput(f"sort is one of {', '.join(SORTS)}", field="sort", allowed=list(SORTS))
    if not 1 <= per_page <= 100:
        raise InvalidInput("per_page is between 1 and 100", field="per_page")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page is between 1 and {MAX_PAGE}", field="page")
    credit = None
    if min_credit:
        try:
            credit = Decimal(min_credit)
            if not (credit.is_finite() and 0 <= credit <= 100):
                raise ArithmeticError
        except ArithmeticError:
            raise InvalidInput("min_credit is a score between 0 and 100", field="min_credit") from None
    return DirectoryQuery(
        kind=registry,
        text=text.strip()[:100],
        division=vocabulary.divisions.resolve(division, field="division") if division else None,
        work_field=vocabulary.work_fields.resolve(work_field, field="work_field") if work_field else None,
        service_type=vocabulary.service_types.resolve(service_type, field="service_type")
        if service_type
        else None,
        licence_type=vocabulary.licence_type(licence_type).code if licence_type else None,
        statuses=statuses,
        min_credit=credit,
        sort=sort,
        page=page,
        per_page=per_page,
    )


@dataclass(frozen=True, slots=True)
class FirmSummary:
    id: int
    kind: Registry
    name: str
    uscc: str
    division_code: str | None
    work_fields: list[str]
    service_types: list[str]
    status: FirmStatus
    credit_score: Decimal
    admitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    items: list[FirmSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filters(query: DirectoryQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Firm.status.in_(query.statuses)]
    if query.kind is not None:
        conditions.append(Firm.kind == query.kind)
    if query.text:
        pattern = "%" + query.text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        conditions.append(or_(Organisation.name.ilike(pattern), Organisation.uscc == query.text.upper()))
    if query.division:
        conditions.append(Firm.division_code == query.division)
    if query.work_field:
        conditions.append(Firm.work_fields.contains([query.work_field]))
    if query.service_type:
        conditions.append(Firm.service_types.contains([query.service_type]))
    if query.min_credit is not None:
        conditions.append(Firm.credit_score >= query.min_credit)
    if query.licence_type:
        conditions.append(
            select(Licence.id)
            .where(
                Licence.firm_id == Firm.id,
                Licence.licence_type == query.licence_type,
                Licence.status == LicenceStatus.APPROVED,
            )
            .exists()
        )
    return conditions


async def search(uow: UnitOfWork, query: DirectoryQuery, *, now: datetime) -> DirectoryPage:
    """One page of firms matching ``query`` and the total count."""
    conditions = _filters(query)
    base = select(Firm, Organisation.name, Organisation.uscc).join(Organisation, Organisation.id == Firm.id)
    counted = select(func.count()).select_from(Firm)
    if query.text:  # only the name and the USCC need the organisation
        counted = counted.join(Organisation, Organisation.id == Firm.id)
    total = await uow.session.scalar(counted.where(*conditions))
    rows = await uow.session.execute(
        base.where(*conditions)
        .order_by(*SORTS[query.sort])
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )
    items = [
        FirmSummary(
            id=firm.id,
            kind=firm.kind,
            name=name,
            uscc=uscc or "",
            division_code=firm.division_code,
            work_fields=list(firm.work_fields),
            service_types=list(firm.service_types),
            status=effective_status(firm, now),
            credit_score=firm.credit_score,
            admitted_at=firm.admitted_at,
        )
        for firm, name, uscc in rows
    ]
    return DirectoryPage(items, int(total or 0), query.page, query.per_page)


async def names_of(uow: UnitOfWork, firm_ids: Sequence[int]) -> dict[int, str]:
    """Firms' names by id, for lists that carry ids only (eligibility, draws)."""
    rows = await uow.session.execute(
        select(Organisation.id, Organisation.name).where(
            Organisation.id == func.any(cast(firm_ids, ARRAY(BigInteger)))
        )
    )
    return {row[0]: row[1] for row in rows}


# -- one firm -------------------------------------------------------------------------------
async def firm_record(
    uow: UnitOfWork, vocabulary: Vocabulary, firm_id: int, *, reader: Principal | None, now: datetime
) -> FirmRecord:
    """Everything ``reader`` may see of one firm (:func:`market.policy.audience_of`), names
    resolved."""
    audience = policy.audience_of(reader, firm_id)
    firm = await load_firm(uow, firm_id)
    private = policy.sees_unpublished(audience)
    if firm.status not in PUBLISHED_STATUSES and not private:
        # an applicant's papers are not published until it is admitted
        raise NotFound(f"there is no published firm {firm_id}", firm_id=firm_id)
    org = firm.organisation
    status = effective_status(firm, now)
    contact = None
    if policy.sees_contacts(audience):
        contact = Contact(firm.contact_name, firm.contact_phone, firm.contact_email)
    licences = await _licences(uow, firm_id, include_unapproved=private)
    today = local_day(now)
    tracks = (
        await uow.session.scalars(
            select(TrackRecord)
            .where(TrackRecord.firm_id == firm_id)
            .order_by(TrackRecord.completed_on.desc())
        )
    ).all()
    misconduct = (
        await uow.session.scalars(
            select(Misconduct).where(Misconduct.firm_id == firm_id).order_by(Misconduct.occurred_on.desc())
        )
    ).all()
    return FirmRecord(
        id=firm.id,
        kind=firm.kind,
        name=org.name,
        uscc=org.uscc,
        legal_representative=firm.legal_representative,
        address=org.address,
        division_code=firm.division_code,
        division=vocabulary.divisions.name(firm.division_code) if firm.division_code else "",
        work_fields=tuple(Term(c, vocabulary.work_fields.name(c)) for c in firm.work_fields),
        service_types=tuple(Term(c, vocabulary.service_types.name(c)) for c in firm.service_types),
        practitioners=firm.practitioners,
        service_area=tuple(Term(c, vocabulary.divisions.name(c)) for c in firm.service_area),
        introduction=firm.introduction,
        status=status,
        suspended_until=firm.suspended_until if status is FirmStatus.SUSPENDED else None,
        credit_score=firm.credit_score,
        admitted_at=firm.admitted_at,
        version=firm.version,
        licences=tuple(_licence_entry(vocabulary, lic, today) for lic in licences),
        track_records=tuple(
            TrackRecordEntry(t.id, t.project, t.owner_name, t.contract_value, t.completed_on, t.field_code)
            for t in tracks
        ),
        misconduct=tuple(
            MisconductEntry(m.id, m.severity, m.description, m.occurred_on, m.reference, m.deduction)
            for m in misconduct
        ),
        contact=contact,
        status_reason=firm.status_reason if private else None,
        history=await _history(uow, firm_id) if private else None,
    )


async def _licences(uow: UnitOfWork, firm_id: int, *, include_unapproved: bool) -> Sequence[Licence]:
    query = select(Licence).where(Licence.firm_id == firm_id).order_by(Licence.licence_type, Licence.id)
    if not include_unapproved:
        query = query.where(Licence.status == LicenceStatus.APPROVED)
    return (await uow.session.scalars(query)).all()


def _licence_entry(vocabulary: Vocabulary, lic: Licence, today: date) -> LicenceEntry:
    return LicenceEntry(
        id=lic.id,
        licence_type=lic.licence_type,
        licence_name=vocabulary.licence_name(lic.licence_type),
        grade=lic.grade,
        number=lic.number,
        issuer=lic.issuer,
        issued_on=lic.issued_on,
        valid_until=lic.valid_until,
        expired=lic.valid_until < today,
        days_left=(lic.valid_until - today).days,
        e_licence_ref=lic.e_licence_ref,
        status=lic.status,
        replaces_id=lic.replaces_id,
        review_reason=lic.review_reason,
    )


async def _history(uow: UnitOfWork, firm_id: int) -> tuple[StatusChangeEntry, ...]:
    rows = (
        await uow.session.scalars(
            select(FirmStatusChange).where(FirmStatusChange.firm_id == firm_id).order_by(FirmStatusChange.id)
        )
    ).all()
    return tuple(
        StatusChangeEntry(r.from_status, r.to_status, r.reason, r.until, r.actor_label, r.changed_at)
        for r in rows
    )
