"""What the registry API answers to reads — the vocabulary, the directory, one firm's
record, a credit statement, licence lists — as msgspec Read structs, each built by
``.of()`` from what a service returns. Answers to changes, eligibility and imports are in
:mod:`web.registry_results`; request bodies in :mod:`web.registry_schemas`. Both modules
are shared by the registry controllers, so that no controller imports another.

Amounts and scores are ``Decimal`` and go out as JSON strings (``"80.00"``), exactly as
stored, never through a float; dates are ``YYYY-MM-DD`` and times RFC 3339.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType, field

from market.models import (
    CreditCause,
    FirmStatus,
    LicenceStatus,
    MisconductSeverity,
    Registry,
)
from market.registry import credit, directory, licences
from market.registry.firm_record import (
    FirmRecord,
    LicenceEntry,
    MisconductEntry,
    StatusChangeEntry,
    TrackRecordEntry,
)
from market.registry.vocabulary import LicenceType, Term, Vocabulary

Score = Annotated[Decimal, Meta(description='credit points, 0–100, e.g. "80.00"')]
Points = Annotated[Decimal, Meta(description='credit points gained or lost, e.g. "-2.00"')]
Yuan = Annotated[Decimal, Meta(description='yuan, e.g. "1250000.00"')]


# -- the vocabulary ---------------------------------------------------------------------------
class TermView(Struct):
    code: str
    name: str

    @classmethod
    def of(cls, t: Term) -> TermView:
        return cls(t.code, t.name)


class RegionView(Struct):
    province: str
    city: str
    code: str
    divisions: list[TermView]


class LicenceTypeView(Struct):
    code: str
    name: str
    registry: Registry
    grades: Annotated[list[str], Meta(description="best first; empty for 不分等级")]
    covers: list[str]

    @classmethod
    def of(cls, t: LicenceType) -> LicenceTypeView:
        return cls(t.code, t.name, t.registry, list(t.grades), list(t.covers))


class VocabularyView(Struct):
    region: RegionView
    work_fields: list[TermView]
    service_types: list[TermView]
    licence_types: list[LicenceTypeView]

    @classmethod
    def of(cls, v: Vocabulary) -> VocabularyView:
        r = v.region
        return cls(
            RegionView(r.province, r.city, r.code, [TermView.of(t) for t in r.divisions]),
            [TermView.of(t) for t in v.work_fields.terms],
            [TermView.of(t) for t in v.service_types.terms],
            [LicenceTypeView.of(t) for t in v.licence_types.values()],
        )


# -- the directory ----------------------------------------------------------------------------
class FirmSummaryView(Struct):
    id: int
    kind: Registry
    name: str
    uscc: str
    division_code: str | None
    work_fields: list[str]
    service_types: list[str]
    status: FirmStatus
    credit_score: Score

    @classmethod
    def of(cls, f: directory.FirmSummary) -> FirmSummaryView:
        return cls(
            f.id,
            f.kind,
            f.name,
            f.uscc,
            f.division_code,
            f.work_fields,
            f.service_types,
            f.status,
            f.credit_score,
        )


class DirectoryView(Struct):
    total: int
    page: int
    per_page: int
    pages: int
    items: list[FirmSummaryView]

    @classmethod
    def of(cls, found: directory.DirectoryPage) -> DirectoryView:
        return cls(
            found.total, found.page, found.per_page, found.pages, [FirmSummaryView.of(f) for f in found.items]
        )


# -- one firm ---------------------------------------------------------------------------------
class ContactView(Struct):
    name: str
    phone: str
    email: str


class LicenceView(Struct):
    id: int
    licence_type: str
    licence_name: str
    grade: str
    number: str
    issuer: str
    issued_on: date | None
    valid_until: date
    expired: bool
    days_left: Annotated[int, Meta(description="days until valid_until; negative once expired")]
    e_licence_ref: str | None
    status: LicenceStatus
    replaces_id: int | None
    review_reason: str

    @classmethod
    def of(cls, e: LicenceEntry) -> LicenceView:
        return cls(
            e.id,
            e.licence_type,
            e.licence_name,
            e.grade,
            e.number,
            e.issuer,
            e.issued_on,
            e.valid_until,
            e.expired,
            e.days_left,
            e.e_licence_ref,
            e.status,
            e.replaces_id,
            e.review_reason,
        )


class TrackRecordView(Struct):
    id: int
    project: str
    owner_name: str
    contract_value: Yuan
    completed_on: date
    field_code: str

    @classmethod
    def of(cls, t: TrackRecordEntry) -> TrackRecordView:
        return cls(t.id, t.project, t.owner_name, t.contract_value, t.completed_on, t.field_code)


class MisconductView(Struct):
    id: int
    severity: MisconductSeverity
    description: str
    occurred_on: date
    reference: str
    deduction: Points

    @classmethod
    def of(cls, m: MisconductEntry) -> MisconductView:
        return cls(m.id, m.severity, m.description, m.occurred_on, m.reference, m.deduction)


class StatusChangeView(Struct):
    from_status: FirmStatus | None = field(name="from")
    to_status: FirmStatus = field(name="to")
    reason: str
    until: datetime | None
    actor: str
    at: datetime

    @classmethod
    def of(cls, c: StatusChangeEntry) -> StatusChangeView:
        return cls(c.from_status, c.to_status, c.reason, c.until, c.actor, c.at)


class FirmRecordView(Struct, kw_only=True):
    """A firm's record; ``contact`` is left out for the public, ``status_reason`` and
    ``history`` for everyone but the firm itself and the officials."""

    id: int
    kind: Registry
    name: str
    uscc: str | None
    legal_representative: str
    address: str
    division_code: str | None
    division: str
    work_fields: list[TermView]
    service_types: list[TermView]
    practitioners: int
    service_area: list[TermView]
    introduction: str
    status: FirmStatus
    suspended_until: datetime | None
    credit_score: Score
    admitted_at: datetime | None
    version: int
    contact: ContactView | UnsetType = UNSET
    licences: list[LicenceView]
    track_records: list[TrackRecordView]
    misconduct: list[MisconductView]
    status_reason: str | UnsetType = UNSET
    history: list[StatusChangeView] | UnsetType = UNSET

    @classmethod
    def of(cls, r: FirmRecord) -> FirmRecordView:
        return cls(
            id=r.id,
            kind=r.kind,
            name=r.name,
            uscc=r.uscc,
            legal_representative=r.legal_representative,
            address=r.address,
            division_code=r.division_code,
            division=r.division,
            work_fields=[TermView.of(t) for t in r.work_fields],
            service_types=[TermView.of(t) for t in r.service_types],
            practitioners=r.practitioners,
            service_area=[TermView.of(t) for t in r.service_area],
            introduction=r.introduction,
            status=r.status,
            suspended_until=r.suspended_until,
            credit_score=r.credit_score,
            admitted_at=r.admitted_at,
            version=r.version,
            contact=UNSET
            if r.contact is None
            else ContactView(r.contact.name, r.contact.phone, r.contact.email),
            licences=[LicenceView.of(e) for e in r.licences],
            track_records=[TrackRecordView.of(t) for t in r.track_records],
            misconduct=[MisconductView.of(m) for m in r.misconduct],
            status_reason=UNSET if r.status_reason is None else r.status_reason,
            history=UNSET if r.history is None else [StatusChangeView.of(c) for c in r.history],
        )


# -- credit -----------------------------------------------------------------------------------
class CreditEntryView(Struct):
    id: int
    cause: CreditCause
    delta: Points
    score_after: Score
    source: Annotated[str, Meta(description="'table:id' of the record behind the event, or empty")]
    note: str
    actor: str
    occurred_at: datetime

    @classmethod
    def of(cls, e: credit.CreditEntry) -> CreditEntryView:
        return cls(e.id, e.cause, e.delta, e.score_after, e.source, e.note, e.actor, e.occurred_at)


class CreditStatementView(Struct):
    firm_id: int
    score: Score
    recomputed: Annotated[Decimal, Meta(description="the score rebuilt from the events")]
    consistent: bool
    events: list[CreditEntryView]

    @classmethod
    def of(cls, s: credit.CreditStatement) -> CreditStatementView:
        return cls(s.firm_id, s.score, s.recomputed, s.consistent, [CreditEntryView.of(e) for e in s.events])


# -- licence lists ----------------------------------------------------------------------------
class ExpiringLicenceView(Struct):
    licence_id: int
    firm_id: int
    firm_name: str
    licence_type: str
    grade: str
    number: str
    valid_until: date
    days_left: int

    @classmethod
    def of(cls, e: licences.ExpiringLicence) -> ExpiringLicenceView:
        return cls(
            e.licence_id,
            e.firm_id,
            e.firm_name,
            e.licence_type,
            e.grade,
            e.number,
            e.valid_until,
            e.days_left,
        )


class ExpiringLicences(Struct):
    total: int
    offset: int
    items: list[ExpiringLicenceView]

    @classmethod
    def of(cls, found: licences.Listing[licences.ExpiringLicence]) -> ExpiringLicences:
        return cls(found.total, found.offset, [ExpiringLicenceView.of(e) for e in found.items])


class PendingLicenceView(Struct):
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

    @classmethod
    def of(cls, p: licences.PendingLicence) -> PendingLicenceView:
        return cls(
            p.licence_id,
            p.firm_id,
            p.firm_name,
            p.firm_status,
            p.licence_type,
            p.grade,
            p.number,
            p.valid_until,
            p.replaces_id,
            p.submitted_at,
        )


class PendingLicences(Struct):
    total: int
    offset: int
    items: list[PendingLicenceView]

    @classmethod
    def of(cls, found: licences.Listing[licences.PendingLicence]) -> PendingLicences:
        return cls(found.total, found.offset, [PendingLicenceView.of(p) for p in found.items])
