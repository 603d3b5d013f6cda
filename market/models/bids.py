"""Sealed bids (issue 11), as the database keeps them: nothing here names the firm or the
procurement of a bid in clear, nor holds a quote.

* ``procurement_key`` — each published procurement's data key, wrapped by the key file
  (``market.sealed.keys``); created at publication, so its presence says nothing about bids.
* ``bid`` — one firm's bid on one procurement. ``procurement_tag`` is an HMAC of the
  procurement under a key derived from the key file, and ``bidder`` an HMAC of the firm under
  the procurement's data key: a dump shows neither which procurement a bid is for nor who
  made it, so neither who nor how many have bid on a procurement before the opening.
* ``bid_version`` — every sealed version (the first submission, each replacement); never
  updated. ``envelope`` seals who submitted it (firm, user, address) for the opening.
* ``bid_opening`` — the opening list (开标记录) once the lifecycle opened the bids.

docs/sealed-bids.md says who can read what, when.
"""

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
    PrimaryKeyConstraint,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from market.models.base import Base


class ProcurementKey(Base):
    __tablename__ = "procurement_key"

    procurement_id: Mapped[int] = mapped_column(
        ForeignKey("procurement.id", ondelete="RESTRICT"), primary_key=True
    )
    key_id: Mapped[str] = mapped_column(String(64))  # the key file's public id
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Bid(Base):
    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    procurement_tag: Mapped[str] = mapped_column(String(64))
    bidder: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer)
    # the procurement's terms version the bidder last confirmed (submission, replacement or
    # re-confirmation); it counts only if at least procurement.bids_valid_from
    confirmed_terms_version: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_bid_procurement_tag", "procurement_tag"),
        # one live bid per firm and procurement
        Index(
            "uq_bid_live_bidder",
            "procurement_tag",
            "bidder",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
        CheckConstraint("current_version >= 1", name="current_version_positive"),
    )


class BidVersion(Base):
    __tablename__ = "bid_version"

    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # each sealed attachment: nonce + ciphertext + tag
    attachments: Mapped[list[bytes]] = mapped_column(
        ARRAY(LargeBinary), default=list, server_default=text("'{}'::bytea[]")
    )
    # who submitted it (firm id, user id, client address), sealed under the data key
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    terms_version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical sealed bid
    submitted_at: Mapped[datetime]
    # Idempotency-Key of the request that made this version, and its body, as HMACs under
    # the data key: a retry finds its receipt without a readable trace of who sent what
    idempotency_tag: Mapped[str | None] = mapped_column(String(64))
    request_tag: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        PrimaryKeyConstraint("bid_id", "version", name="pk_bid_version"),
        Index(
            "uq_bid_version_idempotency_tag",
            "idempotency_tag",
            unique=True,
            postgresql_where=text("idempotency_tag IS NOT NULL"),
        ),
        Index("uq_bid_version_digest", "digest", unique=True),
        CheckConstraint("version >= 1", name="version_positive"),
    )


class BidOpening(Base):
    """The opening list (开标记录): written once by the opening, then read by the owner, the
    bidders and supervisors."""

    __tablename__ = "bid_opening"

    procurement_id: Mapped[int] = mapped_column(
        ForeignKey("procurement.id", ondelete="RESTRICT"), primary_key=True
    )
    opened_at: Mapped[datetime]
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    list_sha256: Mapped[str] = mapped_column(String(64))
