"""Small works (小额工程): a firm of the drawn pool objects to the confirmed contractor, the
owner upholds it, and round 2 is drawn from round 1's frozen pool less that contractor; its
drawn contractor is offered the works and confirms, and its result is published. Round 2's
record verifies on its own against its own freeze. With too few firms left the redraw
fails (流标) with the engine's failure record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from market.db import Database
from market.models import DrawRound, Procurement, SelectionRecordRow
from market.principal import Principal
from market.procurement.states import ProcurementStatus
from selection.verify import verify_text
from tests import objection_flow as flow
from tests.bid_data import owner
from tests.conftest import ClonedDatabase
from tests.works_flow import CONFIRMED, answer, contractors, drawn, offers_of, published_works, reload, run


async def _confirmed(
    database: Database, firms: int, alternates: int
) -> tuple[Principal, Procurement, list[Principal], Principal]:
    """A small works drawn from a pool of ``firms`` and confirmed by its drawn contractor."""
    buyer = await owner(database)
    pool = await contractors(database, firms)
    row = await published_works(database, buyer, alternates=alternates)
    selected = await drawn(database, buyer, row)
    [first] = await offers_of(database, row.id)
    by_uscc = {f.organisation_uscc: f for f in pool}
    await answer(database, by_uscc[first.uscc], first.id, CONFIRMED, first.offered_at + timedelta(hours=1))
    return buyer, await reload(database, selected.id), pool, by_uscc[first.uscc]


async def test_an_upheld_objection_redraws_the_pool_without_the_contractor(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row, pool, winner = await _confirmed(database, 5, 1)
    assert row.status is ProcurementStatus.SELECTED
    objector = next(f for f in pool if f is not winner)
    at = (await flow.awards(database, row.id))[0].selected_at + timedelta(hours=1)
    made = await flow.lodge(database, objector, row, at)
    await flow.answer(database, buyer, made.id, "upheld", at + timedelta(hours=1))
    voided = await reload(database, row.id)
    assert voided.status is ProcurementStatus.REDRAWING and voided.redraw_freeze_at is not None
    secret = await flow.owner_commits(database, buyer, row, 2, at + timedelta(hours=2))
    await run(database, voided.redraw_freeze_at)
    assert (await reload(database, row.id)).status is ProcurementStatus.FROZEN
    await flow.reveal(database, buyer, row, secret, voided.redraw_freeze_at + timedelta(minutes=5))
    await run(database, voided.selection_time)
    offered = await reload(database, row.id)
    assert offered.status is ProcurementStatus.CONFIRMING
    second = [o for o in await offers_of(database, row.id) if o.round == 2]
    assert len(second) == 1 and second[0].uscc != winner.organisation_uscc
    by_uscc = {f.organisation_uscc: f for f in pool}
    await answer(
        database, by_uscc[second[0].uscc], second[0].id, CONFIRMED, second[0].offered_at + timedelta(hours=1)
    )
    assert (await reload(database, row.id)).status is ProcurementStatus.SELECTED
    old, new = await flow.awards(database, row.id)
    assert old.ended_reason == "voided" and (new.round, new.uscc) == (2, second[0].uscc)
    async with database.sessions() as session:
        two = await session.get(DrawRound, (row.id, 2))
        stored = await session.scalar(
            select(SelectionRecordRow).where(
                SelectionRecordRow.procurement_id == row.id, SelectionRecordRow.round == 2
            )
        )
    assert two is not None and two.frozen_documents is not None and stored is not None
    assert winner.organisation_uscc not in two.frozen_documents["candidates"]["candidates"]
    assert verify_text(stored.record, frozen=two.freeze_digests) is None


async def test_a_redraw_with_too_few_firms_left_fails_with_its_record(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer, row, pool, winner = await _confirmed(database, 3, 0)
    objector = next(f for f in pool if f is not winner)
    at = (await flow.awards(database, row.id))[0].selected_at + timedelta(hours=1)
    made = await flow.lodge(database, objector, row, at)
    await flow.answer(database, buyer, made.id, "upheld", at + timedelta(hours=1))
    voided = await reload(database, row.id)
    assert voided.redraw_freeze_at is not None
    await run(database, voided.redraw_freeze_at)
    failed = await reload(database, row.id)
    assert failed.status is ProcurementStatus.FAILED
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow).where(
                SelectionRecordRow.procurement_id == row.id, SelectionRecordRow.round == 2
            )
        )
    assert stored is not None and stored.outcome == "failed"
