"""The two registries: the small-works contractor pool (小额工程企业库) and the intermediary
registry (中介机构库). A firm is an :class:`Organisation` (name, USCC, address) plus a
:class:`Firm` row with what the registry needs to know about it. :class:`FirmStatus` is
defined with its rules in :mod:`market.registry.admission_rules`, which know nothing of
tables, and stored here as its value."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.models.accounts import Organisation, OrganisationKind
from market.models.base import Base, Timestamped, str_enum
from market.registry.admission_rules import FirmStatus


class Registry(enum.StrEnum):
    """Which registry a firm is in."""

    CONTRACTOR = "contractor"
    INTERMEDIARY = "intermediary"

    @property
    def label(self) -> str:
        """The registry's Chinese name."""
        return _REGISTRY_LABELS[self]


_REGISTRY_LABELS = {Registry.CONTRACTOR: "小额工程企业库", Registry.INTERMEDIARY: "中介机构库"}


# the kind of organisation a firm of each registry is
ORGANISATION_KIND = {
    Registry.CONTRACTOR: OrganisationKind.CONTRACTOR,
    Registry.INTERMEDIARY: OrganisationKind.INTERMEDIARY,
}


class LicenceStatus(enum.StrEnum):
    """Review state of a licence. Only ``approved`` licences count for eligibility; a
    firm's change makes a ``pending`` copy that replaces the approved one when approved."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The review state as a page shows it (Chinese)."""
        return _LICENCE_STATUS_LABELS[self]


_LICENCE_STATUS_LABELS = {
    LicenceStatus.PENDING: "待审核",
    LicenceStatus.APPROVED: "有效",
    LicenceStatus.REJECTED: "未通过审核",
    LicenceStatus.SUPERSEDED: "已被替换",
    LicenceStatus.WITHDRAWN: "已撤回",
}


class MisconductSeverity(enum.StrEnum):
    MINOR = "minor"
    SERIOUS = "serious"
    SEVERE = "severe"  # suspends the firm

    @property
    def label(self) -> str:
        """The severity's Chinese name."""
        return _SEVERITY_LABELS[self]


_SEVERITY_LABELS = {
    MisconductSeverity.MINOR: "一般",
    MisconductSeverity.SERIOUS: "较重",
    MisconductSeverity.SEVERE: "严重",
}


class CreditCause(enum.StrEnum):
    BASE = "base"
    EVALUATION = "evaluation"  # 业主服务评价
    PERFORMANCE = "performance"  # on time or late
    MISCONDUCT = "misconduct"
    ADJUSTMENT = "adjustment"  # a correction by an administrator, with its reason


_STR_ARRAY = ARRAY(String(40))


class Firm(Timestamped, Base):
    __tablename__ = "firm"

    id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True
    )
    kind: Mapped[Registry] = mapped_column(str_enum(Registry, "registry"))
    # The organisation's USCC, copied by a trigger (insert, and any change of the
    # organisation's code), so that eligibility lists firms without joining organisations.
    uscc: Mapped[str] = mapped_column(String(18), server_default=FetchedValue(), unique=True)
    legal_representative: Mapped[str] = mapped_column(String(50))
    # county-level division of registration; NULL when registered outside the region
    division_code: Mapped[str | None] = mapped_column(String(12))
    contact_name: Mapped[str] = mapped_column(String(50), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(120), default="", server_default="")
    introduction: Mapped[str] = mapped_column(Text, default="", server_default="")
    work_fields: Mapped[list[str]] = mapped_column(_STR_ARRAY, default=list, server_default="{}")
    service_types: Mapped[list[str]] = mapped_column(_STR_ARRAY, default=list, server_default="{}")
    practitioners: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    service_area: Mapped[list[str]] = mapped_column(_STR_ARRAY, default=list, server_default="{}")
    status: Mapped[FirmStatus] = mapped_column(str_enum(FirmStatus, "firm_status"))
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    status_changed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    suspended_until: Mapped[datetime | None]
    applied_at: Mapped[datetime] = mapped_column(server_default=func.now())
    admitted_at: Mapped[datetime | None]
    credit_score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_firm_kind_status", "kind", "status"),
        CheckConstraint("credit_score BETWEEN 0 AND 100", name="credit_score_range"),
        CheckConstraint("practitioners >= 0", name="practitioners_not_negative"),
    )


class Licence(Base):
    """A qualification certificate (资质证书 / 电子证照)."""

    __tablename__ = "licence"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"))
    licence_type: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(20), default="", server_default="")
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    e_licence_ref: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[LicenceStatus] = mapped_column(str_enum(LicenceStatus, "licence_status"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("licence.id", ondelete="SET NULL"))
    review_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        CheckConstraint("issued_on IS NULL OR valid_until >= issued_on", name="valid_after_issue"),
        # eligibility probes each candidate firm's approved licences: index-only, no heap
        Index(
            "ix_licence_approved_firm",
            "firm_id",
            "licence_type",
            "valid_until",
            "grade",
            "issued_on",
            postgresql_where=text("status = 'approved'"),
        ),
        Index("ix_licence_firm", "firm_id"),
        # one approved certificate per number; a pending renewal may repeat the number
        Index(
            "uq_licence_approved_number",
            "firm_id",
            "licence_type",
            "number",
            unique=True,
            postgresql_where=text("status = 'approved'"),
        ),
        Index("ix_licence_approved_expiry", "valid_until", postgresql_where=text("status = 'approved'")),
    )


class TrackRecord(Base):
    """A completed project (业绩)."""

    __tablename__ = "track_record"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    project: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    contract_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    completed_on: Mapped[date] = mapped_column(Date)
    # a work field (contractors) or a service type (intermediaries)
    field_code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (CheckConstraint("contract_value >= 0", name="value_not_negative"),)


class FirmStatusChange(Base):
    """Every admission decision and status change, with its reason, actor and time."""

    __tablename__ = "firm_status_change"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[FirmStatus | None] = mapped_column(str_enum(FirmStatus, "firm_status"))
    to_status: Mapped[FirmStatus] = mapped_column(str_enum(FirmStatus, "firm_status"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    until: Mapped[datetime | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Misconduct(Base):
    """A 不良行为记录."""

    __tablename__ = "misconduct"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    severity: Mapped[MisconductSeverity] = mapped_column(str_enum(MisconductSeverity, "misconduct_severity"))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100), default="", server_default="")
    deduction: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    suspended_until: Mapped[datetime | None]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ServiceEvaluation(Base):
    """An owner's evaluation of a firm's work on one procurement (服务评价). The
    procurement lifecycle writes these; each one moves the credit score."""

    __tablename__ = "service_evaluation"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    procurement_ref: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(SmallInteger)
    on_time: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("firm_id", "procurement_ref", name="uq_service_evaluation_firm_procurement"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    )


class CreditEvent(Base):
    """One change of a firm's credit score and why; the score is base + the sum of these."""

    __tablename__ = "credit_event"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"))
    cause: Mapped[CreditCause] = mapped_column(str_enum(CreditCause, "credit_cause"))
    delta: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    score_after: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    source_type: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    actor_label: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_credit_event_firm_time", "firm_id", "occurred_at"),)


__all__ = [
    "ORGANISATION_KIND",
    "CreditCause",
    "CreditEvent",
    "Firm",
    "FirmStatus",
    "FirmStatusChange",
    "Licence",
    "LicenceStatus",
    "Misconduct",
    "MisconductSeverity",
    "Registry",
    "ServiceEvaluation",
    "TrackRecord",
]
