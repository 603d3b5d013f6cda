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
