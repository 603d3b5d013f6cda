"""How many statements a bid costs, and that folding checks into the writes left every refusal
as it was: on a busy service each round trip to PostgreSQL costs a bid more than its own
Python (bench/bids.py), so the hot path's count is held here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from market.bidding import service as bids
from market.bidding.rules import BidNotAllowed
from market.db import Database
from market.errors import Conflict
from market.models import AuditEntry, Bid, BidVersion, Firm
from market.principal import Principal
from market.sealed.bids import Quote
from tests.bid_data import BEFORE, BID_KEY, TERMS, acting, amount, bidder, owner, published
from tests.registry_data import VOCABULARY

LATER = BEFORE + timedelta(hours=1)


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The statements sent while the block runs (the test fixture's savepoints left out)."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            sent.append(statement)

    target = database.engine.sync_engine
    event.listen(target, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(target, "before_cursor_execute", seen)


async def _submit(database: Database, who: Principal, procurement_id: int, quote: Quote) -> bids.Receipt:
    async with database.unit_of_work() as uow:
        receipt = await bids.submit(
            uow, acting(who), who, BID_KEY, procurement_id, quote, BEFORE, vocabulary=VOCABULARY, terms=TERMS
        )
        await uow.commit()
        return receipt


async def _replace(database: Database, who: Principal, bid_id: int, quote: Quote) -> bids.Receipt:
    async with database.unit_of_work() as uow:
        receipt = await bids.replace(
            uow, acting(who), who, BID_KEY, bid_id, quote, LATER, vocabulary=VOCABULARY, terms=TERMS
        )
        await uow.commit()
        return receipt


async def _written(database: Database) -> tuple[int, int, list[int]]:
    async with database.sessions() as session:
        versions = int(await session.scalar(select(func.count()).select_from(BidVersion)) or 0)
        entries = int(
            await session.scalar(select(func.count()).where(AuditEntry.action.like("bid:%"))) or 0
        )
        current = list(await session.scalars(select(Bid.current_version).order_by(Bid.id)))
    return versions, entries, current


async def test_a_submission_and_a_replacement_each_ask_postgresql_a_few_times_only(
    database: Database,
) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 131)
    with statements(database) as sent:
        first = await _submit(database, firm, row.id, amount("150000.00"))
    # the procurement with its key; the bid, if the firm is eligible; its version with its audit entry
    assert len(sent) <= 3, sent
    await _replace(database, firm, first.bid_id, amount("149000.00"))  # learns the procurement's tag
    with statements(database) as sent:
        third = await _replace(database, firm, first.bid_id, amount("148000.00"))
    # the bid's tag; the procurement; the next version, if eligible; it with its audit entry
    assert len(sent) <= 4, sent
    assert third.version == 3
    assert await _written(database) == (3, 3, [3])


async def test_a_firm_that_lost_its_eligibility_cannot_replace_and_nothing_is_written(
    database: Database,
) -> None:
    row = await published(database, await owner(database), requirements={"min_practitioners": 10})
    firm = await bidder(database, 132, practitioners=12)
    first = await _submit(database, firm, row.id, amount("150000.00"))
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(Firm).where(Firm.id == firm.organisation_id).values(practitioners=3))
        await uow.commit()
    with pytest.raises(BidNotAllowed) as refused:
        await _replace(database, firm, first.bid_id, amount("149000.00"))
    assert [r.code for r in refused.value.reasons] == ["too-few-practitioners"]
    assert await _written(database) == (1, 1, [1])


async def test_an_ineligible_firm_with_a_live_bid_hears_its_reasons_and_an_eligible_one_the_conflict(
    database: Database,
) -> None:
    row = await published(database, await owner(database), requirements={"min_practitioners": 10})
    firm = await bidder(database, 133, practitioners=12)
    first = await _submit(database, firm, row.id, amount("150000.00"))
    with pytest.raises(Conflict) as twice:
        await _submit(database, firm, row.id, amount("148000.00"))
    assert twice.value.details["bid_id"] == first.bid_id
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(Firm).where(Firm.id == firm.organisation_id).values(practitioners=3))
        await uow.commit()
    with pytest.raises(BidNotAllowed) as refused:
        await _submit(database, firm, row.id, amount("148000.00"))
    assert [r.code for r in refused.value.reasons] == ["too-few-practitioners"]
    assert await _written(database) == (1, 1, [1])
