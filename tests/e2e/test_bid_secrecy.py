"""Sealed means unreadable (issue 11): before the opening the owner, a supervisor and an
administrator learn nothing about the bids on a procurement — not a quote, not who bid, not
how many — through any route of the app, the log, the audit log or a dump of the database;
after the opening the quotes are theirs to read."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market.clock import FixedClock
from market.models import AuditEntry
from tests.conftest import ClonedDatabase
from tests.e2e.bid_reading import (
    READERS,
    CapturedLog,
    about_bids,
    dumped_tables,
    normalised,
    pg_dump,
    reachable_paths,
    read_everything,
)
from tests.e2e.bid_world import (
    BidWorld,
    bid_settings,
    leaks,
    populate,
    published_procurement,
    replace,
    run_lifecycle,
    submit,
    withdraw,
)
from web.app import create_app

FIRST, REPLACEMENT, SECOND, WITHDRAWN = (
    Decimal("173214.56"),
    Decimal("139457.28"),
    Decimal("158629.47"),
    Decimal("146083.91"),
)
QUOTES = (FIRST, REPLACEMENT, SECOND, WITHDRAWN)
SEALED_ACTOR = "投标人（开标前保密）"
BID_TABLES = ("bid", "bid_version", "bid_opening", "idempotency_record", "procurement_key")


@pytest.fixture
async def log() -> AsyncIterator[CapturedLog]:
    captured = CapturedLog()
    yield captured
    captured.detach()


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path, log: CapturedLog) -> AsyncIterator[BidWorld]:
    clock = FixedClock()
    settings = bid_settings(tmp_path, fresh_database.url)
    app = create_app(settings, clock=clock, background=False)
    log.attach()  # after create_app: Litestar's logging set-up replaces the root's handlers
    async with AsyncTestClient(app=app) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=3)
        yield bid_world


# views of the audit log: the test's own refused reads add to them between the two readings
AUDIT_DERIVED = (
    "/api/audit",
    "/checkpoints",
    "/api/supervision/alerts",
    "/supervision/alerts",
    "/api/supervision/history",
    "/supervision/history",
)


async def test_before_the_opening_nobody_but_the_bidders_learns_anything_about_the_bids(
    world: BidWorld, log: CapturedLog, fresh_database: ClonedDatabase
) -> None:
    deadline = world.clock.now() + timedelta(days=10)
    procurement = await published_procurement(world, deadline)
    procurement_id = int(procurement["id"])
    firms = world.firms
    secrets = [*(f.name for f in firms), *(f.uscc for f in firms), *(f"s.agent{i}" for i in range(3))]

    # what the owner, a supervisor and an administrator read before anyone bid
    paths = reachable_paths(world, procurement_id, [])
    before = {(r.who, r.path): r for r in await read_everything(world, paths)}
    dump_before = dumped_tables(pg_dump(fresh_database.url))
    log_start = len(log.text)

    answers = [
        await submit(world, firms[0].username, procurement_id, FIRST),
        await submit(world, firms[1].username, procurement_id, SECOND),
        await submit(world, firms[2].username, procurement_id, WITHDRAWN),
    ]
    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    bid_ids = [int(a.json()["bid_id"]) for a in answers]
    replaced = await replace(world, firms[0].username, bid_ids[0], REPLACEMENT)
    assert replaced.status_code in (200, 201), replaced.text
    withdrawn = await withdraw(world, firms[2].username, bid_ids[2])
    assert withdrawn.status_code in (200, 201), withdrawn.text
    bids_log = log.text[log_start:]

    # every route again: the same answers as before anyone bid (so no count), nothing leaked
    after = await read_everything(world, reachable_paths(world, procurement_id, bid_ids))
    for reading in after:
        where = f"{reading.who} GET {reading.path} ({reading.status})"
        assert leaks(reading.text, QUOTES, []) == [] and leaks(about_bids(reading), [], secrets) == [], where
        if reading.path.startswith(AUDIT_DERIVED):
            continue  # new entries since (the readers' own refusals): looked at below, entry by entry
        earlier = before.get((reading.who, reading.path))
        if earlier is None:  # a bid route: another firm's bid is no different from no bid
            unknown = next(r for r in after if r.who == reading.who and r.path == _unknown(reading.path))
            assert reading.status == unknown.status in (403, 404), where
            continue
        assert (reading.status, normalised(reading.text)) == (earlier.status, normalised(earlier.text)), where

    # the opening list: refused to each of them, and the attempt audited under their name
    for who in READERS:
        early = await world.call("GET", f"/api/procurements/{procurement_id}/opening", who)
        assert early.status_code == 403, early.text
        assert "sealed" in early.json()["detail"]
        assert leaks(early.text, QUOTES, secrets) == []
    async with world.database.sessions() as session:
        refused = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "bid:early_read_refused"))
        )
        bid_entries = list(await session.scalars(select(AuditEntry).where(AuditEntry.object_type == "bid")))
    # each reader asked three times: the two rounds of every route, and just now
    assert sorted(e.actor_label for e in refused) == sorted(["s.admin", "s.owner", "s.supervisor"] * 3)
    for entry in refused:
        assert entry.actor_id is not None and (entry.object_type, entry.object_id) == (
            "procurement",
            str(procurement_id),
        )
        assert set(entry.payload) == {"reference"}, entry.payload

    # the bids' own audit entries: no actor, no address, no procurement, firm or quote
    assert len(bid_entries) == 5
    for entry in bid_entries:
        assert (entry.actor_id, entry.actor_label, entry.client_address) == (None, SEALED_ACTOR, "")
        assert set(entry.payload) == {"version", "digest"}, entry.payload

    # the log: no quote, no bidder; the sealed routes' lines name neither user nor address
    assert leaks(bids_log, QUOTES, secrets) == []
    sealed_lines = [
        line
        for line in log.lines()
        if str(line.get("route") or line.get("path") or "").startswith("/api/bids")
    ]
    assert sealed_lines, "the bid requests were logged"
    for line in sealed_lines:
        assert line.get("user_id") is None and line.get("client") is None, line
    for line in log.lines():
        if line.get("event") == "audit" and line.get("object_type") == "bid":
            assert line["actor_id"] is None and line["client"] is None, line

    # a dump of the database: no quote anywhere; no bidder in the bid tables; the procurement's
    # row is the same as before the bids
    dump = pg_dump(fresh_database.url)
    assert leaks(dump, QUOTES, []) == []
    tables = dumped_tables(dump)
    for table in BID_TABLES:
        assert leaks(tables.get(table, ""), [], secrets) == [], table
    bid_audit = [line for line in tables["audit_entry"].splitlines() if "\tbid\t" in line]
    assert len(bid_audit) >= 5 and leaks("\n".join(bid_audit), [], secrets) == []
    assert tables["procurement"] == dump_before["procurement"]
    assert tables.get("bid_opening", "").count("\n") <= 1  # no opening yet: no rows

    # the deadline passes, the lifecycle opens the bids: now the owner reads the quotes
    world.clock.current = deadline + timedelta(minutes=1)
    await run_lifecycle(world, world.clock.now())
    for who in READERS:
        opening = await world.call("GET", f"/api/procurements/{procurement_id}/opening", who)
        assert opening.status_code == 200, opening.text
        listed = {e["bid_id"]: e for e in opening.json()["entries"]}
        assert set(listed) == {bid_ids[0], bid_ids[1]}  # the withdrawn bid is not opened
        assert (listed[bid_ids[0]]["quote_value"], listed[bid_ids[0]]["firm_name"]) == (
            f"{REPLACEMENT:.2f}",
            firms[0].name,
        )
        assert (listed[bid_ids[1]]["quote_value"], listed[bid_ids[1]]["uscc"]) == (
            f"{SECOND:.2f}",
            firms[1].uscc,
        )
        assert f"{WITHDRAWN:.2f}" not in opening.text and f"{FIRST:.2f}" not in opening.text


def _unknown(path: str) -> str:
    """The same bid route for a bid id nobody has."""
    return re.sub(r"/api/bids/\d+", "/api/bids/987654", path)
