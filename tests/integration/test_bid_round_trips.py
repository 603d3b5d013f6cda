"""How many statements a bid costs, and that folding checks into the writes left every refusal
as it was: on a busy service each round trip to PostgreSQL costs a bid more than its own
Python (bench/bids.py), so the hot path's count is held here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import InterfaceError

from market.bidding import service as bids
from market.bidding import store
from market.bidding.rules import BidNotAllowed
from market.bidding.versions import HELD
from market.db import Database
from market.errors import Conflict, DatabaseUnavailable
from market.models import AuditEntry, Bid, BidVersion, Firm, Procurement
from market.procurement.draft import DraftTerms
from market.sealed.bids import SealedBid
from tests.bid_data import (
    BID_KEY,
    LATER,
    TERMS,
    acting,
    amount,
    bidder,
    owner,
    published,
    replace_bid,
    submit_bid,
)
from tests.conftest import ClonedDatabase
from tests.registry_data import VOCABULARY


@asynccontextmanager
async def statements(database: Database) -> AsyncIterator[list[str]]:
    """The statements sent while the block runs (the test fixture's savepoints left out):
    those through SQLAlchemy and those sent on the asyncpg connection itself (market.prepared)."""
    sent: list[str] = []

    def keep(statement: str) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            sent.append(statement)

    def through_sqlalchemy(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        keep(statement)

    def on_the_driver(record: Any) -> None:
        keep(record.query)

    async with database.sessions() as session:  # the fixture's sessions share one connection
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
    assert driver is not None
    target = database.engine.sync_engine
    event.listen(target, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(on_the_driver)
    try:
        yield sent
    finally:
        driver.remove_query_logger(on_the_driver)
        event.remove(target, "before_cursor_execute", through_sqlalchemy)


async def _written(database: Database) -> tuple[int, int, list[int]]:
    async with database.sessions() as session:
        versions = int(await session.scalar(select(func.count()).select_from(BidVersion)) or 0)
        entries = int(await session.scalar(select(func.count()).where(AuditEntry.action.like("bid:%"))) or 0)
        current = list(await session.scalars(select(Bid.current_version).order_by(Bid.id)))
    return versions, entries, current


async def test_a_submission_and_a_replacement_each_ask_postgresql_a_few_times_only(
    database: Database,
) -> None:
    row = await published(database, await owner(database))
    # the first bid on the connection and the procurement: the driver learns its types and
    # the service the procurement's tag, once
    earlier = await bidder(database, 130)
    await replace_bid(
        database,
        earlier,
        (await submit_bid(database, earlier, row.id, amount("151000.00"))).bid_id,
        amount("150500.00"),
    )
    firm = await bidder(database, 131)
    async with statements(database) as sent:
        first = await submit_bid(database, firm, row.id, amount("150000.00"))
    # the procurement with its key; the bid, if the firm is eligible; its version with its audit entry
    assert len(sent) <= 3, "\n".join(s[:90] for s in sent)
    async with statements(database) as sent:
        second = await replace_bid(database, firm, first.bid_id, amount("149000.00"))
    # the bid's tag; the procurement; the next version, if eligible; it with its audit entry
    assert len(sent) <= 4, "\n".join(s[:90] for s in sent)
    assert second.version == 2
    assert await _written(database) == (4, 4, [2, 2])


async def test_a_firm_that_lost_its_eligibility_cannot_replace_and_nothing_is_written(
    database: Database,
) -> None:
    row = await published(database, await owner(database), requirements={"min_practitioners": 10})
    firm = await bidder(database, 132, practitioners=12)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(Firm).where(Firm.id == firm.organisation_id).values(practitioners=3))
        await uow.commit()
    with pytest.raises(BidNotAllowed) as refused:
        await replace_bid(database, firm, first.bid_id, amount("149000.00"))
    assert [r.code for r in refused.value.reasons] == ["too-few-practitioners"]
    assert await _written(database) == (1, 1, [1])


async def test_an_ineligible_firm_with_a_live_bid_hears_its_reasons_and_an_eligible_one_the_conflict(
    database: Database,
) -> None:
    row = await published(database, await owner(database), requirements={"min_practitioners": 10})
    firm = await bidder(database, 133, practitioners=12)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))
    with pytest.raises(Conflict) as twice:
        await submit_bid(database, firm, row.id, amount("148000.00"))
    assert twice.value.details["bid_id"] == first.bid_id
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(Firm).where(Firm.id == firm.organisation_id).values(practitioners=3))
        await uow.commit()
    with pytest.raises(BidNotAllowed) as refused:
        await submit_bid(database, firm, row.id, amount("148000.00"))
    assert [r.code for r in refused.value.reasons] == ["too-few-practitioners"]
    assert await _written(database) == (1, 1, [1])


async def test_a_replacement_opening_its_own_transaction_runs_through_the_session(
    fresh_database: ClonedDatabase,
) -> None:
    """On a real pool (not the fixture's one open transaction) a replacement's first
    statement opens the transaction through the session; the driver then joins it, and
    everything commits or rolls back together."""
    database = fresh_database.database
    row = await published(database, await owner(database))
    firm = await bidder(database, 134)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))
    async with database.unit_of_work() as uow:
        assert await uow.driver() is None  # nothing sent yet: no transaction to join
        await bids.replace(
            uow,
            acting(firm),
            firm,
            BID_KEY,
            first.bid_id,
            amount("149000.00"),
            LATER,
            vocabulary=VOCABULARY,
            terms=TERMS,
        )
        assert await uow.driver() is not None
        # not committed: leaving the block rolls the version and its audit entry back
    assert await _written(database) == (1, 1, [1])
    second = await replace_bid(database, firm, first.bid_id, amount("148000.00"))
    assert second.version == 2
    assert await _written(database) == (2, 2, [2])


async def test_a_connection_lost_under_a_prepared_statement_is_database_unavailable(
    fresh_database: ClonedDatabase,
) -> None:
    """Not a bare driver error (500): the web layer answers both of these 503."""
    # leaving the unit of work, its rollback finds the connection gone as well
    with pytest.raises(InterfaceError):
        async with fresh_database.database.unit_of_work() as uow:
            await uow.session.execute(select(1))
            driver = await uow.driver()
            assert driver is not None
            connection, _ = driver
            connection.terminate()
            with pytest.raises(DatabaseUnavailable, match="lost the connection"):
                await HELD.row(uow, {"bid_id": 1})


async def test_a_bid_hashes_its_sealed_version_once_and_reads_unchanged_terms_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the Python a bid costs: the canonical sealed bid is hashed for the digest once (the
    # digest goes to the version, the audit entry and the receipt), and the stored terms are
    # parsed only when they changed since the procurement's last bid
    row = await published(database, await owner(database))
    firm = await bidder(database, 133)
    hashed: list[int] = []
    parsed: list[int] = []
    canonical = SealedBid.canonical_bytes
    parse = store.stored_terms

    def counted_canonical(sealed: SealedBid) -> bytes:
        hashed.append(sealed.identity.version)
        return canonical(sealed)

    def counted_parse(procurement: Procurement) -> DraftTerms:
        parsed.append(procurement.id)
        return parse(procurement)

    monkeypatch.setattr(SealedBid, "canonical_bytes", counted_canonical)
    monkeypatch.setattr(store, "stored_terms", counted_parse)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))
    second = await replace_bid(database, firm, first.bid_id, amount("149000.00"))
    assert hashed == [1, 2]
    assert len(parsed) <= 1  # none if an earlier test left equal terms under this id
    async with database.sessions() as session:
        digests = list(await session.scalars(select(BidVersion.digest).order_by(BidVersion.version)))
    assert digests == [first.digest, second.digest]
