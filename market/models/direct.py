"""Direct selection after failed rounds (直接选取): after the configured number of failed
attempts the owner asks to name one firm, with a reason; a supervisor approves or rejects
the request. An approval makes the next attempt (``successor_id``), selected directly with
its record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class DirectRequest(Base):
    __tablename__ = "direct_request"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(12))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))

    __table_args__ = (
        # one request waiting per failed procurement
        Index(
            "uq_direct_request_pending",
            "procurement_id",
            unique=True,
            postgresql_where=text("decision IS NULL"),
        ),
        CheckConstraint("decision IS NULL OR decision IN ('approved', 'rejected')", name="decision_known"),
        CheckConstraint("(decision IS NULL) = (decided_at IS NULL)", name="decision_with_time"),
        CheckConstraint("char_length(reason) > 0", name="reason_given"),
        CheckConstraint(
            "decision <> 'rejected' OR char_length(decision_note) > 0", name="rejection_says_why"
        ),
    )
