"""What happens to procurements because time passed: for now, closing the bidding at the
deadline and opening the bids (开标). Issue 12 grows this into the full chronograph (a pure
``events()`` per procurement, ``next_check``, the draw); :func:`advance` stays its entry.

Idempotent and safe to run from several processes at once: each step picks its procurements
``FOR UPDATE SKIP LOCKED`` and re-reads the status under the lock, so a procurement is closed
and opened exactly once, and a bid holding the procurement ``FOR SHARE`` finishes first.
Whether a bid is in time never depends on this job: the bid service compares its own clock
with the deadline. A late tick only delays the opening.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.bidding.opening import Opened, open_bids
from market.db import Database, UnitOfWork
from market.errors import MarketError
from market.models import Procurement
from market.procurement.states import ProcurementStatus, transition
from market.procurement.terms import ProcurementKind, ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey

log = logging.getLogger("market.lifecycle")

LIFECYCLE_ACTOR = Actor.system("开标（系统）")
BATCH = 100


@dataclass(frozen=True, slots=True)
class Advanced:
    closed: list[int] = field(default_factory=list)
    opened: list[Opened] = field(default_factory=list)


def _bidding_kinds(terms: ProcurementTerms) -> list[ProcurementKind]:
    return [kind for kind, kind_terms in terms.kinds.items() if kind_terms.takes_bids]


async def close_bidding(uow: UnitOfWork, terms: ProcurementTerms, now: datetime) -> list[int]:
    """Close every published procurement whose bid deadline has come; the caller commits."""
    rows = list(
        await uow.session.scalars(
            select(Procurement)
            .where(
                Procurement.status == ProcurementStatus.PUBLISHED,
                Procurement.kind.in_(_bidding_kinds(terms)),
                Procurement.bid_deadline <= now,
            )
            .order_by(Procurement.bid_deadline, Procurement.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        change = transition(row.status, "close_bidding", now=now, takes_bids=True)
        row.status = change.to
        row.updated_at = now
        await uow.session.flush()
        await audit.record(
            uow,
            LIFECYCLE_ACTOR,
            change.audit_action,
            "procurement",
            row.id,
            {"reference": row.reference, "bid_deadline": row.bid_deadline},
        )
    return [row.id for row in rows]


async def _to_open(database: Database, terms: ProcurementTerms) -> list[int]:
    async with database.unit_of_work() as uow:
        ids = await uow.session.scalars(
            select(Procurement.id)
            .where(
                Procurement.status == ProcurementStatus.BIDDING_CLOSED,
                Procurement.kind.in_(_bidding_kinds(terms)),
            )
            .order_by(Procurement.bid_deadline, Procurement.id)
            .limit(BATCH)
        )
        return list(ids)


async def advance(
    database: Database,
    bid_key: KeyEncryptionKey,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> Advanced:
    """Close what is due, then open each closed procurement in its own transaction (one
    that fails — a missing key file, say — is logged and tried again on the next tick
    without holding up the others)."""
    async with database.unit_of_work() as uow:
        closed = await close_bidding(uow, terms, now)
        await uow.commit()
    opened: list[Opened] = []
    for procurement_id in await _to_open(database, terms):
        try:
            async with database.unit_of_work() as uow:
                locked = await uow.session.scalar(
                    select(Procurement.id)
                    .where(
                        Procurement.id == procurement_id,
                        Procurement.status == ProcurementStatus.BIDDING_CLOSED,
                    )
                    .with_for_update(skip_locked=True)
                )
                if locked is None:  # another process has it, or has opened it already
                    continue
                result = await open_bids(
                    uow, bid_key, procurement_id, now, vocabulary=vocabulary, terms=terms
                )
                await uow.commit()
            opened.append(result)
        except MarketError as exc:
            log.error("opening procurement %s failed: %s", procurement_id, exc.message)
    return Advanced(closed, opened)
