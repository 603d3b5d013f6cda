"""Replaying selection records (issue 14): a real draw's record replays MATCH with its freeze
digests from the audit log; an edited record — or its digest — shows the first difference;
the list filters by period, kind, method, outcome and firm."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from market.db import Database
from market.errors import InvalidInput
from market.models import Procurement, SelectionRecordRow
from market.supervision import periods
from market.supervision import records as selection_records
from tests.bid_data import DEADLINE, amount, bidder, owner, submit_bid
from tests.integration.test_lifecycle import _advancing, _publish_due
from tests.lifecycle_data import owner_reveals


async def _selected(database: Database) -> int:
    buyer = await owner(database)
    [row] = await _publish_due(database, buyer, [0])
    for n in range(3):
        await submit_bid(database, await bidder(database, 900 + n), row.id, amount(f"{150000 + n * 1000}.00"))
    advance = _advancing(database)
    await advance(DEADLINE)
    await owner_reveals(database, buyer, row, DEADLINE + timedelta(minutes=5))
    async with database.sessions() as session:
        frozen = await session.get(Procurement, row.id, populate_existing=True)
        assert frozen is not None
    await advance(frozen.selection_time)
    async with database.sessions() as session:
        record_id = await session.scalar(select(SelectionRecordRow.id))
    assert record_id is not None
    return record_id


async def test_a_real_record_replays_and_an_edited_one_shows_its_difference(database: Database) -> None:
    record_id = await _selected(database)
    async with database.unit_of_work() as uow:
        found = await selection_records.replay(uow, record_id)
    assert found.match and found.difference is None
    assert found.published_freeze is not None and set(found.published_freeze) == {
        "configuration",
        "candidates",
        "bids",
    }
    assert found.command.startswith("python -S -m selection.verify --frozen configuration=")

    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow.record).where(SelectionRecordRow.id == record_id)
        )
        assert stored is not None
        data = json.loads(stored)
        data["winners"] = list(reversed(data["inputs"]["candidates"]))[:1]
        if data["winners"] == json.loads(stored)["winners"]:
            data["winners"] = data["inputs"]["candidates"][:1]
        edited = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        await session.execute(
            update(SelectionRecordRow).where(SelectionRecordRow.id == record_id).values(record=edited)
        )
        await session.commit()
    async with database.unit_of_work() as uow:
        tampered = await selection_records.replay(uow, record_id)
    assert not tampered.match and tampered.difference is not None and "winners" in tampered.difference

    async with database.sessions() as session:  # the record back, its published digest edited
        await session.execute(
            update(SelectionRecordRow)
            .where(SelectionRecordRow.id == record_id)
            .values(record=stored, digest="0" * 64)
        )
        await session.commit()
    async with database.unit_of_work() as uow:
        redigested = await selection_records.replay(uow, record_id)
    assert not redigested.match and "SHA-256" in (redigested.difference or "")


async def test_the_list_filters_and_refuses_a_bad_filter(database: Database) -> None:
    record_id = await _selected(database)
    async with database.sessions() as session:
        record = await session.get(SelectionRecordRow, record_id)
        assert record is not None
        data = json.loads(record.record)
    year = periods.named(str(record.created_at.year))
    everything = selection_records.RecordFilters(year)
    async with database.unit_of_work() as uow:
        lines, total = await selection_records.listing(uow, everything, limit=10)
        assert total == 1 and lines[0].id == record_id and lines[0].method == data["method"]
        for filters, expected in (
            (selection_records.RecordFilters(year, kind="intermediary_service"), 1),
            (selection_records.RecordFilters(year, kind="small_works"), 0),
            (selection_records.RecordFilters(year, outcome="failed"), 0),
            (selection_records.RecordFilters(year, method=data["method"]), 1),
            (
                selection_records.RecordFilters(
                    year, method="lowest_price" if data["method"] != "lowest_price" else "random"
                ),
                0,
            ),
            (selection_records.RecordFilters(year, firm=data["inputs"]["candidates"][0]), 1),
            (selection_records.RecordFilters(year, firm="9" * 18), 0),
            (selection_records.RecordFilters(year.year_before()), 0),
        ):
            assert (await selection_records.listing(uow, filters, limit=10))[1] == expected, filters
        for bad in (
            selection_records.RecordFilters(year, kind="goods"),
            selection_records.RecordFilters(year, outcome="won"),
            selection_records.RecordFilters(year, firm="12345"),
            selection_records.RecordFilters(year, method="x; drop"),
        ):
            with pytest.raises(InvalidInput):
                await selection_records.listing(uow, bad, limit=10)
