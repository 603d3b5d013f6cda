"""One firm's record as a reader sees it (企业详情): frozen plain data with real dates,
times and amounts, built by :func:`market.registry.directory.firm_record`. What a reader
may not see is ``None`` (the contact details of the public's view, the status reason and
history of everyone but the firm and the officials), so that the JSON answer can leave it
out rather than show it empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from market.models import FirmStatus, LicenceStatus, MisconductSeverity, Registry
from market.registry.vocabulary import Term


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str
    email: str


@dataclass(frozen=True, slots=True)
class LicenceEntry:
    """A licence (资质证书) on the record, judged on the reader's day."""

    id: int
    licence_type: str
    licence_name: str
    grade: str
    number: str
    issuer: str
    issued_on: date | None
    valid_until: date
    expired: bool
    days_left: int  # negative once expired
    e_licence_ref: str | None
    status: LicenceStatus
    replaces_id: int | None
    review_reason: str


@dataclass(frozen=True, slots=True)
class TrackRecordEntry:
    """A completed project (业绩)."""

    id: int
    project: str
    owner_name: str
    contract_value: Decimal  # yuan
    completed_on: date
    field_code: str


@dataclass(frozen=True, slots=True)
class MisconductEntry:
    """A misconduct record (不良行为记录) and the points it took."""

    id: int
    severity: MisconductSeverity
    description: str
    occurred_on: date
    reference: str
    deduction: Decimal  # points, negative


@dataclass(frozen=True, slots=True)
class StatusChangeEntry:
    """One admission decision or status change, with who made it and why."""

    from_status: FirmStatus | None  # None for the application itself
    to_status: FirmStatus
    reason: str
    until: datetime | None
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class FirmRecord:
    """Everything one audience may see of a firm, codes resolved to names."""

    id: int
    kind: Registry
    name: str
    uscc: str | None
    legal_representative: str
    address: str
    division_code: str | None
    division: str  # the division's name; empty outside the city
    work_fields: tuple[Term, ...]
    service_types: tuple[Term, ...]
    practitioners: int
    service_area: tuple[Term, ...]
    introduction: str
    status: FirmStatus  # as of the reader's time: a lapsed suspension reads as admitted
    suspended_until: datetime | None  # only while suspended
    credit_score: Decimal
    admitted_at: datetime | None
    version: int
    licences: tuple[LicenceEntry, ...]
    track_records: tuple[TrackRecordEntry, ...]
    misconduct: tuple[MisconductEntry, ...]
    contact: Contact | None = None  # None: not for this reader
    status_reason: str | None = None  # None: not for this reader
    history: tuple[StatusChangeEntry, ...] | None = None  # None: not for this reader
