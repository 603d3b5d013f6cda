"""The express lane of a sealed bid (market.bidding.express), on real PostgreSQL with the
database's direct pool: a bid on a procurement the process knows is written in one statement,
is the same bid the service would have written (it opens at the opening, with the receipt's
digest), and whenever anything the service checks no longer holds, the lane writes nothing and
the service, run next as the handlers do, says what is wrong."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from market import audit, lifecycle
from market.bidding import express
from market.bidding import service as bids
from market.bidding.opening_list import opening_list
from market.bidding.rules import BiddingClosed, BidNotAllowed, QuoteRefused
from market.db import Database
from market.errors import Conflict, NotFound
from market.models import AuditEntry, Bid, BidVersion, Firm, Procurement
from market.principal import Principal
from market.procurement import service as procurements
from market.registry.admission_rules import FirmStatus
from market.sealed.bids import Quote
from tests.bid_data import (
    BEFORE,
    BID_KEY,
    DEADLINE,
    LATER,
    TERMS,
    acting,
    amend_ceiling,
    amount,
    bidder,
    owner,
    published,
    replace_bid,
    submit_bid,
)
from tests.conftest import ClonedDatabase
from tests.registry_data import VOCABULARY


async def _express_submit(database: Database, who: Principal, procurement_id: int, quote: Quote) -> Any:
    return await express.submit(
        database, acting(who), who, BID_KEY, procurement_id, quote, BEFORE, vocabulary=VOCABULARY, terms=TERMS
    )


async def _express_replace(
    database: Database, who: Principal, bid_id: int, quote: Quote, now: Any = LATER
) -> Any:
    return await express.replace(
        database, acting(who), who, BID_KEY, bid_id, quote, now, vocabulary=VOCABULARY, terms=TERMS
    )


async def _counts(database: Database) -> tuple[int, int, int]:
    async with database.sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Bid)) or 0),
            int(await session.scalar(select(func.count()).select_from(BidVersion)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        )


async def test_bids_on_a_known_procurement_take_the_lane_and_open_like_any_other(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    row = await published(database, buyer)
    first, second = await bidder(database, 501), await bidder(database, 502)
    taught = await submit_bid(database, first, row.id, amount("160000.00"))  # the process learns it

    submitted = await _express_submit(database, second, row.id, amount("155000.00"))
    assert submitted is not None and submitted.version == 1 and submitted.counts
    replaced = await _express_replace(database, first, taught.bid_id, amount("150000.00"))
    assert replaced is not None and (replaced.bid_id, replaced.version) == (taught.bid_id, 2)
    again = await _express_replace(
        database, second, submitted.bid_id, amount("149000.00"), LATER + timedelta(minutes=5)
    )
    assert again is not None and again.version == 2 and again.submitted_at == LATER + timedelta(minutes=5)

    # the receipts the service reads back are the lane's
    async with database.unit_of_work() as uow:
        for receipt in (replaced, again):
            assert (
                await bids.receipt(uow, first if receipt is replaced else second, BID_KEY, receipt.bid_id)
                == receipt
            )
    async with database.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("bid:%")).order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.actor_id, e.payload) for e in entries] == [
        ("bid:submitted", None, {"version": 1, "digest": taught.digest}),
        ("bid:submitted", None, {"version": 1, "digest": submitted.digest}),
        ("bid:replaced", None, {"version": 2, "digest": replaced.digest}),
        ("bid:replaced", None, {"version": 2, "digest": again.digest}),
    ]

    # the opening decrypts what the lane sealed: its ciphertext is bound to the same identity
    await lifecycle.advance(database, BID_KEY, DEADLINE, vocabulary=VOCABULARY, terms=TERMS)
    async with database.unit_of_work() as uow:
        opened = await opening_list(uow, acting(buyer), buyer, BID_KEY, row.id)
    counted = {e["bid_id"]: e for e in opened.entries if e["counted"]}
    assert {k: (v["digest"], v["version"], v["quote_value"]) for k, v in counted.items()} == {
        taught.bid_id: (replaced.digest, 2, "150000.00"),
        submitted.bid_id: (again.digest, 2, "149000.00"),
    }
    await audit.seal_pending(database)
    assert (await audit.verify_chain(database)).intact


Change = Callable[[Database, Principal, Procurement, bids.Receipt], Awaitable[Any]]


async def _amend(database: Database, buyer: Principal, row: Procurement, _: bids.Receipt) -> Any:
    await amend_ceiling(database, buyer, row.id, "170000.00")


async def _cancel(database: Database, buyer: Principal, row: Procurement, _: bids.Receipt) -> Any:
    async with database.unit_of_work() as uow:
        await procurements.cancel(uow, acting(buyer), buyer, row.id, BEFORE, reason="项目资金未落实")
        await uow.commit()


async def _suspend(database: Database, *_: Any) -> Any:
    async with database.sessions() as session:  # the test's one firm
        await session.execute(update(Firm).values(status=FirmStatus.SUSPENDED))
        await session.commit()


async def _nothing(*_: Any) -> Any:
    return None


@pytest.mark.parametrize(
    ("change", "quote", "when", "refused"),
    [
        pytest.param(_amend, "150000.00", LATER, None, id="amended-terms"),
        pytest.param(_cancel, "150000.00", LATER, BiddingClosed, id="cancelled"),
        pytest.param(_nothing, "150000.00", DEADLINE, BiddingClosed, id="at-the-deadline"),
        pytest.param(_suspend, "150000.00", LATER, BidNotAllowed, id="firm-suspended"),
        pytest.param(_nothing, "190000.00", LATER, QuoteRefused, id="above-the-ceiling"),
    ],
)
async def test_a_replacement_the_lane_cannot_vouch_for_writes_nothing_and_the_service_says_why(
    fresh_database: ClonedDatabase, change: Change, quote: str, when: Any, refused: type[Exception] | None
) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    row = await published(database, buyer)
    firm = await bidder(database, 511)
    receipt = await submit_bid(database, firm, row.id, amount("160000.00"))
    await change(database, buyer, row, receipt)
    before = await _counts(database)
    assert await _express_replace(database, firm, receipt.bid_id, amount(quote), when) is None
    assert await _counts(database) == before
    if refused is None:  # an amendment: the service takes it, and the lane knows the new terms
        assert (await replace_bid(database, firm, receipt.bid_id, amount(quote), when)).counts
        assert (await _express_replace(database, firm, receipt.bid_id, amount("149000.00"), when)) is not None
    else:
        with pytest.raises(refused):
            await replace_bid(database, firm, receipt.bid_id, amount(quote), when)


async def test_what_the_service_changed_meanwhile_sends_the_bid_to_it(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    row = await published(database, await owner(database))
    firm, stranger = await bidder(database, 521), await bidder(database, 522)
    receipt = await submit_bid(database, firm, row.id, amount("160000.00"))
    before = await _counts(database)

    # another firm's bid is not its own, whatever the lane keeps
    assert await _express_replace(database, stranger, receipt.bid_id, amount("150000.00")) is None
    with pytest.raises(NotFound):
        await replace_bid(database, stranger, receipt.bid_id, amount("150000.00"), LATER)
    # a second live bid: the unique index keeps it out, without an error
    assert await _express_submit(database, firm, row.id, amount("150000.00")) is None
    assert await _counts(database) == before
    with pytest.raises(Conflict, match="already has a live bid"):
        await submit_bid(database, firm, row.id, amount("150000.00"))

    # a version written by another process: the lane's is stale, the statement writes nothing
    kept = express._BIDS.get(receipt.bid_id)
    assert kept is not None
    await replace_bid(database, firm, receipt.bid_id, amount("155000.00"), LATER)
    express._BIDS.put(receipt.bid_id, dataclasses.replace(kept, version=1))
    before = await _counts(database)
    assert await _express_replace(database, firm, receipt.bid_id, amount("150000.00")) is None
    assert await _counts(database) == before
    third = await replace_bid(database, firm, receipt.bid_id, amount("150000.00"), LATER)
    assert third.version == 3

    # withdrawn: nothing in the lane, the service's conflict
    async with database.unit_of_work() as uow:
        await bids.withdraw(uow, acting(firm), firm, BID_KEY, receipt.bid_id, LATER)
        await uow.commit()
    express._BIDS.put(receipt.bid_id, dataclasses.replace(kept, version=3))  # as if kept elsewhere
    before = await _counts(database)
    assert await _express_replace(database, firm, receipt.bid_id, amount("150000.00")) is None
    assert await _counts(database) == before
    with pytest.raises(Conflict, match="withdrawn"):
        await replace_bid(database, firm, receipt.bid_id, amount("150000.00"), LATER)


async def test_a_database_without_a_direct_pool_has_no_lane(database: Database) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 531)
    receipt = await submit_bid(database, firm, row.id, amount("160000.00"))
    assert database.direct is None
    assert await _express_replace(database, firm, receipt.bid_id, amount("150000.00")) is None
