"""Two app instances (two `create_app`, each with its own connection pool, clock and
background work) on one database: their deadline alarms catch up the same missed deadlines
at once, and every procurement is advanced exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market.bidding import service as bids
from market.clock import FixedClock
from market.db import Database
from market.models import AuditEntry
from market.sealed.keys import KeyEncryptionKey, load_kek
from market.settings import AuthSettings, Settings
from tests.bid_data import BEFORE, DEADLINE, TERMS, acting, amount, bidder, owner
from tests.conftest import ClonedDatabase
from tests.lifecycle_data import published_for_draw
from tests.registry_data import VOCABULARY
from web.app import create_app
from web.state import AppState

STEPS = ("procurement:bidding_closed", "procurement:opened", "procurement:failed")


async def test_two_instances_advance_each_procurement_exactly_once(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    seed = fresh_database.database
    kek = load_kek(tmp_path)  # the same key file for both instances, as on two hosts
    buyer = await owner(seed)
    rows = [
        await published_for_draw(
            seed,
            buyer,
            bid_key=kek,
            bid_deadline=DEADLINE + timedelta(minutes=n % 3),
            selection_time=DEADLINE + timedelta(days=1),
        )
        for n in range(12)
    ]
    await _submit_with(seed, kek, rows[0].id)

    settings = Settings(home=tmp_path, database_url=fresh_database.url, auth=AuthSettings())
    pools = [Database.connect(fresh_database.url, pool_size=3) for _ in range(2)]
    apps = [
        create_app(settings, database=pool, clock=FixedClock(DEADLINE + timedelta(hours=1)), background=True)
        for pool in pools
    ]
    async with AsyncTestClient(app=apps[0]) as one, AsyncTestClient(app=apps[1]) as two:
        for client in (one, two):
            state: AppState = client.app.state["market"]
            assert state.background is not None and state.background.alarm is not None
            # each app's lifespan runs on its own event loop (the test client's portal thread):
            # two processes' worth of loops, pools and alarms
            client.blocking_portal.call(state.background.alarm.settled)
            assert (await client.get("/healthz")).status_code == 200

    async with seed.sessions() as session:
        entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.action.in_(STEPS))))
    assert Counter((e.object_id, e.action) for e in entries) == {
        (str(row.id), action): 1 for row in rows for action in STEPS
    }


async def _submit_with(database: Database, kek: KeyEncryptionKey, procurement_id: int) -> None:
    firm = await bidder(database, 700)
    async with database.unit_of_work() as uow:
        await bids.submit(
            uow,
            acting(firm),
            firm,
            kek,
            procurement_id,
            amount("150000.00"),
            BEFORE,
            vocabulary=VOCABULARY,
            terms=TERMS,
        )
        await uow.commit()
