"""After the selection the lifecycle keeps the clock: the result's publicity ends in an award
at its time (both parties then owe the contract), and a limit left unmet is flagged overdue
once, without moving the status (issue 13)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from market.db import Database
from market.models import AuditEntry, Award, BidOpening, Procurement, SelectionRecordRow, TimeLimit
from market.procurement.states import ProcurementStatus
from selection.record import SelectionRecord
from tests.bid_data import DEADLINE, amount, bidder, owner, submit_bid
from tests.integration.test_lifecycle import _advancing, _publish_due
from tests.lifecycle_data import owner_reveals


async def test_publicity_ends_in_the_award_and_an_unmet_contract_limit_is_flagged_once(
    database: Database,
) -> None:
    buyer = await owner(database)
    [row] = await _publish_due(database, buyer, [0])
    for n in range(3):
        await submit_bid(database, await bidder(database, 800 + n), row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
    assert frozen is not None
    await advance(frozen.selection_time)

    async with database.sessions() as session:
        selected = await session.get(Procurement, row.id, populate_existing=True)
        award = await session.scalar(select(Award).where(Award.ended_at.is_(None)))
        stored = await session.scalar(select(SelectionRecordRow.record))
        opening = await session.get(BidOpening, row.id)
    assert selected is not None and award is not None and stored is not None and opening is not None
    record = SelectionRecord.from_json(stored)
    assert (award.uscc, award.rank, award.round) == (record.winners[0], 1, 1)
    quoted = {e["uscc"]: Decimal(e["quote_value"]) for e in opening.entries}
    assert award.amount == quoted[award.uscc]  # the winner's own quote
    ends = selected.publicity_ends_at
    assert ends is not None and ends > frozen.selection_time + timedelta(days=2)  # 3 working days

    steps = await advance(ends - timedelta(seconds=1))
    assert steps.steps == []
    at_end = await advance(ends)
    assert [(t.action, t.due_at) for t in at_end.steps] == [("award", ends)]
    async with database.sessions() as session:
        awarded = await session.get(Procurement, row.id, populate_existing=True)
        award = await session.scalar(select(Award).where(Award.ended_at.is_(None)))
        owed = list(await session.scalars(select(TimeLimit).order_by(TimeLimit.action)))
    assert awarded is not None and awarded.status is ProcurementStatus.AWARDED
    assert award is not None and award.contract_due_at == ends + timedelta(days=30)
    assert [(o.action, o.party, o.due_at) for o in owed] == [
        ("contract_firm", "firm", award.contract_due_at),
        ("contract_owner", "owner", award.contract_due_at),
    ]
    assert awarded.next_check == award.contract_due_at

    late = await advance(award.contract_due_at + timedelta(minutes=1))
    assert [t.action for t in late.steps] == ["flag_overdue"]
    assert (await advance(award.contract_due_at + timedelta(days=1))).steps == []  # flagged once
    async with database.sessions() as session:
        still = await session.get(Procurement, row.id, populate_existing=True)
        flagged = list(await session.scalars(select(TimeLimit).where(TimeLimit.flagged_at.is_not(None))))
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "limit:overdue"))
        )
    assert still is not None and still.status is ProcurementStatus.AWARDED and still.next_check is None
    assert len(flagged) == 2 and len(entries) == 2
    assert {e.payload["action"] for e in entries} == {"contract_owner", "contract_firm"}
