"""Procurements as readers find them: the public list, an organisation's own list, one
procurement with its versions and attachments, and the eligibility count before publishing.

Read-only queries; access is :mod:`market.policy`'s (through
:func:`market.procurement.service.load` for one procurement): the public list holds
published procurements and every later state, never a draft; an organisation's list holds
its own drafts too. Nothing here says anything about bids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound, PermissionDenied
from market.models import Organisation, Procurement, ProcurementAttachment, ProcurementVersion
from market.principal import Principal
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import draft_from_input
from market.procurement.eligibility_count import (
    REFUSALS_JUDGED,
    EligibilityCount,
    eligibility_now,
    requirements_of,
)
from market.procurement.republish import AttemptChain, chain_of
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, QuoteMode

__all__ = [
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "REFUSALS_JUDGED",
    "TEXT_SEARCH",
    "AttachmentEntry",
    "EligibilityCount",
    "Listing",
    "ProcurementDetail",
    "ProcurementSummary",
    "SearchFilters",
    "VersionEntry",
    "attachments_of",
    "detail",
    "eligibility_now",
    "of_organisation",
    "requirements_of",
    "search_public",
    "version_detail",
    "versions_of",
]

#: Most characters of a text search (the words of a title or a reference, not a document).
TEXT_SEARCH = 100
MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # keeps OFFSET far inside a bigint


@dataclass(frozen=True, slots=True)
class ProcurementSummary:
    """One line of a list."""

    id: int
    reference: str | None
    kind: ProcurementKind
    status: ProcurementStatus
    title: str
    owner_organisation_id: int
    owner_name: str
    division_code: str
    service_type: str | None
    work_field: str | None
    budget: Decimal
    ceiling: Decimal
    quote_mode: QuoteMode | None
    bid_deadline: datetime | None
    selection_time: datetime
    published_at: datetime | None
    version: int  # the row's version: what an edit, publication or amendment must name

    @classmethod
    def of(cls, row: Procurement, owner_name: str) -> ProcurementSummary:
        return cls(
            id=row.id,
            reference=row.reference,
            kind=row.kind,
            status=row.status,
            title=row.title,
            owner_organisation_id=row.owner_organisation_id,
            owner_name=owner_name,
            division_code=row.division_code,
            service_type=row.service_type,
            work_field=row.work_field,
            budget=row.budget,
            ceiling=row.ceiling,
            quote_mode=row.quote_mode,
            bid_deadline=row.bid_deadline,
            selection_time=row.selection_time,
            published_at=row.published_at,
            version=row.version,
        )


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What the public list may be narrowed by; every field optional."""

    text: str | None = None  # in the title, the description or the reference
    kind: ProcurementKind | None = None
    service_type: str | None = None
    work_field: str | None = None
    division: str | None = None
    status: ProcurementStatus | None = None
    deadline_from: datetime | None = None  # bid deadline (or, without bids, the draw) from
    deadline_to: datetime | None = None  # ... up to and including


@dataclass(frozen=True, slots=True)
class Listing:
    items: list[ProcurementSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """A published version (1 = the publication, then one per amendment 变更公告)."""

    sequence: int
    created_at: datetime
    reason: str
    diff: dict[str, Any]  # field -> {old, new}, as JSON
    terms_sha256: str


@dataclass(frozen=True, slots=True)
class AttachmentEntry:
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    added_in_version: int | None  # None while the procurement is a draft
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProcurementDetail:
    summary: ProcurementSummary
    terms: DraftTerms
    versions: tuple[VersionEntry, ...]
    attachments: tuple[AttachmentEntry, ...]
    cancelled_at: datetime | None
    cancel_reason: str
    bids_valid_from: int  # bids confirmed against an earlier version must be re-confirmed
    chain: AttemptChain | None = None  # the attempts before it and after it (流标 rounds)


# -- lists ----------------------------------------------------------------------------------
def _closes_at() -> ColumnElement[datetime]:
    return func.coalesce(Procurement.bid_deadline, Procurement.selection_time)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    text = (filters.text or "").strip()
    if len(text) > TEXT_SEARCH:
        raise InvalidInput(f"search text is at most {TEXT_SEARCH} characters", field="text")
    if text:
        pattern = _like(text)
        conditions.append(
            or_(
                Procurement.title.ilike(pattern),
                Procurement.terms["description"].astext.ilike(pattern),
                Procurement.reference.ilike(pattern),
            )
        )
    if filters.kind is not None:
        conditions.append(Procurement.kind == filters.kind)
    if filters.service_type:
        conditions.append(Procurement.service_type == filters.service_type)
    if filters.work_field:
        conditions.append(Procurement.work_field == filters.work_field)
    if filters.division:
        conditions.append(Procurement.division_code == filters.division)
    if filters.status is not None:
        conditions.append(Procurement.status == filters.status)
    if filters.deadline_from is not None:
        conditions.append(_closes_at() >= filters.deadline_from)
    if filters.deadline_to is not None:
        conditions.append(_closes_at() <= filters.deadline_to)
    return conditions


def _check_page(page: int, per_page: int) -> None:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page is between 1 and {MAX_PER_PAGE}", field="per_page")
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput(f"page is between 1 and {MAX_PAGE}", field="page")


async def _page(
    uow: UnitOfWork, conditions: list[ColumnElement[bool]], order: tuple[Any, ...], page: int, per_page: int
) -> Listing:
    _check_page(page, per_page)
    total = await uow.session.scalar(select(func.count()).select_from(Procurement).where(*conditions))
    query = (
        select(Procurement, Organisation.name)
        .join(Organisation, Organisation.id == Procurement.owner_organisation_id)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = (await uow.session.execute(query)).all()
    return Listing([ProcurementSummary.of(row, name) for row, name in rows], int(total or 0), page, per_page)


async def search_public(
    uow: UnitOfWork, filters: SearchFilters, *, page: int = 1, per_page: int = 20
) -> Listing:
    """Published procurements and every later state, newest publication first; never a draft
    (asking for drafts is a 422, not an empty list, so that nobody thinks they are hidden)."""
    if filters.status is ProcurementStatus.DRAFT:
        raise InvalidInput("drafts are not published; the public list has none", field="status")
    conditions = [Procurement.status != ProcurementStatus.DRAFT, *_conditions(filters)]
    order = (Procurement.published_at.desc().nulls_last(), Procurement.id.desc())
    return await _page(uow, conditions, order, page, per_page)


async def of_organisation(
    uow: UnitOfWork,
    principal: Principal,
    *,
    status: ProcurementStatus | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Listing:
    """The principal's organisation's own procurements, drafts included, last changed first."""
    if principal.organisation_id is None:
        raise PermissionDenied("only an organisation's accounts have procurements of their own")
    conditions: list[ColumnElement[bool]] = [Procurement.owner_organisation_id == principal.organisation_id]
    if status is not None:
        conditions.append(Procurement.status == status)
    order = (Procurement.updated_at.desc(), Procurement.id.desc())
    return await _page(uow, conditions, order, page, per_page)


# -- one procurement --------------------------------------------------------------------------
async def attachments_of(uow: UnitOfWork, procurement_id: int) -> tuple[AttachmentEntry, ...]:
    """The files a procurement carries (without their bytes), in the order they were added."""
    rows = await uow.session.execute(
        select(
            ProcurementAttachment.id,
            ProcurementAttachment.name,
            ProcurementAttachment.media_type,
            ProcurementAttachment.size,
            ProcurementAttachment.sha256,
            ProcurementAttachment.added_in_version,
            ProcurementAttachment.created_at,
        )
        .where(ProcurementAttachment.procurement_id == procurement_id)
        .order_by(ProcurementAttachment.id)
    )
    return tuple(AttachmentEntry(*row) for row in rows)


async def versions_of(uow: UnitOfWork, procurement_id: int) -> tuple[VersionEntry, ...]:
    rows = await uow.session.scalars(
        select(ProcurementVersion)
        .where(ProcurementVersion.procurement_id == procurement_id)
        .order_by(ProcurementVersion.sequence)
    )
    return tuple(
        VersionEntry(
            sequence=v.sequence,
            created_at=v.created_at,
            reason=v.reason,
            diff=dict(v.diff),
            terms_sha256=service.terms_digest(draft_from_input(v.terms)),
        )
        for v in rows
    )


async def detail(uow: UnitOfWork, principal: Principal | None, procurement_id: int) -> ProcurementDetail:
    """One procurement with its full terms, versions and attachments; a draft is a 404 to
    anyone outside its organisation, as in :func:`market.procurement.service.load`."""
    row = await service.load(uow, principal, procurement_id)
    owner_name = await uow.session.scalar(
        select(Organisation.name).where(Organisation.id == row.owner_organisation_id)
    )
    return ProcurementDetail(
        summary=ProcurementSummary.of(row, owner_name or ""),
        terms=service.stored_terms(row),
        versions=await versions_of(uow, row.id),
        attachments=await attachments_of(uow, row.id),
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        bids_valid_from=row.bids_valid_from,
        chain=await chain_of(uow, principal, row),
    )


async def version_detail(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, sequence: int
) -> tuple[VersionEntry, DraftTerms]:
    """One published version with the whole terms it published."""
    row = await service.load(uow, principal, procurement_id)
    found = await uow.session.scalar(
        select(ProcurementVersion).where(
            ProcurementVersion.procurement_id == row.id, ProcurementVersion.sequence == sequence
        )
    )
    if found is None:
        raise NotFound(f"procurement {procurement_id} has no version {sequence}", sequence=sequence)
    terms = draft_from_input(found.terms)
    entry = VersionEntry(
        found.sequence, found.created_at, found.reason, dict(found.diff), service.terms_digest(terms)
    )
    return entry, terms
