"""Objections over HTTP (issue 13), with an injected clock and the real lifecycle: a bidder
objects with evidence during the publicity, the owner upholds it, and the draw runs again as
round 2 — the owner and a supervisor commit to it through the ceremony's API, the supervisor
enters the external beacon again after the new reveal deadline — into a second record that
``python -S -m selection.verify`` checks on its own; round 1's record stays downloadable with
its award marked voided. A second procurement's objection is dismissed and the award follows."""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market import lifecycle
from market.clock import FixedClock
from market.models import Award, Procurement
from selection.ceremony import commitment
from tests import draw_data
from tests.bid_data import TERMS
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import BidWorld, bid_settings, populate, published_procurement, submit
from tests.registry_data import VOCABULARY
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n%evidence\n" + b"0" * 300
# the second wins, the third is next; four, so that three remain for the minimum of respondents
QUOTES = (Decimal("152000.00"), Decimal("131500.00"), Decimal("148800.00"), Decimal("160000.00"))


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()  # Monday 2026-11-02 09:00 in China
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=4)
        yield bid_world


async def _advance(world: BidWorld, now: datetime) -> list[str]:
    world.clock.current = now
    done = await lifecycle.advance(world.database, world.kek, now, vocabulary=VOCABULARY, terms=TERMS)
    return [s.action for s in done.steps]


async def _row(world: BidWorld, procurement_id: int) -> Procurement:
    async with world.database.sessions() as session:
        found = await session.get(Procurement, procurement_id, populate_existing=True)
        assert found is not None
        return found


def _verify(record: bytes, freeze: dict[str, Any], home: Path) -> subprocess.CompletedProcess[str]:
    path = home / "record-2.json"
    path.write_bytes(record)
    frozen = (
        f"configuration={freeze['configuration']},candidates={freeze['candidates']},bids={freeze['bids']}"
    )
    return subprocess.run(
        [sys.executable, "-S", "-m", "selection.verify", "--frozen", frozen, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _selected(world: BidWorld) -> tuple[int, str]:
    """A published service procurement with three bids, drawn by the real lifecycle."""
    deadline = world.clock.now() + timedelta(days=7)
    published = await published_procurement(world, deadline)
    procurement_id, reference = int(published["id"]), str(published["reference"])
    path = f"/api/procurements/{procurement_id}"
    world.clock.advance(hours=2)
    for firm, amount in zip(world.firms, QUOTES, strict=True):
        assert (await submit(world, firm.username, procurement_id, amount)).status_code == 201
    assert "freeze" in await _advance(world, deadline)
    world.clock.advance(minutes=20)
    secret = draw_data.OWNER_SECRETS[reference]
    await world.ok("POST", f"{path}/ceremony/reveals", "owner", json={"party": "owner", "secret": secret})
    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    world.clock.current = datetime.fromisoformat(ceremony["reveal_deadline"]) + timedelta(minutes=5)
    lottery = draw_data.LOTTERY.reference
    await world.ok(
        "POST", f"{path}/ceremony/beacon", "supervisor", json={"value": "371", "reference": lottery}
    )
    assert await _advance(world, datetime.fromisoformat(ceremony["selection_time"])) == ["select"]
    return procurement_id, reference


def _form(grounds: str) -> dict[str, Any]:
    """Multipart without a file, as a browser sends a form whose file input was left empty."""
    return {"data": {"grounds": grounds}, "files": [("files", ("", b"", "application/octet-stream"))]}


def _evidence(grounds: str) -> dict[str, Any]:
    return {"data": {"grounds": grounds}, "files": [("files", ("证据材料.pdf", PDF, "application/pdf"))]}


async def test_an_upheld_objection_redraws_round_two_which_verifies_on_its_own(world: BidWorld) -> None:
    procurement_id, reference = await _selected(world)
    path = f"/api/procurements/{procurement_id}"
    objector, winner, third, _ = world.firms
    world.clock.advance(hours=1)

    anonymous = await world.client.post(f"{path}/objections", **_evidence("资质证书已过期"))
    assert anonymous.status_code == 401
    assert (await world.call("POST", f"{path}/objections", "owner", **_evidence("x"))).status_code == 403
    by_winner = await world.call("POST", f"{path}/objections", winner.username, **_evidence("自己"))
    assert by_winner.status_code == 403 and "own selection" in by_winner.json()["detail"]
    lodged = await world.ok(
        "POST", f"{path}/objections", objector.username, **_evidence("中选单位资质证书已过期")
    )
    assert lodged["status"] == "open" and lodged["against"] == winner.name
    [evidence] = lodged["files"]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()
    again = await world.call("POST", f"{path}/objections", objector.username, **_evidence("再次"))
    assert again.status_code == 409

    # the evidence: for the objector and the owner, not for another firm or the public
    file_url = evidence["download"]
    downloaded = await world.call("GET", file_url, "owner")
    assert downloaded.status_code == 200 and downloaded.content == PDF
    assert downloaded.headers["x-content-sha256"] == evidence["sha256"]
    assert (await world.call("GET", file_url, third.username)).status_code == 404
    assert (await world.client.get(file_url)).status_code == 404
    assert (await world.call("GET", f"/api/objections/{lodged['id']}", third.username)).status_code == 404

    objection = f"/api/objections/{lodged['id']}"
    by_firm = await world.call(
        "POST", f"{objection}/answer", third.username, json={"decision": "upheld", "answer": "x"}
    )
    assert by_firm.status_code == 403
    upheld = await world.ok(
        "POST", f"{objection}/answer", "owner", json={"decision": "upheld", "answer": "经核查，质疑成立。"}
    )
    assert (upheld["status"], upheld["outcome"]) == ("closed", "upheld")
    redrawing = await _row(world, procurement_id)
    assert redrawing.status.value == "redrawing" and redrawing.redraw_freeze_at is not None

    # round 2's ceremony: a fresh platform commitment now; the owner and a supervisor commit until the freeze
    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    assert ceremony["round"] == 2 and [c["party"] for c in ceremony["commitments"]] == ["platform"]
    owner_secret, supervisor_secret = secrets.token_hex(32), secrets.token_hex(32)
    commits = f"{path}/ceremony/commitments"
    await world.ok(
        "POST", commits, "owner", json={"commitment": commitment(reference, 2, "owner", owner_secret)}
    )
    await world.ok(
        "POST",
        commits,
        "supervisor",
        json={"commitment": commitment(reference, 2, "supervisor", supervisor_secret)},
    )
    twice = await world.call(
        "POST", commits, "owner", json={"commitment": commitment(reference, 2, "owner", "ab" * 32)}
    )
    assert twice.status_code == 409

    assert await _advance(world, redrawing.redraw_freeze_at) == ["freeze"]
    world.clock.advance(minutes=10)
    reveals = f"{path}/ceremony/reveals"
    await world.ok("POST", reveals, "owner", json={"party": "owner", "secret": owner_secret})
    await world.ok("POST", reveals, "supervisor", json={"party": "supervisor", "secret": supervisor_secret})
    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    world.clock.current = datetime.fromisoformat(ceremony["reveal_deadline"]) + timedelta(minutes=5)
    lottery = draw_data.LOTTERY.reference
    await world.ok(
        "POST", f"{path}/ceremony/beacon", "supervisor", json={"value": "582", "reference": lottery}
    )
    assert await _advance(world, datetime.fromisoformat(ceremony["selection_time"])) == ["select"]

    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    assert ceremony["round"] == 2 and ceremony["status"] == "selected"
    record = (await world.client.get(f"{path}/record")).content
    assert hashlib.sha256(record).hexdigest() == ceremony["record"]["digest"]
    data = json.loads(record)
    assert data["winners"] == [third.uscc] and winner.uscc not in data["inputs"]["candidates"]
    checked = _verify(record, ceremony["freeze"], world.home)
    assert checked.returncode == 0 and "MATCH" in checked.stdout, checked.stdout + checked.stderr

    first = json.loads((await world.client.get(f"{path}/record", params={"round": 1})).content)
    assert first["winners"] == [winner.uscc]  # round 1's record, as it was published
    async with world.database.sessions() as session:
        awards = list(
            await session.scalars(
                select(Award).where(Award.procurement_id == procurement_id).order_by(Award.id)
            )
        )
    assert [(a.round, a.uscc, a.ended_reason) for a in awards] == [
        (1, winner.uscc, "voided"),
        (2, third.uscc, None),
    ]


async def test_a_dismissed_objection_a_complaint_and_its_dismissal_lead_to_the_award(world: BidWorld) -> None:
    procurement_id, _ = await _selected(world)
    path = f"/api/procurements/{procurement_id}"
    objector = world.firms[2]
    world.clock.advance(hours=1)
    lodged = await world.ok("POST", f"{path}/objections", objector.username, **_form("报价异常"))
    objection = f"/api/objections/{lodged['id']}"
    world.clock.advance(hours=1)
    answered = await world.ok(
        "POST", f"{objection}/answer", "owner", json={"decision": "dismissed", "answer": "报价合理"}
    )
    assert answered["status"] == "answered" and answered["may_complain"] is True
    mine = await world.ok("GET", "/api/my/objections", objector.username)
    assert [o["id"] for o in mine["objections"]] == [lodged["id"]]
    world.clock.advance(hours=1)
    complained = await world.ok(
        "POST", f"{objection}/complaint", objector.username, **_form("答复未说明理由")
    )
    assert complained["status"] == "complaint"
    listed = await world.ok("GET", "/api/supervision/objections", "supervisor")
    assert [o["id"] for o in listed["objections"]] == [lodged["id"]]
    assert (await world.call("GET", "/api/supervision/objections", "owner")).status_code == 403
    world.clock.advance(hours=1)
    decided = await world.ok(
        "POST", f"{objection}/decision", "supervisor", json={"decision": "dismissed", "note": "投诉不成立"}
    )
    assert (decided["status"], decided["outcome"]) == ("closed", "dismissed")
    row = await _row(world, procurement_id)
    assert row.objections_open == 0 and row.publicity_ends_at is not None
    assert await _advance(world, row.publicity_ends_at) == ["award"]
    assert (await _row(world, procurement_id)).status.value == "awarded"
    late = await world.call("POST", f"{path}/objections", world.firms[0].username, **_form("迟到"))
    assert late.status_code == 409
