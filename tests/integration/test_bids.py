"""Sealed bids on real PostgreSQL: submission, replacement, withdrawal, re-confirmation and
receipts; every refusal (second live bid, ineligible, avoided, closed, cancelled, bad quote)
writes nothing; Idempotency-Key retries; what the rows and the audit log show."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from market.audit import Actor
from market.bidding import service as bids
from market.bidding.rules import BiddingClosed, BidNotAllowed, QuoteRefused
from market.db import Database
from market.errors import Conflict, NotFound, PermissionDenied
from market.models import AuditEntry, Bid, BidVersion, Procurement, ProcurementKey
from market.principal import Principal, Role
from market.procurement import service as procurements
from market.procurement.draft import Avoidance
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.sealed.bids import Attachment, Quote, open_envelope
from market.sealed.keys import WrappedKey
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
from tests.unit.procurement.conftest import service_draft


async def _count(database: Database, table: Any) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _audit(database: Database, prefix: str) -> list[AuditEntry]:
    async with database.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        return list(await session.scalars(query))


async def test_a_bid_is_sealed_with_a_receipt_and_names_neither_firm_nor_procurement(
    database: Database,
) -> None:
    buyer = await owner(database)
    row = await published(database, buyer)
    firm = await bidder(database, 101)
    receipt = await submit_bid(
        database, firm, row.id, amount("150000.00"), idempotency_key="k1", request_body=b"{}"
    )
    assert (receipt.version, receipt.procurement_id, receipt.reference) == (1, row.id, row.reference)
    assert receipt.submitted_at == BEFORE and len(receipt.digest) == 64 and receipt.counts
    assert receipt.procurement_status is ProcurementStatus.PUBLISHED and receipt.withdrawn_at is None
    async with database.sessions() as session:
        bid = await session.get(Bid, receipt.bid_id)
        version = await session.get(BidVersion, (receipt.bid_id, 1))
        stored = await session.get(Procurement, row.id)
        assert bid is not None and version is not None and stored is not None
        # the procurement's row does not move because of a bid
        assert stored.updated_at == row.updated_at and stored.version == row.version
        key = await session.get(ProcurementKey, row.id)
    assert str(row.id) not in (bid.procurement_tag, bid.bidder) and str(firm.organisation_id) != bid.bidder
    assert b"150000" not in version.ciphertext and version.digest == receipt.digest
    assert version.terms_version == 1 and bid.confirmed_terms_version == 1
    assert key is not None
    dek = BID_KEY.unwrap(WrappedKey(key.key_id, key.wrapped), row.reference or "")
    envelope = open_envelope(dek, bid.id, row.reference or "", 1, version.envelope)
    assert (envelope.firm_id, envelope.user_id, envelope.address) == (
        firm.organisation_id,
        firm.user_id,
        "192.0.2.9",
    )
    [entry] = await _audit(database, "bid:")
    assert entry.action == "bid:submitted" and entry.object_id == str(bid.id)
    assert (
        entry.actor_id is None and entry.client_address == "" and entry.actor_label == bids.SEALED_ACTOR.label
    )
    assert entry.payload == {"version": 1, "digest": receipt.digest}


async def test_replace_keeps_every_version_and_withdraw_ends_the_bid(database: Database) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 102)
    first = await submit_bid(database, firm, row.id, amount("160000.00"))
    later = BEFORE + timedelta(hours=1)
    second = await replace_bid(database, firm, first.bid_id, amount("150000.00"), later)
    assert (second.bid_id, second.version, second.submitted_at) == (first.bid_id, 2, later)
    assert second.digest != first.digest
    async with database.unit_of_work() as uow:
        withdrawn = await bids.withdraw(
            uow, acting(firm), firm, BID_KEY, first.bid_id, later + timedelta(hours=1)
        )
        await uow.commit()
    assert (
        withdrawn.withdrawn_at == later + timedelta(hours=1)
        and not withdrawn.counts
        and withdrawn.version == 2
    )
    assert await _count(database, BidVersion) == 2
    assert [e.action for e in await _audit(database, "bid:")] == [
        "bid:submitted",
        "bid:replaced",
        "bid:withdrawn",
    ]
    async with database.unit_of_work() as uow:
        with pytest.raises(Conflict, match="withdrawn"):
            await bids.withdraw(uow, acting(firm), firm, BID_KEY, first.bid_id, later)
        assert (await bids.my_bid(uow, firm, BID_KEY, row.id)) == withdrawn
    # a firm that withdrew may bid again: a new bid
    again = await submit_bid(database, firm, row.id, amount("140000.00"), now=later + timedelta(hours=2))
    assert again.bid_id != first.bid_id and again.version == 1
    async with database.unit_of_work() as uow:
        mine = await bids.my_bid(uow, firm, BID_KEY, row.id)
        assert mine is not None and mine.bid_id == again.bid_id


async def test_a_second_live_bid_is_refused_naming_the_firms_own_bid(database: Database) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 103)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))
    colleague = Principal(firm.user_id, "colleague", "同事", firm.roles, firm.organisation_id)
    with pytest.raises(Conflict) as second:
        await submit_bid(database, colleague, row.id, amount("149000.00"))
    assert f"bid {first.bid_id}" in second.value.message and second.value.details["bid_id"] == first.bid_id
    assert await _count(database, BidVersion) == 1


async def test_ineligible_and_avoided_firms_are_refused_with_their_reasons(database: Database) -> None:
    firm = await bidder(database, 104, practitioners=3)
    avoided = await bidder(database, 105)
    buyer = await owner(database)
    row = await published(
        database,
        buyer,
        requirements={"min_practitioners": 10},
        avoidance=(Avoidance(avoided.organisation_uscc or "", "与业主存在关联关系"),),
    )
    with pytest.raises(BidNotAllowed) as refused:
        await submit_bid(database, firm, row.id, amount("150000.00"))
    assert [r.code for r in refused.value.reasons] == ["too-few-practitioners"]
    assert refused.value.details["reasons"][0]["code"] == "too-few-practitioners"
    with pytest.raises(BidNotAllowed, match="与业主存在关联关系") as kept_out:
        await submit_bid(database, avoided, row.id, amount("150000.00"))
    assert [r.code for r in kept_out.value.reasons] == ["avoided"]
    assert isinstance(kept_out.value, PermissionDenied)
    assert await _count(database, Bid) == 0 and await _audit(database, "bid:") == []
    async with database.unit_of_work() as uow:
        ready = await bids.bid_readiness(uow, firm, VOCABULARY, row.id, BEFORE, terms=TERMS)
        late = await bids.bid_readiness(uow, avoided, VOCABULARY, row.id, DEADLINE, terms=TERMS)
    assert not ready.may_bid and [r.code for r in ready.reasons] == ["too-few-practitioners"]
    assert [r.code for r in late.reasons] == ["bidding-closed", "avoided"]


async def test_a_firm_offering_another_service_type_is_refused(database: Database) -> None:
    """The procurement's service type is part of what a bidder must meet, as it was of the
    count at publication, not only the requirements object."""
    surveyor = await bidder(database, 106, service_types=["surveying"])
    buyer = await owner(database)
    row = await published(database, buyer)  # cost consulting (造价咨询)
    with pytest.raises(BidNotAllowed) as refused:
        await submit_bid(database, surveyor, row.id, amount("150000.00"))
    assert [r.code for r in refused.value.reasons] == ["wrong-service"]
    assert await _count(database, Bid) == 0


async def test_bad_quotes_are_refused_before_anything_is_written(database: Database) -> None:
    row = await published(database, await owner(database))  # ceiling 180000, floor 100000
    firm = await bidder(database, 106)
    for quote, code in [
        (amount("180000.01"), "above-ceiling"),
        (amount("99999.99"), "below-floor"),
        (amount("150000.001"), "quote-precision"),
        (Quote("discount_rate", Decimal("5")), "wrong-quote-mode"),
    ]:
        with pytest.raises(QuoteRefused) as refused:
            await submit_bid(database, firm, row.id, quote)
        assert refused.value.details["reason"] == code
    assert await _count(database, Bid) == 0


async def test_bids_at_the_deadline_on_a_cancelled_or_draft_procurement_are_refused(
    database: Database,
) -> None:
    buyer = await owner(database)
    row = await published(database, buyer)
    firm = await bidder(database, 107)
    with pytest.raises(BiddingClosed, match="bidding closed at 2026-11-09 10:00:00"):
        await submit_bid(database, firm, row.id, amount("150000.00"), now=DEADLINE)
    receipt = await submit_bid(
        database, firm, row.id, amount("150000.00"), now=DEADLINE - timedelta(microseconds=1)
    )
    async with database.unit_of_work() as uow:
        with pytest.raises(BiddingClosed):
            await bids.withdraw(uow, acting(firm), firm, BID_KEY, receipt.bid_id, DEADLINE)
        with pytest.raises(BiddingClosed):
            await bids.replace(
                uow,
                acting(firm),
                firm,
                BID_KEY,
                receipt.bid_id,
                amount("1.00"),
                DEADLINE,
                vocabulary=VOCABULARY,
                terms=TERMS,
            )
        await procurements.cancel(uow, acting(buyer), buyer, row.id, BEFORE, reason="项目资金未落实")
        await uow.commit()
    with pytest.raises(BiddingClosed, match=r"cancelled.*项目资金未落实"):
        await submit_bid(database, await bidder(database, 108), row.id, amount("150000.00"))
    async with database.unit_of_work() as uow:
        told = await bids.receipt(uow, firm, BID_KEY, receipt.bid_id)
    assert told.procurement_status is ProcurementStatus.CANCELLED and told.cancel_reason == "项目资金未落实"
    async with database.unit_of_work() as uow:
        draft = await procurements.create_draft(
            uow, acting(buyer), buyer, terms_json(service_draft()), BEFORE
        )
        await uow.commit()
    with pytest.raises(NotFound):  # a draft is its owner's alone: to a bidder it does not exist
        await submit_bid(database, firm, draft.id, amount("150000.00"))


async def test_an_idempotent_retry_gets_the_first_receipt_and_another_body_a_conflict(
    database: Database,
) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 109)
    first = await submit_bid(
        database, firm, row.id, amount("150000.00"), idempotency_key="abc", request_body=b"one"
    )
    again = await submit_bid(
        database, firm, row.id, amount("150000.00"), idempotency_key="abc", request_body=b"one", now=DEADLINE
    )
    assert again == first
    with pytest.raises(Conflict, match="Idempotency-Key"):
        await submit_bid(
            database, firm, row.id, amount("140000.00"), idempotency_key="abc", request_body=b"two"
        )
    assert await _count(database, BidVersion) == 1


async def test_an_amendment_asks_for_reconfirmation_and_reconfirming_counts_again(database: Database) -> None:
    buyer = await owner(database)
    row = await published(database, buyer)
    firm = await bidder(database, 110)
    receipt = await submit_bid(database, firm, row.id, amount("150000.00"))
    await amend_ceiling(database, buyer, row.id, "170000.00")
    async with database.unit_of_work() as uow:
        assert not (await bids.receipt(uow, firm, BID_KEY, receipt.bid_id)).counts
        confirmed = await bids.reconfirm(uow, acting(firm), firm, BID_KEY, receipt.bid_id, BEFORE)
        await uow.commit()
    assert confirmed.counts and confirmed.version == 1 and confirmed.digest == receipt.digest
    assert [e.payload for e in await _audit(database, "bid:reconfirmed")] == [
        {"version": 1, "digest": receipt.digest}
    ]


async def test_another_firms_bid_does_not_exist_for_it_nor_for_officials(database: Database) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 111)
    other = await bidder(database, 112)
    receipt = await submit_bid(database, firm, row.id, amount("150000.00"))
    supervisor = Principal(9999, "sup", "监督", frozenset({Role.SUPERVISOR}), None)
    async with database.unit_of_work() as uow:
        for stranger in (other, supervisor):
            with pytest.raises(NotFound, match=f"no bid {receipt.bid_id}"):
                await bids.receipt(uow, stranger, BID_KEY, receipt.bid_id)
        with pytest.raises(NotFound):
            await bids.withdraw(uow, acting(other), other, BID_KEY, receipt.bid_id, BEFORE)
        with pytest.raises(NotFound):
            await bids.receipt(uow, firm, BID_KEY, receipt.bid_id + 1000)
        assert await bids.my_bid(uow, other, BID_KEY, row.id) is None
        assert await bids.my_bid(uow, supervisor, BID_KEY, row.id) is None
        with pytest.raises(PermissionDenied):
            await bids.submit(
                uow,
                Actor(9999, "sup"),
                supervisor,
                BID_KEY,
                row.id,
                amount("1.00"),
                BEFORE,
                vocabulary=VOCABULARY,
                terms=TERMS,
            )


async def test_attachments_are_sealed_and_checked(database: Database) -> None:
    row = await published(database, await owner(database))
    firm = await bidder(database, 113)
    with pytest.raises(Exception, match="attachments are PDF"):
        await submit_bid(
            database, firm, row.id, amount("150000.00"), attachments=[Attachment("a.exe", b"MZ....")]
        )
    receipt = await submit_bid(
        database,
        firm,
        row.id,
        amount("150000.00"),
        attachments=[Attachment("报价单-某公司.pdf", b"%PDF-1.7 ...")],
    )
    async with database.sessions() as session:
        version = await session.get(BidVersion, (receipt.bid_id, 1))
    assert version is not None and len(version.attachments) == 1
    assert "报价单".encode() not in version.attachments[0]


async def test_a_retried_replacement_racing_its_first_attempt_gets_the_same_receipt(
    fresh_database: ClonedDatabase,
) -> None:
    """Both copies of one replacement (same Idempotency-Key and body) arrive together: the
    second waits for the first and answers with its receipt; one version is written."""
    database = fresh_database.database
    row = await published(database, await owner(database))
    firm = await bidder(database, 140)
    first = await submit_bid(database, firm, row.id, amount("150000.00"))

    async def replace_once() -> bids.Receipt:
        async with database.unit_of_work() as uow:
            receipt = await bids.replace(
                uow,
                acting(firm),
                firm,
                BID_KEY,
                first.bid_id,
                amount("140000.00"),
                BEFORE,
                vocabulary=VOCABULARY,
                terms=TERMS,
                idempotency_key="same",
                request_body=b"body",
            )
            await asyncio.sleep(0.2)  # still uncommitted while the copy arrives
            await uow.commit()
            return receipt

    one, other = await asyncio.gather(replace_once(), replace_once())
    assert one == other and one.version == 2
    async with database.unit_of_work() as uow:
        versions = await uow.session.scalar(
            select(func.count()).select_from(BidVersion).where(BidVersion.bid_id == first.bid_id)
        )
    assert versions == 2
