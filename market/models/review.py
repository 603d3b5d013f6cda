"""The review step of scored methods (评审): the owner names its reviewers for a procurement;
each reviewer scores every counted bid per criterion (the criteria and their maximum points
are in the procurement's terms) before the review deadline. The scores are frozen with the
draw's inputs: a reviewer's total per firm is one of the firm's ``technical_scores``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Numeric, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class ProcurementReviewer(Base):
    __tablename__ = "procurement_reviewer"

    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
    # when the reviewer declared the scores complete (签署); NULL: still scoring
    submitted_at: Mapped[datetime | None]

    __table_args__ = (PrimaryKeyConstraint("procurement_id", "user_id", name="pk_procurement_reviewer"),)


class ReviewScore(Base):
    __tablename__ = "review_score"

    procurement_id: Mapped[int] = mapped_column(BigInteger)
    reviewer_id: Mapped[int] = mapped_column(BigInteger)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    criterion: Mapped[str] = mapped_column(String(40))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    entered_at: Mapped[datetime]

    __table_args__ = (
        PrimaryKeyConstraint("procurement_id", "reviewer_id", "firm_id", "criterion", name="pk_review_score"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )
