"""The draw ceremony of a procurement round (``market-draw/2``, docs/draw-spec.md §3), stored.

* ``draw_round`` — one per procurement and round: the reveal deadline, the beacon declared at
  publication (and its value once known), the platform's secret sealed under a key derived
  from the key file (a dump shows nothing that would let anyone compute the draw early), the
  frozen documents with their digests and the audit entry that published them.
* ``draw_commitment`` — each party's commitment; a commitment digest is unique across every
  procurement and round, so an old one cannot be passed off again.
* ``draw_reveal`` — each party's revealed secret and when it came.
* ``selection_record`` — the canonical record ``selection.run`` made, one per procurement and
  round: the unique key is what makes the selection step idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class DrawRound(Base):
    __tablename__ = "draw_round"

    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer)
    reveal_deadline: Mapped[datetime]
    beacon_source: Mapped[str] = mapped_column(String(40))
    beacon_reference: Mapped[str] = mapped_column(String(200))
    beacon_form: Mapped[str] = mapped_column(String(20))
    beacon_value: Mapped[str | None] = mapped_column(String(100))
    beacon_at: Mapped[datetime | None]
    beacon_entered_by: Mapped[int | None] = mapped_column(BigInteger)
    # nonce + AES-GCM ciphertext of the platform's 32-byte secret, under a key derived from the
    # key file and bound to the procurement and round; cleared of meaning once revealed
    platform_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    platform_secret_key_id: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[datetime | None]
    # {"configuration", "candidates", "bids"}: the documents themselves and their SHA-256
    frozen_documents: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    freeze_digests: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    freeze_audit_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]

    __table_args__ = (
        PrimaryKeyConstraint("procurement_id", "round", name="pk_draw_round"),
        CheckConstraint("round >= 1", name="round_positive"),
        CheckConstraint("(beacon_value IS NULL) = (beacon_at IS NULL)", name="beacon_value_with_time"),
    )


class DrawCommitment(Base):
    __tablename__ = "draw_commitment"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(BigInteger)
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(20))
    commitment: Mapped[str] = mapped_column(String(64))
    committed_by: Mapped[int | None] = mapped_column(BigInteger)  # a user; NULL: the platform
    committed_at: Mapped[datetime]

    __table_args__ = (
        # seen once anywhere: a reused commitment is refused
        ForeignKeyConstraint(
            ["procurement_id", "round"],
            ["draw_round.procurement_id", "draw_round.round"],
            ondelete="RESTRICT",
        ),
        Index("uq_draw_commitment_commitment", "commitment", unique=True),
        UniqueConstraint("procurement_id", "round", "party", name="uq_draw_commitment_party"),
        CheckConstraint("party IN ('platform', 'owner', 'supervisor')", name="party_known"),
        CheckConstraint("char_length(commitment) = 64", name="commitment_hex"),
    )


class DrawReveal(Base):
    __tablename__ = "draw_reveal"

    procurement_id: Mapped[int] = mapped_column(BigInteger)
    round: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(20))
    secret: Mapped[str] = mapped_column(String(64))
    revealed_at: Mapped[datetime]
    revealed_by: Mapped[int | None] = mapped_column(BigInteger)
    counted: Mapped[bool]

    __table_args__ = (
        PrimaryKeyConstraint("procurement_id", "round", "party", name="pk_draw_reveal"),
        ForeignKeyConstraint(
            ["procurement_id", "round"],
            ["draw_round.procurement_id", "draw_round.round"],
            ondelete="RESTRICT",
        ),
        CheckConstraint("party IN ('platform', 'owner', 'supervisor')", name="party_known"),
    )


class SelectionRecordRow(Base):
    """The record of a selection (or of its failure): canonical JSON as ``selection`` wrote it."""

    __tablename__ = "selection_record"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_id: Mapped[int] = mapped_column(ForeignKey("procurement.id", ondelete="RESTRICT"))
    round: Mapped[int] = mapped_column(Integer)
    record: Mapped[str] = mapped_column(Text)  # the exact canonical bytes, UTF-8
    digest: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("procurement_id", "round", name="uq_selection_record_procurement_round"),
        CheckConstraint("outcome IN ('selected', 'failed')", name="outcome_known"),
    )
