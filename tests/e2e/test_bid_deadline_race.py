"""Submissions racing the deadline (issue 11, "Numbers": bench/bids.py runs 500 of them over
real HTTP; this is the same property on 100, with the clock injected and no sleep): every
answer is a receipt timed before the deadline or a 409, nothing in between; the opening that
closes the bidding while submissions are still in flight lists exactly the accepted bids, by
their receipts' digests; the audit chain verifies afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market import audit
from market.clock import FixedClock
from market.models import Bid, BidVersion
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import BidWorld, bid_settings, populate, published_procurement, run_lifecycle, submit
from web.app import create_app

FIRMS = 100
CLIENTS = 20
FLIP_AFTER = 40  # answers in before the clock reaches the deadline


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=FIRMS, quick_sessions=True)
        yield bid_world


async def test_submissions_across_the_deadline_are_fully_in_before_it_or_refused(
    world: BidWorld,
) -> None:
    deadline = world.clock.now() + timedelta(days=7)
    procurement_id = int((await published_procurement(world, deadline))["id"])
    world.clock.current = deadline - timedelta(seconds=30)
    pending = list(enumerate(world.firms))
    answers: list[tuple[datetime, Any]] = []
    flipped = asyncio.Event()
    opening: asyncio.Task[bool] | None = None

    async def client() -> None:
        nonlocal opening
        while pending:
            serial, firm = pending.pop(0)
            sent_at = world.clock.now()
            amount = Decimal("100000.00") + Decimal(serial * 731) / 100
            answers.append((sent_at, await submit(world, firm.username, procurement_id, amount)))
            if len(answers) == FLIP_AFTER and not flipped.is_set():
                # the deadline comes while CLIENTS - 1 submissions are on their way; the
                # scheduler's job closes the bidding and opens the bids at once
                flipped.set()
                world.clock.current = deadline
                opening = asyncio.create_task(run_lifecycle(world, deadline))

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    assert opening is not None
    closed_in_flight = await opening
    # a submission holding the procurement FOR SHARE makes that tick skip it (SKIP LOCKED);
    # the scheduler's next tick closes and opens it then
    await run_lifecycle(world, deadline + timedelta(seconds=1))

    accepted = {}
    refused = 0
    for sent_at, answer in answers:
        if sent_at >= deadline:  # sent once the clock showed the deadline: refused, whatever else
            assert answer.status_code == 409, answer.text
        if answer.status_code == 201:
            receipt = answer.json()
            assert datetime.fromisoformat(receipt["submitted_at"]) < deadline, receipt
            accepted[int(receipt["bid_id"])] = receipt["digest"]
        else:
            assert answer.status_code == 409, answer.text
            assert "closed" in answer.json()["detail"]
            refused += 1
    print(f"accepted {len(accepted)}, refused {refused}, closed while bids in flight: {closed_in_flight}")
    assert len(accepted) + refused == FIRMS
    assert len(accepted) >= FLIP_AFTER and refused >= FIRMS - FLIP_AFTER - CLIENTS

    # nothing half-written: one bid row and one version per receipt, no more
    async with world.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Bid)) == len(accepted)
        assert await session.scalar(select(func.count()).select_from(BidVersion)) == len(accepted)

    listed = await world.ok("GET", f"/api/procurements/{procurement_id}/opening", "owner")
    assert {int(e["bid_id"]): e["digest"] for e in listed["entries"]} == accepted

    await audit.seal_pending(world.database)
    report = await audit.verify_chain(world.database)
    assert report.intact, report.problems
