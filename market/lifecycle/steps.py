"""The steps time takes on a procurement, one function per :data:`~market.lifecycle.events.Action`:
closing the bidding, the opening (:mod:`market.bidding.opening`), the draw's freeze and
selection (:mod:`market.draw.steps`), and for small works the lapse of an unanswered offer
(:mod:`market.draw.offers`).

Each gets the procurement row already locked (``FOR UPDATE``) and re-read by the runner,
moves it by one status through :func:`market.procurement.states.transition` (which refuses
a step its status does not allow, so a step run twice fails instead of acting twice) and
audits it; the runner recomputes ``next_check`` and commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from market import audit
from market.audit import Actor
from market.award import limits, records
from market.bidding.opening import Opened, open_bids
from market.db import UnitOfWork
from market.draw import offers
from market.draw import steps as draw
from market.lifecycle.events import Action
from market.models import Procurement
from market.procurement.states import transition
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey

LIFECYCLE_ACTOR = Actor.system("开标（系统）")


@dataclass(frozen=True, slots=True)
class StepContext:
    """What any step may need besides the row and the time."""

    bid_key: KeyEncryptionKey
    vocabulary: Vocabulary
    terms: ProcurementTerms


async def close_bidding(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
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


async def open_bidding(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> Opened:
    return await open_bids(
        uow, context.bid_key, row.id, now, vocabulary=context.vocabulary, terms=context.terms
    )


# a step returns what it made for the caller to see (the opening list), or None
async def freeze(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
    await draw.freeze(uow, context.bid_key, row, now, vocabulary=context.vocabulary, terms=context.terms)


async def select(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
    await draw.select(uow, context.bid_key, row, now, vocabulary=context.vocabulary, terms=context.terms)


async def lapse_offer(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
    await offers.lapse(uow, row, now, context.terms)


async def award(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
    await records.award_at_publicity_end(uow, row, now, context.terms)


async def flag_overdue(uow: UnitOfWork, row: Procurement, now: datetime, context: StepContext) -> None:
    await limits.flag_due(uow, row, now)


Step = Callable[[UnitOfWork, Procurement, datetime, StepContext], Awaitable[object]]

STEPS: Mapping[Action, Step] = {
    "close_bidding": close_bidding,
    "open": open_bidding,
    "freeze": freeze,
    "select": select,
    "lapse_offer": lapse_offer,
    "award": award,
    "flag_overdue": flag_overdue,
}
