"""Issue 12's draw end to end through the app's API with an injected clock: the owner publishes
with its commitment, a supervisor commits, three firms bid; at the deadline the bids open and
the inputs freeze; the owner reveals in the window while the supervisor withholds; a
supervisor enters the lottery number; at the selection time the record is made, downloaded
over HTTP and re-computed by ``python -S -m selection.verify --frozen`` in a bare interpreter.
On the way, the four attacks of the issue are refused."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from market.draw import steps
from market.models import Procurement
from selection.ceremony import commitment
from tests import draw_data
from tests.bid_data import TERMS
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import BidWorld, bid_settings, populate, published_procurement, run_lifecycle, submit
from tests.registry_data import VOCABULARY
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
SUPERVISOR_SECRET = hashlib.sha256(b"supervisor").hexdigest()


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()  # Monday 2026-11-02 09:00 in China
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=3)
        yield bid_world


async def _step(world: BidWorld, procurement_id: int, step: str, now: datetime) -> None:
    """What the lifecycle does at ``now`` (market.lifecycle calls the same step)."""
    async with world.database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, procurement_id)
        assert row is not None
        act = steps.freeze if step == "freeze" else steps.select
        await act(uow, world.kek, row, now, vocabulary=VOCABULARY, terms=TERMS)
        await uow.commit()


def _code(response: Any) -> str:
    """The problem's code (RFC 9457 ``type`` /problems/<code>)."""
    return str(response.json()["type"]).rsplit("/", 1)[-1]


def _verify(record: bytes, frozen: str, home: Path) -> subprocess.CompletedProcess[str]:
    path = home / "record.json"
    path.write_bytes(record)
    return subprocess.run(
        [sys.executable, "-S", "-m", "selection.verify", "--frozen", frozen, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_service_procurement_from_commitment_to_a_record_anyone_recomputes(world: BidWorld) -> None:
    clock = world.clock
    deadline = clock.now() + timedelta(days=7)
    published = await published_procurement(world, deadline)
    procurement_id, reference = int(published["id"]), str(published["reference"])
    path = f"/api/procurements/{procurement_id}"
    owner_secret = draw_data.OWNER_SECRETS[reference]
    owner_commitment = commitment(reference, 1, "owner", owner_secret)

    ceremony = await world.ok("GET", f"{path}/ceremony", "admin")
    assert {c["party"] for c in ceremony["commitments"]} == {"platform", "owner"}
    assert ceremony["beacon"]["form"] == "digits:3" and ceremony["freeze"] is None

    # attack 4: a commitment seen before is refused; a fresh one bound to this procurement is taken
    reused = await world.call(
        "POST", f"{path}/ceremony/commitments", "supervisor", json={"commitment": owner_commitment}
    )
    assert reused.status_code == 409 and _code(reused) == "commitment-reused", reused.text
    supervisor_commitment = commitment(reference, 1, "supervisor", SUPERVISOR_SECRET)
    await world.ok(
        "POST", f"{path}/ceremony/commitments", "supervisor", json={"commitment": supervisor_commitment}
    )

    clock.advance(hours=2)
    quotes = (Decimal("152000.00"), Decimal("131500.00"), Decimal("148800.00"))
    for firm, amount in zip(world.firms, quotes, strict=True):
        assert (await submit(world, firm.username, procurement_id, amount)).status_code == 201

    # at the deadline: opening, then the freeze; no secret can be revealed before it
    clock.current = deadline
    early = await world.call(
        "POST", f"{path}/ceremony/reveals", "owner", json={"party": "owner", "secret": owner_secret}
    )
    assert early.status_code == 409 and _code(early) == "reveal-refused"
    assert await run_lifecycle(world, deadline)
    await _step(world, procurement_id, "freeze", deadline)
    frozen = (await world.ok("GET", f"{path}/ceremony", "owner"))["freeze"]
    assert frozen is not None and frozen["audit_entry"].startswith("audit:")

    # the reveal window: a wrong secret, then the right one, then once more
    clock.advance(minutes=20)
    reveal = f"{path}/ceremony/reveals"
    wrong = await world.call("POST", reveal, "owner", json={"party": "owner", "secret": SUPERVISOR_SECRET})
    assert wrong.status_code == 422 and _code(wrong) == "reveal-mismatch", wrong.text
    await world.ok("POST", reveal, "owner", json={"party": "owner", "secret": owner_secret})
    again = await world.call("POST", reveal, "owner", json={"party": "owner", "secret": owner_secret})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    during = await world.ok("GET", f"{path}/ceremony", "supervisor")
    assert all(r["secret"] is None for r in during["reveals"]) and not during["window_closed"]

    # attack 3: the supervisor withholds; after the window a late reveal is refused, the draw goes on
    clock.current = datetime.fromisoformat(during["reveal_deadline"]) + timedelta(minutes=5)
    late = await world.call(
        "POST", reveal, "supervisor", json={"party": "supervisor", "secret": SUPERVISOR_SECRET}
    )
    assert late.status_code == 409 and "closed" in late.json()["detail"]

    # attack 2: the beacon has exactly one accepted spelling
    lottery = draw_data.LOTTERY.reference
    for spelling in ("3 7 1", "3,7,1", "0371"):
        refused = await world.call(
            "POST", f"{path}/ceremony/beacon", "supervisor", json={"value": spelling, "reference": lottery}
        )
        assert refused.status_code == 422 and _code(refused) == "beacon-form-mismatch", refused.text
    await world.ok(
        "POST", f"{path}/ceremony/beacon", "supervisor", json={"value": "371", "reference": lottery}
    )

    selection_time = datetime.fromisoformat(published["terms"]["selection_time"])
    assert (await world.call("GET", f"{path}/record", "owner")).status_code == 404  # not yet
    clock.current = selection_time
    await _step(world, procurement_id, "select", selection_time)
    await _step(world, procurement_id, "select", selection_time)  # again: nothing more

    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    assert ceremony["status"] == "selected" and ceremony["withheld"] == ["supervisor"]
    downloaded = await world.client.get(f"{path}/record")  # public, anonymous
    assert downloaded.status_code == 200
    record = downloaded.content
    assert hashlib.sha256(record).hexdigest() == ceremony["record"]["digest"]
    data = json.loads(record)
    cheapest = min(data["inputs"]["quotes"].items(), key=lambda item: Decimal(item[1]))[0]
    assert data["winners"] == [cheapest] and data["seed"]["reveals_counted"] == ["platform", "owner"]

    f = ceremony["freeze"]
    published_digests = f"configuration={f['configuration']},candidates={f['candidates']},bids={f['bids']}"
    assert ceremony["record"]["verify_command"].startswith(
        f"python -S -m selection.verify --frozen {published_digests}"
    )
    matched = _verify(record, published_digests, world.home)
    assert matched.returncode == 0 and "MATCH" in matched.stdout, matched.stdout + matched.stderr

    # attack 1: inputs changed after the reveals give a self-consistent record, refused against
    # the digests published at the freeze
    data["inputs"]["quotes"][cheapest] = "99999.00"
    tampered = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    refused_record = _verify(tampered, published_digests, world.home)
    assert refused_record.returncode == 1 and "MATCH" not in refused_record.stdout.split()
