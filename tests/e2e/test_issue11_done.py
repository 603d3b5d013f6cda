"""Issue 11, "Done when", end to end on real PostgreSQL through the app's API: an owner drafts,
publishes and amends; three intermediaries bid — one replaces, one withdraws, one must
re-confirm after the amendment (and, in the variant, does not, so its bid does not count);
before the deadline the owner, a supervisor and an administrator get nothing about the bids
(every route and page, and a pg_dump searched for the quotes' digits); at the deadline the
lifecycle opens the bids and the opening list holds exactly the counting bids, with the
digests of their receipts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.bid_reading import READERS, about_bids, pg_dump, reachable_paths, read_everything
from tests.e2e.bid_world import (
    BidWorld,
    bid_settings,
    draft_json,
    leaks,
    populate,
    reconfirm,
    replace,
    run_lifecycle,
    submit,
    withdraw,
)
from web.app import create_app

REPLACED, REPLACEMENT, WITHDRAWN, RECONFIRMED = (
    Decimal("168357.42"),
    Decimal("152946.83"),
    Decimal("161738.29"),
    Decimal("147592.61"),
)


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()  # Monday 2026-11-02 09:00 in China
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=3)
        yield bid_world


def receipt_of(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


@pytest.mark.parametrize("reconfirmed", [True, False], ids=["reconfirmed", "not-reconfirmed"])
async def test_owner_publishes_and_amends_three_firms_bid_and_the_opening_holds_the_counting_bids(
    world: BidWorld, fresh_database: ClonedDatabase, reconfirmed: bool
) -> None:
    clock = world.clock
    first_deadline = clock.now() + timedelta(days=7)
    agent_a, agent_b, agent_c = (f.username for f in world.firms)

    # the owner drafts, then publishes
    draft = await world.ok("POST", "/api/procurements", "owner", json=draft_json(first_deadline))
    procurement_id = int(draft["id"])
    detail = await world.ok("GET", f"/api/procurements/{procurement_id}", "owner")
    assert detail["status"] == "draft"
    reserved = await world.ok("POST", f"/api/procurements/{procurement_id}/reference", "owner")
    body = draw_data.publish_json(reserved["reference"])
    published = await world.ok("POST", f"/api/procurements/{procurement_id}/publish", "owner", json=body)
    assert published["status"] == "published" and published["reference"].startswith("SGZJ-")

    # three firms bid while bidding is open
    clock.advance(hours=2)
    a = receipt_of(await submit(world, agent_a, procurement_id, REPLACED))
    b = receipt_of(await submit(world, agent_b, procurement_id, WITHDRAWN))
    c = receipt_of(await submit(world, agent_c, procurement_id, RECONFIRMED))
    assert a["counts"] and b["counts"] and c["counts"]

    # the owner lowers the ceiling: bidders rely on it, so the bids in must be re-confirmed
    clock.advance(days=1)
    amended_terms = draft_json(first_deadline, ceiling=Decimal("175000.00"))
    amendment = await world.ok(
        "POST",
        f"/api/procurements/{procurement_id}/amendments",
        "owner",
        json={"terms": amended_terms, "reason": "最高限价调整"},
    )
    deadline = _deadline_of(amendment)
    assert deadline >= first_deadline
    waiting = receipt_of(await world.call("GET", f"/api/bids/{c['bid_id']}", agent_c))
    assert waiting["counts"] is False  # to be re-confirmed

    clock.advance(hours=1)
    a = receipt_of(await replace(world, agent_a, a["bid_id"], REPLACEMENT))  # confirms the new terms
    assert a["version"] == 2 and a["counts"]
    withdrawn = receipt_of(await withdraw(world, agent_b, b["bid_id"]))
    assert withdrawn["withdrawn_at"] is not None and not withdrawn["counts"]
    if reconfirmed:
        c = receipt_of(await reconfirm(world, agent_c, c["bid_id"]))
        assert c["counts"]

    # before the deadline: nothing about the bids for the owner, a supervisor, an admin
    bid_ids = [a["bid_id"], b["bid_id"], c["bid_id"]]
    quotes = (REPLACED, REPLACEMENT, WITHDRAWN, RECONFIRMED)
    secrets = [*(f.name for f in world.firms), *(f.uscc for f in world.firms)]
    for reading in await read_everything(world, reachable_paths(world, procurement_id, bid_ids)):
        where = f"{reading.who} GET {reading.path}"
        assert leaks(reading.text, quotes, []) == [] and leaks(about_bids(reading), [], secrets) == [], where
    for who in READERS:
        early = await world.call("GET", f"/api/procurements/{procurement_id}/opening", who)
        assert early.status_code == 403, early.text
    assert leaks(pg_dump(fresh_database.url), quotes, []) == []

    # a bid after the deadline is refused
    clock.current = deadline
    late = await replace(world, agent_a, a["bid_id"], Decimal("151000.00"))
    assert late.status_code == 409 and "closed" in late.json()["detail"]

    # the lifecycle opens the bids at the deadline: exactly the counting bids, with their digests
    clock.advance(minutes=1)
    await run_lifecycle(world, clock.now())
    counting = {a["bid_id"]: a["digest"]}
    if reconfirmed:
        counting[c["bid_id"]] = c["digest"]
    for who in (*READERS, agent_a):
        opening = await world.ok("GET", f"/api/procurements/{procurement_id}/opening", who)
        listed = {int(e["bid_id"]): e for e in opening["entries"]}
        counted = {bid_id: e["digest"] for bid_id, e in listed.items() if e["counted"]}
        assert counted == counting, who
        assert Decimal(listed[a["bid_id"]]["quote_value"]) == REPLACEMENT
        assert listed[a["bid_id"]]["firm_name"] == world.firms[0].name
        assert b["bid_id"] not in listed  # withdrawn: not opened at all
        entry_c = listed[c["bid_id"]]
        assert entry_c["digest"] == c["digest"] and Decimal(entry_c["quote_value"]) == RECONFIRMED
        if not reconfirmed:  # opened, shown, and not counted, with the reason
            assert entry_c["reason"]["code"] == "not-reconfirmed"


def _deadline_of(amendment: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(amendment["bid_deadline"])
