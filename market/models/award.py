"""After the selection (issue 13): the result's publicity and its objections, the award with
its documents and the contract both parties confirm, delivery, acceptance, the owner's
evaluation, and every time limit of those steps.

- ``award``: who is (or was) to get the procurement, one row per winner a round put
  forward — the drawn winner, an alternate moved up, a redrawn winner. The current one has
  no ``ended_at``; a voided or replaced one keeps its row with the reason.
- ``objection``: a respondent's 质疑 of the result, the owner's answer, and the complaint
  (投诉) to a supervisor when the objector is not satisfied.
- ``contract_signing``: one drafted version of the contract, each party's confirmation of
  its digest, and the issued PDF recording both.
- ``delivery``: the firm's service result (成果文件) or completion (竣工), accepted or returned.
- ``procurement_evaluation``: the owner's scores per criterion, what went to the firm's
  credit, and the firm's one objection to it.
- ``case_file``: files lodged with an objection, a complaint or a delivery (hash kept).
- ``time_limit``: every time-limited action, when it fell due and when it was done; the
  lifecycle flags the overdue ones, and the on-time rate is counted from here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base

AWARD_ENDINGS = ("voided", "replaced")  # voided: an objection upheld; replaced: the next alternate
DECISIONS = ("upheld", "dismissed")
OBJECTION_STATES = ("open", "answered", "complaint", "closed")
CASE_SUBJECTS = ("objection", "complaint", "delivery")
LIMIT_PARTIES = ("owner", "firm", "supervisor")


class Award(Base):
    __tablename__ = "award"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer)  # the selection record's round it comes from
    rank: Mapped[int] = mapped_column(Integer)  # 1: the record's winner; 2..: its alternates in order
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    uscc: Mapped[str] = mapped_column(String(18))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))  # the price (成交金额), yuan
    selected_at: Mapped[datetime]
    publicity_ends_at: Mapped[datetime]
    result_notice_id: Mapped[str | None] = mapped_column(
        ForeignKey("issued_document.id", ondelete="RESTRICT")
    )
    awarded_at: Mapped[datetime | None]
    selection_notice_id: Mapped[str | None] = mapped_column(
        ForeignKey("issued_document.id", ondelete="RESTRICT")
    )
    contract_due_at: Mapped[datetime | None]  # both parties confirm the contract by then
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(12))
    ended_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        Index("ix_award_procurement_id", "procurement_id"),
        Index("ix_award_firm_id", "firm_id"),
        # one current award per procurement
        Index("uq_award_current", "procurement_id", unique=True, postgresql_where=text("ended_at IS NULL")),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ending_with_reason"),
        CheckConstraint(
            "ended_reason IS NULL OR ended_reason IN ('voided', 'replaced')", name="ending_known"
        ),
    )


class Objection(Base):
    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))  # the objector
    lodged_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    lodged_at: Mapped[datetime]
    grounds: Mapped[str] = mapped_column(Text)
    # the firm the objector says should not win (default: the awarded winner)
    against_firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12), default="open", server_default="open")
    answer_due_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answer_decision: Mapped[str | None] = mapped_column(String(12))
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    complaint_grounds: Mapped[str] = mapped_column(Text, default="", server_default="")
    complained_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    complained_at: Mapped[datetime | None]
    decision_due_at: Mapped[datetime | None]  # the supervisor decides a complaint by then
    decision: Mapped[str | None] = mapped_column(String(12))
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    # the final outcome: the owner's answer when no complaint followed, else the decision
    outcome: Mapped[str | None] = mapped_column(String(12))

    __table_args__ = (
        Index("ix_objection_procurement_id", "procurement_id"),
        Index("ix_objection_firm_id", "firm_id"),
        # one objection per firm and award
        UniqueConstraint("award_id", "firm_id", name="uq_objection_award_firm"),
        CheckConstraint("status IN ('open', 'answered', 'complaint', 'closed')", name="status_known"),
        CheckConstraint("char_length(grounds) > 0", name="grounds_given"),
        CheckConstraint(
            "answer_decision IS NULL OR answer_decision IN ('upheld', 'dismissed')", name="answer_known"
        ),
        CheckConstraint("decision IS NULL OR decision IN ('upheld', 'dismissed')", name="decision_known"),
        CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'dismissed')", name="outcome_known"),
        CheckConstraint("(answer_decision IS NULL) = (answered_at IS NULL)", name="answer_with_time"),
        CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_with_time"),
    )


class ContractSigning(Base):
    __tablename__ = "contract_signing"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"))
    sequence: Mapped[int] = mapped_column(Integer)  # the owner's drafts, 1, 2, …
    kind: Mapped[str] = mapped_column(String(32))  # contracts.DocumentKind value
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the contract's data, canonical
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical data both confirm
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    drafted_at: Mapped[datetime]
    owner_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    owner_confirmed_at: Mapped[datetime | None]
    firm_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    firm_confirmed_at: Mapped[datetime | None]
    document_id: Mapped[str | None] = mapped_column(ForeignKey("issued_document.id", ondelete="RESTRICT"))
    superseded_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("award_id", "sequence", name="uq_contract_signing_sequence"),
        Index(
            "uq_contract_signing_current",
            "award_id",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
        CheckConstraint("char_length(digest) = 64", name="digest_hex"),
        CheckConstraint("firm_confirmed_at IS NULL OR owner_confirmed_at IS NOT NULL", name="owner_first"),
    )


class Delivery(Base):
    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"))
    sequence: Mapped[int] = mapped_column(Integer)  # 1, then 2 after a return, …
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime]
    due_at: Mapped[datetime | None]  # the contract's end: later is a late delivery
    decision: Mapped[str | None] = mapped_column(String(12))  # accepted | returned
    decision_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("award_id", "sequence", name="uq_delivery_sequence"),
        Index("ix_delivery_procurement_id", "procurement_id"),
        CheckConstraint("decision IS NULL OR decision IN ('accepted', 'returned')", name="decision_known"),
        CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_with_time"),
        CheckConstraint(
            "decision IS DISTINCT FROM 'returned' OR char_length(decision_reason) > 0",
            name="return_has_reason",
        ),
    )


class ProcurementEvaluation(Base):
    __tablename__ = "procurement_evaluation"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id", ondelete="RESTRICT"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    scores: Mapped[dict[str, int]] = mapped_column(JSONB)  # criterion code -> 1..5
    rating: Mapped[int] = mapped_column(Integer)  # what went to the credit: the scores' mean, rounded
    on_time: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    evaluated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    evaluated_at: Mapped[datetime]
    service_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_evaluation.id", ondelete="RESTRICT")
    )
    objection_grounds: Mapped[str] = mapped_column(Text, default="", server_default="")
    objected_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    objected_at: Mapped[datetime | None]
    objection_due_at: Mapped[datetime | None]  # the supervisor decides by then
    objection_decision: Mapped[str | None] = mapped_column(String(12))
    objection_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("procurement_id", "firm_id", name="uq_procurement_evaluation_firm"),
        Index("ix_procurement_evaluation_firm_id", "firm_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "objection_decision IS NULL OR objection_decision IN ('upheld', 'dismissed')",
            name="objection_decision_known",
        ),
        CheckConstraint("(objection_decision IS NULL) = (decided_at IS NULL)", name="decision_with_time"),
        CheckConstraint("decided_at IS NULL OR objected_at IS NOT NULL", name="decided_after_objection"),
    )


class CaseFile(Base):
    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(String(12))  # objection | complaint | delivery
    subject_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_case_file_subject", "subject", "subject_id"),
        Index("ix_case_file_procurement_id", "procurement_id"),
        CheckConstraint("subject IN ('objection', 'complaint', 'delivery')", name="subject_known"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("char_length(sha256) = 64", name="sha256_hex"),
    )


class TimeLimit(Base):
    __tablename__ = "time_limit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(40))  # market.award.limits.LimitAction
    subject: Mapped[str] = mapped_column(String(60))  # e.g. "objection:12", "award:3"
    party: Mapped[str] = mapped_column(String(12))  # owner | firm | supervisor: who must act
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    flagged_at: Mapped[datetime | None]  # the lifecycle saw it overdue (listed to supervisors)
    cancelled_at: Mapped[datetime | None]  # no longer owed (e.g. the award was voided)

    __table_args__ = (
        UniqueConstraint("subject", "action", name="uq_time_limit_subject_action"),
        Index("ix_time_limit_procurement_id", "procurement_id"),
        Index(
            "ix_time_limit_open_due",
            "due_at",
            postgresql_where=text("done_at IS NULL AND cancelled_at IS NULL"),
        ),
        CheckConstraint("party IN ('owner', 'firm', 'supervisor')", name="party_known"),
        CheckConstraint("due_at >= started_at", name="due_after_start"),
    )
