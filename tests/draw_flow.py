"""A procurement taken through its draw on real PostgreSQL, step by step with an injected
time: published with the owner's commitment, bid on, opened, frozen, revealed, selected.
Shared by the draw's integration, end-to-end and kill -9 tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from market.bidding import service as bids
from market.db import Database
from market.draw import service as draw
from market.draw import steps
from market.lifecycle import steps as lifecycle_steps
from market.lifecycle.steps import StepContext
from market.models import Procurement
from market.principal import Principal, Role
from tests.bid_data import BEFORE, BID_KEY, DEADLINE, TERMS, acting, amount, bidder, owner, published
from tests.registry_data import VOCABULARY

SUPERVISOR = Principal(424242, "supervisor-x", "监督", frozenset({Role.SUPERVISOR}), None)
SELECTION = DEADLINE + timedelta(hours=5)  # service_draft's selection time
REVEAL_DEADLINE = SELECTION - timedelta(minutes=60)  # reveal_gap_minutes of the kind
IN_WINDOW = DEADLINE + timedelta(minutes=30)
AFTER_WINDOW = REVEAL_DEADLINE + timedelta(minutes=10)
QUOTES = ("150000.00", "120000.00", "135000.00", "160000.00")


async def procurement_with_bids(
    database: Database, quotes: tuple[str, ...] = QUOTES, *, first: int = 300, **changes: Any
) -> tuple[Principal, Procurement]:
    """The owner and its published procurement, with one bid per quote from fresh firms
    (serials from ``first``)."""
    buyer = await owner(database)
    row = await published(database, buyer, avoidance=(), **changes)
    for n, quote in enumerate(quotes):
        firm = await bidder(database, first + n)
        async with database.unit_of_work() as uow:
            await bids.submit(
                uow,
                acting(firm),
                firm,
                BID_KEY,
                row.id,
                amount(quote),
                BEFORE,
                vocabulary=VOCABULARY,
                terms=TERMS,
            )
            await uow.commit()
    return buyer, row


async def opened(database: Database, row: Procurement) -> None:
    """Closed and opened at the deadline, not yet frozen: the two steps by themselves, since
    market.lifecycle.advance goes on to the freeze due at the same deadline."""
    context = StepContext(BID_KEY, VOCABULARY, TERMS)
    async with database.unit_of_work() as uow:
        locked = await uow.session.get(Procurement, row.id, with_for_update=True)
        assert locked is not None
        await lifecycle_steps.close_bidding(uow, locked, DEADLINE, context)
        await lifecycle_steps.open_bidding(uow, locked, DEADLINE, context)
        await uow.commit()


async def reload(database: Database, row: Procurement) -> Procurement:
    async with database.sessions() as session:
        found = await session.get(Procurement, row.id)
        assert found is not None
        return found


async def freeze(database: Database, row: Procurement, now: datetime = DEADLINE) -> None:
    async with database.unit_of_work() as uow:
        await steps.freeze(uow, BID_KEY, row, now, vocabulary=VOCABULARY, terms=TERMS)
        await uow.commit()


async def select(database: Database, row: Procurement, now: datetime = SELECTION) -> None:
    async with database.unit_of_work() as uow:
        await steps.select(uow, BID_KEY, row, now, vocabulary=VOCABULARY, terms=TERMS)
        await uow.commit()


async def reveal(
    database: Database, who: Principal, row: Procurement, party: str, secret: str, now: datetime
) -> None:
    async with database.unit_of_work() as uow:
        await draw.reveal(uow, acting(who), who, row.id, party, secret, now)
        await uow.commit()


async def commit(
    database: Database, who: Principal, row: Procurement, commitment: str, now: datetime = BEFORE
) -> None:
    async with database.unit_of_work() as uow:
        await draw.commit(uow, acting(who), who, row.id, commitment, now, terms=TERMS)
        await uow.commit()


async def beacon(
    database: Database, row: Procurement, value: str, reference: str, now: datetime = AFTER_WINDOW
) -> None:
    async with database.unit_of_work() as uow:
        await draw.enter_beacon(uow, acting(SUPERVISOR), SUPERVISOR, row.id, value, reference, now)
        await uow.commit()


async def view(database: Database, row: Procurement, now: datetime) -> draw.CeremonyView:
    async with database.unit_of_work() as uow:
        return await draw.ceremony_view(uow, None, row.id, now=now)


def lowest(quotes: tuple[str, ...]) -> Decimal:
    return min(Decimal(q) for q in quotes)
