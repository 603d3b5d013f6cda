"""Supervision's own records (issue 14): a supervisor's review of a collusion-screen flag.

Screens are computed again from the data whenever asked (they are deterministic); a flag is
named by a stable key (``quote:<procurement id>``, ``pair:<firm>-<firm>``,
``cover:<winner>-<loser>``, ``rotation:<firm>-<firm>-…``) and its review — dismissed, or
referred for investigation, with a note — is kept here and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class ScreenReview(Base):
    __tablename__ = "screen_review"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flag: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(12))  # dismissed | referred
    note: Mapped[str] = mapped_column(Text)
    numbers: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the flag as it was reviewed
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_screen_review_flag", "flag"),
        CheckConstraint("decision IN ('dismissed', 'referred')", name="decision_known"),
        CheckConstraint("char_length(note) > 0", name="note_given"),
    )
