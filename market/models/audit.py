"""The tamper-evident audit log.

Two append-only tables. ``audit_entry`` is written by every state change in the same
transaction as the change. ``audit_seal`` chains the entries: seal *n* holds
``hash_n = SHA-256(canonical(entry) ‖ hash_{n-1})``. Sealing is done by one sealer at a
time (an advisory lock) right after commits, so writers never queue behind each other
for the chain head; ``audit_unsealed`` is the sealer's to-do list. Database triggers
(see the migration) refuse UPDATE, DELETE and TRUNCATE on the two log tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # no FK: the log outlives accounts
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80), index=True)  # "subject:action"
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    client_address: Mapped[str] = mapped_column(String(64), default="", server_default="")

    # an object's history (market.supervision.history) reads its entries in order
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id", "id"),)


class AuditSeal(Base):
    __tablename__ = "audit_seal"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id", ondelete="RESTRICT"), unique=True)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    sealed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AuditUnsealed(Base):
    __tablename__ = "audit_unsealed"

    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class AuditCheckpoint(Base):
    """A published head of the chain (issue 14): the seal's ``seq`` and ``hash`` as they were
    at ``published_at``, shown on the public checkpoints page, in the open-data feed and on
    result notices. Copies outside the platform are what make it count: a chain whose newest
    entries were removed together with their seals no longer contains a published checkpoint
    (``market audit verify --checkpoint SEQ:HASH``)."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(20))  # daily | selection | manual
    # the selection (or other event) it was published for: the audit entry's object
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
