"""Small works: the drawn contractor is offered the works and confirms or declines
(确认 / 放弃) within a limit; a decline or silence passes the offer to the next alternate.

One row per offer, in the order of the selection record (``rank`` 1 is the first winner,
then the alternates in their drawn order). An open offer has no ``answer`` yet; the lifecycle
closes it as ``lapsed`` at ``due_at``; cancelling the procurement closes it as ``withdrawn``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base

OFFER_ANSWERS = ("confirmed", "declined", "lapsed", "withdrawn")  # withdrawn: the procurement was cancelled


class ContractorOffer(Base):
    __tablename__ = "contractor_offer"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer)
    rank: Mapped[int] = mapped_column(Integer)  # 1-based place in the record's winners + alternates
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    uscc: Mapped[str] = mapped_column(String(18))
    offered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(12))
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        UniqueConstraint("procurement_id", "round", "rank", name="uq_contractor_offer_rank"),
        Index("ix_contractor_offer_firm_id", "firm_id"),
        Index(
            "ix_contractor_offer_open_due",
            "due_at",
            postgresql_where=text("answer IS NULL"),
        ),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint(
            "answer IS NULL OR answer IN ('confirmed', 'declined', 'lapsed', 'withdrawn')",
            name="answer_known",
        ),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_with_time"),
        CheckConstraint("answer <> 'declined' OR char_length(reason) > 0", name="decline_has_reason"),
    )
