"""What a procurement carries besides its terms: its attachments (招标文件、附件), and the
answers kept for ``Idempotency-Key`` retries of creating and publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class ProcurementAttachment(Base):
    __tablename__ = "procurement_attachment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # NULL while the procurement is a draft; the terms version that published it otherwise
    added_in_version: Mapped[int | None] = mapped_column(Integer)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_procurement_attachment_procurement_id", "procurement_id"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("char_length(sha256) = 64", name="sha256_hex"),
    )


class IdempotencyRecord(Base):
    """The first answer to a request sent with an ``Idempotency-Key``: a retry with the same
    key and body gets it again, the same key with another body a 409. ``fingerprint`` is an
    HMAC of the body, not the body. Bids keep theirs in ``bid_version`` instead, sealed."""

    __tablename__ = "idempotency_record"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(120))  # e.g. "procurement:publish:42"
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_record_user_scope_key"),
        Index("ix_idempotency_record_created_at", "created_at"),
    )
