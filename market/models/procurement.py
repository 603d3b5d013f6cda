"""Procurements (采购项目): the row an owner drafts and publishes, every published version
of its terms, and the per-year counters behind reference numbers.

The terms live twice on purpose: whole, as the JSON :func:`market.procurement.draft_input.terms_json`
writes (what the rules read back), and the few that lists filter and sort by as columns.
The service writes both from the same :class:`~market.procurement.draft.DraftTerms`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base, Timestamped, str_enum
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, QuoteMode

_MONEY = Numeric(14, 2)


class Procurement(Timestamped, Base):
    __tablename__ = "procurement"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # given at publication from procurement_sequence; a draft has none
    reference: Mapped[str | None] = mapped_column(String(24), unique=True)
    kind: Mapped[ProcurementKind] = mapped_column(str_enum(ProcurementKind, "procurement_kind"))
    status: Mapped[ProcurementStatus] = mapped_column(str_enum(ProcurementStatus, "procurement_status"))
    owner_organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("organisation.id", ondelete="RESTRICT")
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(40))
    service_type: Mapped[str | None] = mapped_column(String(40))
    work_field: Mapped[str | None] = mapped_column(String(40))
    budget: Mapped[Decimal] = mapped_column(_MONEY)
    ceiling: Mapped[Decimal] = mapped_column(_MONEY)
    floor: Mapped[Decimal | None] = mapped_column(_MONEY)
    quote_mode: Mapped[QuoteMode | None] = mapped_column(str_enum(QuoteMode, "quote_mode"))
    bid_deadline: Mapped[datetime | None]
    selection_time: Mapped[datetime]
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # when the lifecycle (issue 12) next looks at it: the deadline or the draw; NULL when final
    next_check: Mapped[datetime | None]
    # the terms version from which a bid must have been confirmed to count: an amendment
    # bidders rely on raises it to its own version (bids before it must be re-confirmed)
    bids_valid_from: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # re-publication after 流标 (issue 12): the failed attempt this one follows, and its number
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # scored methods with technical scores: the reviewers score until then; the freeze follows
    review_deadline: Mapped[datetime | None]
    # small works: when the open offer to a drawn contractor lapses (the lifecycle's clock
    # reads it from the row, like every other due time); NULL when no offer is open
    offer_due_at: Mapped[datetime | None]
    # after the selection (issue 13), each read by the lifecycle's clock from the row:
    # the end of the result's publicity (the award follows unless an objection is open),
    publicity_ends_at: Mapped[datetime | None]
    # how many objections or complaints are open: while any is, the award waits
    objections_open: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the earliest due time of its open, not yet flagged time limits (market.award.limits)
    limit_due_at: Mapped[datetime | None]
    # an upheld objection's new round: when its inputs are frozen (the old ones, less the firm)
    redraw_freeze_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_procurement_status_kind", "status", "kind"),
        Index("ix_procurement_owner_organisation_id", "owner_organisation_id"),
        Index("ix_procurement_next_check", "next_check", postgresql_where=text("next_check IS NOT NULL")),
        # the statistics read a period's procurements by publication (and the year before)
        Index(
            "ix_procurement_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")
        ),
        CheckConstraint("reference IS NOT NULL OR status = 'draft'", name="published_has_reference"),
        CheckConstraint("floor IS NULL OR floor > 0", name="floor_positive"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("objections_open >= 0", name="objections_open_not_negative"),
        # a failed procurement is followed by at most one next attempt
        Index(
            "uq_procurement_previous_id",
            "previous_id",
            unique=True,
            postgresql_where=text("previous_id IS NOT NULL"),
        ),
    )


class ProcurementVersion(Base):
    """One published version of the terms: the first at publication, one per amendment
    (变更公告), with what changed and why. Never updated or deleted."""

    __tablename__ = "procurement_version"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    sequence: Mapped[int] = mapped_column(Integer)
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    diff: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("procurement_id", "sequence", name="uq_procurement_version_sequence"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
    )


class ProcurementSequence(Base):
    """The last reference number given per prefix and year; a number is never given twice
    (one taken by a publication that rolled back was never published)."""

    __tablename__ = "procurement_sequence"

    prefix: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("prefix", "year", name="pk_procurement_sequence"),
        CheckConstraint("last_number >= 1", name="last_number_positive"),
    )
