"""`market serve --demo`'s procurements: one in each state, dated relative to now, loaded
once through the services; two reach their deadline minutes later and the lifecycle takes
them on from there."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from market import lifecycle
from market.db import Database
from market.demo import DEMO_PASSWORD, load_demo
from market.demo_procurements import load_demo_procurements
from market.models import Procurement
from market.procurement.states import ProcurementStatus
from market.settings import AuthSettings
from tests.bid_data import BID_KEY, TERMS
from tests.conftest import ClonedDatabase
from tests.registry_data import VOCABULARY

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def _load(database: Database) -> list[str]:
    return await load_demo_procurements(
        database,
        vocabulary=VOCABULARY,
        terms=TERMS,
        bid_key=BID_KEY,
        now=NOW,
        auth=AuthSettings(),
        password=DEMO_PASSWORD,
    )


async def _statuses(database: Database) -> Counter[ProcurementStatus]:
    async with database.sessions() as session:
        return Counter(await session.scalars(select(Procurement.status)))


async def test_the_demo_has_a_procurement_in_each_state_and_some_reach_their_deadline(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    await load_demo(database, AuthSettings(), vocabulary=VOCABULARY, now=NOW)
    watched = await _load(database)
    assert len(watched) == 3  # two before their deadline, one in its reveal window
    assert await _statuses(database) == {
        ProcurementStatus.DRAFT: 1,
        ProcurementStatus.PUBLISHED: 3,
        ProcurementStatus.FROZEN: 1,
        ProcurementStatus.SELECTED: 1,
        ProcurementStatus.FAILED: 1,
        ProcurementStatus.CANCELLED: 1,
        ProcurementStatus.CONFIRMING: 1,  # the small works, drawn, its contractor asked
    }
    assert await _load(database) == []  # once
    assert sum((await _statuses(database)).values()) == 9

    # while one watches: the first deadline comes three minutes later
    advanced = await lifecycle.advance(
        database, BID_KEY, NOW + timedelta(minutes=3), vocabulary=VOCABULARY, terms=TERMS
    )
    assert [t.action for t in advanced.steps] == ["close_bidding", "open", "freeze"]
    assert (await _statuses(database))[ProcurementStatus.FROZEN] == 2


async def test_every_demo_selection_replays_match_and_a_tampered_one_shows_its_difference(
    fresh_database: ClonedDatabase,
) -> None:
    """Issue 14: the server's replay (the stand-alone verifier on the stored record, against
    the freeze digests of the audit log) says MATCH for every record the demo drew."""
    from sqlalchemy import update

    from market.models import SelectionRecordRow
    from market.supervision import records as selection_records

    database = fresh_database.database
    await load_demo(database, AuthSettings(), vocabulary=VOCABULARY, now=NOW)
    await _load(database)
    async with database.sessions() as session:
        ids = list(await session.scalars(select(SelectionRecordRow.id).order_by(SelectionRecordRow.id)))
    assert len(ids) >= 2  # the selected service procurement and the drawn small works (and 流标 ones)
    async with database.unit_of_work() as uow:
        for record_id in ids:
            replayed = await selection_records.replay(uow, record_id)
            assert replayed.match, (record_id, replayed.difference)
    async with database.sessions() as session:
        stored = await session.get(SelectionRecordRow, ids[0])
        assert stored is not None
        await session.execute(
            update(SelectionRecordRow)
            .where(SelectionRecordRow.id == ids[0])
            .values(record=stored.record.replace('"outcome":"', '"outcome":"x', 1))
        )
        await session.commit()
    async with database.unit_of_work() as uow:
        tampered = await selection_records.replay(uow, ids[0])
    assert not tampered.match and tampered.difference


async def test_every_ocds_package_the_demo_produces_validates(fresh_database: ClonedDatabase) -> None:
    """Issue 14: the feed of the demo's procurements, page by page, and each one's record
    package, against the official OCDS 1.1.5 schema."""
    from market.models import Procurement as Row
    from market.opendata import feed, ocds
    from tests.ocds_schema import problems

    database = fresh_database.database
    await load_demo(database, AuthSettings(), vocabulary=VOCABULARY, now=NOW)
    await _load(database)
    options = {"prefix": "ocds-sg0000", "terms": TERMS, "public_url": "https://jy.example.cn"}
    since, seen = 0, 0
    async with database.unit_of_work() as uow:
        while True:
            page = await feed.page(uow, since=since, limit=5, **options)  # type: ignore[arg-type]
            if page.releases:
                package = ocds.package(
                    page.releases, uri="https://jy.example.cn/ocds/releases", published=NOW, publisher="x"
                )
                assert problems(package) == []
                seen += len(page.releases)
            if page.next_since is None:
                break
            since = page.next_since
        references = list(await uow.session.scalars(select(Row.reference).where(Row.reference.is_not(None))))
        for reference in references:
            ocid = f"ocds-sg0000-{reference}"
            releases = await feed.record(uow, ocid, **options)  # type: ignore[arg-type]
            if releases:
                record = ocds.record_package(
                    ocid,
                    releases,
                    uri=f"https://jy.example.cn/ocds/records/{ocid}",
                    published=NOW,
                    publisher="x",
                )
                assert problems(record, records=True) == [], reference
    assert seen >= len(references)  # every published procurement has at least its tender release
