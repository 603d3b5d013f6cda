"""The opening on real PostgreSQL: the lifecycle closes bidding at the deadline and opens
the bids once; the list holds exactly the counting bids with the receipts' digests; a bid
that no longer counts is listed with its reason; ciphertexts moved between rows do not
open; reading the list early is refused and audited; many bids racing the deadline are
either fully in, before it, or refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from market import lifecycle
from market.bidding import service as bids
from market.bidding.opening import list_digest
from market.bidding.opening_list import SealedUntilOpening, opening_list
from market.bidding.rules import BiddingClosed
from market.db import Database
from market.errors import PermissionDenied
from market.models import AuditEntry, BidOpening, BidVersion, Procurement
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.states import ProcurementStatus
from tests.bid_data import (
    BEFORE,
    BID_KEY,
    DEADLINE,
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

SUPERVISOR = Principal(424242, "supervisor-x", "监督", frozenset({Role.SUPERVISOR}), None)


async def _advance(database: Database, now: Any) -> lifecycle.Advanced:
    return await lifecycle.advance(database, BID_KEY, now, vocabulary=VOCABULARY, terms=TERMS)


async def _read(database: Database, who: Principal, procurement_id: int) -> Any:
    async with database.unit_of_work() as uow:
        try:
            return await opening_list(uow, acting(who), who, BID_KEY, procurement_id)
        except SealedUntilOpening:
            await uow.commit()  # the refusal's audit entry stays, as the controller does
            raise


async def test_the_opening_lists_exactly_the_counting_bids_with_the_receipts_digests(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    row = await published(database, buyer)
    replacing, withdrawing, reconfirming, unconfirmed = [
        await bidder(database, n) for n in (201, 202, 203, 204)
    ]
    first = await submit_bid(database, replacing, row.id, amount("170000.00"))
    gone = await submit_bid(database, withdrawing, row.id, amount("160000.00"))
    kept = await submit_bid(database, reconfirming, row.id, amount("150000.00"))
    stale = await submit_bid(database, unconfirmed, row.id, amount("175000.00"))
    await replace_bid(database, replacing, first.bid_id, amount("140000.00"), BEFORE + timedelta(hours=1))
    async with database.unit_of_work() as uow:
        await bids.withdraw(uow, acting(withdrawing), withdrawing, BID_KEY, gone.bid_id, BEFORE)
        await uow.commit()
    amended = await amend_ceiling(database, buyer, row.id, "170000.00")
    deadline = amended.procurement.bid_deadline
    assert deadline is not None
    async with database.unit_of_work() as uow:
        confirmed = await bids.reconfirm(
            uow, acting(reconfirming), reconfirming, BID_KEY, kept.bid_id, BEFORE
        )
        # replacing after the amendment confirms the new terms too
        replaced = await bids.replace(
            uow,
            acting(replacing),
            replacing,
            BID_KEY,
            first.bid_id,
            amount("140000.00"),
            BEFORE + timedelta(hours=2),
            vocabulary=VOCABULARY,
            terms=TERMS,
        )
        await uow.commit()

    # before the deadline nothing moves, and nobody reads the list
    assert await _advance(database, deadline - timedelta(seconds=1)) == lifecycle.Advanced([], [])
    for reader in (buyer, SUPERVISOR, replacing):
        with pytest.raises(SealedUntilOpening, match="sealed until the opening at"):
            await _read(database, reader, row.id)

    advanced = await _advance(database, deadline)
    assert advanced.closed == [row.id] and [o.procurement_id for o in advanced.opened] == [row.id]
    assert await _advance(database, deadline + timedelta(minutes=1)) == lifecycle.Advanced([], [])

    opened = await _read(database, buyer, row.id)
    counted = {e["bid_id"]: e for e in opened.entries if e["counted"]}
    assert set(counted) == {first.bid_id, kept.bid_id}
    assert counted[first.bid_id]["digest"] == replaced.digest and counted[first.bid_id]["version"] == 3
    assert counted[first.bid_id]["quote_value"] == "140000.00"
    assert counted[kept.bid_id]["digest"] == confirmed.digest == kept.digest
    assert counted[kept.bid_id]["firm_id"] == reconfirming.organisation_id
    [not_counted] = [e for e in opened.entries if not e["counted"]]
    assert not_counted["bid_id"] == stale.bid_id and not_counted["reason"]["code"] == "not-reconfirmed"
    assert gone.bid_id not in {e["bid_id"] for e in opened.entries}
    assert opened.list_sha256 == list_digest(opened.entries)
    assert (await _read(database, SUPERVISOR, row.id)) == opened
    assert (await _read(database, withdrawing, row.id)) == opened  # it bid, then withdrew
    stranger = await bidder(database, 205)
    with pytest.raises(PermissionDenied):
        await _read(database, stranger, row.id)

    async with database.sessions() as session:
        stored = await session.get(Procurement, row.id)
        # the lifecycle goes on to the freeze at the same deadline, where two counted bids
        # fail this procurement (流标)
        assert stored is not None and stored.status is ProcurementStatus.FAILED
        entries = {e.action: e for e in await session.scalars(select(AuditEntry))}
        refused = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "bid:early_read_refused"))
        )
    assert {e.actor_id for e in refused} == {buyer.user_id, SUPERVISOR.user_id, replacing.user_id}
    assert all(e.payload == {"reference": row.reference} for e in refused)
    opened_entry = entries["procurement:opened"]
    assert opened_entry.payload["list_sha256"] == opened.list_sha256
    history = {b["bid_id"]: b for b in opened_entry.payload["bids"]}
    assert [v["user_id"] for v in history[first.bid_id]["versions"]] == [replacing.user_id] * 3
    assert history[gone.bid_id]["withdrawn_at"] is not None
    assert entries["procurement:bidding_closed"].payload["reference"] == row.reference


async def test_a_ciphertext_moved_to_another_row_does_not_open(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    row = await published(database, await owner(database))
    one, two = await bidder(database, 211), await bidder(database, 212)
    a = await submit_bid(database, one, row.id, amount("150000.00"))
    b = await submit_bid(database, two, row.id, amount("120000.00"))
    async with database.unit_of_work() as uow:
        va = await uow.session.get(BidVersion, (a.bid_id, 1))
        vb = await uow.session.get(BidVersion, (b.bid_id, 1))
        assert va is not None and vb is not None
        swapped = {"nonce": vb.nonce, "ciphertext": vb.ciphertext}
        await uow.session.execute(update(BidVersion).where(BidVersion.bid_id == a.bid_id).values(**swapped))
        await uow.commit()
    await _advance(database, DEADLINE)
    async with database.sessions() as session:
        opening = await session.get(BidOpening, row.id)
    assert opening is not None
    by_bid = {e["bid_id"]: e for e in opening.entries}
    assert by_bid[a.bid_id]["counted"] is False and by_bid[a.bid_id]["reason"]["code"] == "seal-broken"
    assert by_bid[a.bid_id]["quote_value"] is None
    assert by_bid[b.bid_id]["counted"] is True and by_bid[b.bid_id]["quote_value"] == "120000.00"


async def test_bids_racing_the_deadline_are_in_before_it_or_refused(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    row = await published(database, await owner(database))
    firms = [await bidder(database, 300 + n) for n in range(16)]
    # each bid's clock: half before the deadline, half at or after it; the lifecycle closes
    # bidding in the middle of them
    times = [DEADLINE + timedelta(milliseconds=(n - 8) * 5) for n in range(16)]

    async def bid(n: int) -> Any:
        try:
            return await submit_bid(database, firms[n], row.id, amount("150000.00"), now=times[n])
        except BiddingClosed as refused:
            return refused

    results = await asyncio.gather(
        *(bid(n) for n in range(8)), _advance(database, DEADLINE), *(bid(n) for n in range(8, 16))
    )
    answers = results[:8] + results[9:]
    accepted = [r for r in answers if isinstance(r, bids.Receipt)]
    refused = [r for r in answers if isinstance(r, BiddingClosed)]
    assert len(accepted) + len(refused) == 16
    assert all(r.submitted_at < DEADLINE for r in accepted)
    assert len(refused) >= 8  # every bid at or after the deadline
    await _advance(database, DEADLINE + timedelta(seconds=1))
    async with database.sessions() as session:
        opening = await session.get(BidOpening, row.id)
    assert opening is not None
    assert {e["bid_id"] for e in opening.entries if e["counted"]} == {r.bid_id for r in accepted}
    assert {e["digest"] for e in opening.entries} == {r.digest for r in accepted}


async def test_a_cancelled_procurement_is_never_opened(database: Database) -> None:
    buyer = await owner(database)
    row = await published(database, buyer)
    await submit_bid(database, await bidder(database, 221), row.id, amount("150000.00"))
    async with database.unit_of_work() as uow:
        await procurements.cancel(uow, acting(buyer), buyer, row.id, BEFORE, reason="项目取消")
        await uow.commit()
    assert await _advance(database, DEADLINE) == lifecycle.Advanced([], [])
    with pytest.raises(SealedUntilOpening, match="cancelled before the opening"):
        await _read(database, Principal(1, "a", "管理员", frozenset({Role.ADMIN}), None), row.id)


async def test_a_firm_no_longer_eligible_at_the_deadline_is_listed_with_the_registry_reason(
    database: Database,
) -> None:
    """The opening finds the eligible firms in one query and explains only the others: a firm
    suspended after it bid is listed, not counted, with the reason the registry gives."""
    from market.models import Firm

    row = await published(database, await owner(database))
    kept, suspended = await bidder(database, 231), await bidder(database, 232)
    good = await submit_bid(database, kept, row.id, amount("150000.00"))
    gone = await submit_bid(database, suspended, row.id, amount("140000.00"))
    async with database.unit_of_work() as uow:
        await uow.session.execute(
            update(Firm)
            .where(Firm.id == suspended.organisation_id)
            .values(status="suspended", suspended_until=DEADLINE + timedelta(days=30))
        )
        await uow.commit()
    await _advance(database, DEADLINE)
    async with database.sessions() as session:
        opening = await session.get(BidOpening, row.id)
    assert opening is not None
    by_bid = {e["bid_id"]: e for e in opening.entries}
    assert by_bid[good.bid_id]["counted"] is True and by_bid[good.bid_id]["reason"] is None
    assert by_bid[gone.bid_id]["counted"] is False
    assert by_bid[gone.bid_id]["reason"]["code"] == "suspended"
