"""`market serve --demo`'s procurements: one in each state, dated relative to now, loaded
once through the services; two reach their deadline minutes later and the lifecycle takes
them on from there."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from market import lifecycle
from market.audit import Actor
from market.db import Database
from market.demo import DEMO_PASSWORD, load_demo
from market.demo_cartel import CARTEL, HONEST
from market.demo_procurements import load_demo_procurements
from market.models import Procurement, User
from market.procurement.states import ProcurementStatus
from market.settings import AuthSettings
from market.supervision import periods, screening
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
        ProcurementStatus.AWARDED: 11,  # the second owner's market (market.demo_cartel), all past
    }
    assert await _load(database) == []  # once
    assert sum((await _statuses(database)).values()) == 20

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


async def test_the_screens_flag_the_demo_cartel_and_none_of_the_honest_procurements(
    fresh_database: ClonedDatabase,
) -> None:
    """Issue 14: the demo's planted cartel (market.demo_cartel) is flagged by every screen —
    its eight procurements' quotes, its three pairs, its cover bidder and its rotation — and
    no other demo procurement or firm is."""
    database = fresh_database.database
    await load_demo(database, AuthSettings(), vocabulary=VOCABULARY, now=NOW)
    await _load(database)
    async with database.unit_of_work() as uow:
        firm = {
            name: organisation
            for name, organisation in await uow.session.execute(select(User.username, User.organisation_id))
        }
        owner2 = firm["owner2"]
        rigged = set(
            await uow.session.scalars(
                select(Procurement.id).where(
                    Procurement.owner_organisation_id == owner2, Procurement.title.like("%公路养护%")
                )
            )
        )
        honest = set(
            await uow.session.scalars(
                select(Procurement.id).where(
                    Procurement.owner_organisation_id == owner2, Procurement.title.like("%桥梁%")
                )
            )
        )
        period = periods.custom((NOW - timedelta(days=120)).date().isoformat(), NOW.date().isoformat())
        flags, screened = await screening.run(uow, Actor.system("测试"), period, TERMS.screens)
    assert len(rigged) == 8 and len(honest) == 3
    assert screened >= 13  # the eleven, and the demo owner's opened procurements
    a, b, c, d = (firm[name] for name in CARTEL)
    by_kind: dict[str, list[screening.Flag]] = {}
    for flag in flags:
        by_kind.setdefault(flag.kind, []).append(flag)
    assert {f.procurements[0] for f in by_kind["quote"]} == rigged
    assert {f.firms for f in by_kind["pair"]} == {tuple(sorted(p)) for p in ((a, b), (a, c), (b, c))}
    assert [(f.firms, len(f.procurements)) for f in by_kind["cover"]] == [((a, d), 4)]
    [rotation] = by_kind["rotation"]
    assert rotation.firms == tuple(sorted((a, b, c))) and set(rotation.procurements) == rigged
    assert rotation.numbers["wins"] == {str(a): 4, str(b): 2, str(c): 2}
    flagged = {p for f in flags for p in f.procurements}
    assert flagged == rigged  # none of the honest ones, nor any other demo procurement
    assert not {firm[name] for name in HONEST} & {x for f in flags for x in f.firms}


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
