"""The review step of a scored procurement end to end, through the app's API with an
injected clock: the owner names two reviewers; three firms bid; after the opening one
reviewer scores and submits, the other only saves; at the review deadline the inputs freeze
with the submitted reviewer's totals as technical scores (the other left out, recorded);
at the selection time the record is made and re-computed by ``python -S -m selection.verify
--frozen`` on a bare interpreter. On the way every refused input is a 4xx with nothing
written. A review nobody submitted fails the procurement (流标, no_review)."""

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
from sqlalchemy import select

from market.clock import FixedClock
from market.models import AuditEntry, ReviewScore
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import BidWorld, bid_settings, populate, run_lifecycle, submit
from tests.e2e.review_world import REVIEW_AFTER, add_reviewers, full_sheet, published_scored
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
QUOTES = (Decimal("152000.00"), Decimal("131500.00"), Decimal("148800.00"))


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()  # Monday 2026-11-02 09:00 in China
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=3)
        yield bid_world


def _code(response: Any) -> str:
    return str(response.json()["type"]).rsplit("/", 1)[-1]


async def _score_rows(world: BidWorld) -> int:
    async with world.database.sessions() as session:
        return len(list(await session.scalars(select(ReviewScore))))


async def _audit(world: BidWorld, action: str) -> list[dict[str, Any]]:
    async with world.database.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [dict(r.payload) for r in rows]


async def _bid_and_open(world: BidWorld, procurement_id: int, deadline: datetime) -> None:
    world.clock.advance(hours=2)
    for firm, amount in zip(world.firms, QUOTES, strict=True):
        assert (await submit(world, firm.username, procurement_id, amount)).status_code == 201
    world.clock.current = deadline
    assert await run_lifecycle(world, deadline)


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


async def test_a_scored_procurement_is_reviewed_frozen_at_the_review_deadline_and_selected(
    world: BidWorld,
) -> None:
    clock = world.clock
    reviewers = await add_reviewers(world, "rev1", "rev2", "bystander")
    deadline = clock.now() + timedelta(days=7)
    review_deadline = deadline + REVIEW_AFTER
    published = await published_scored(world, deadline)
    procurement_id, reference = int(published["id"]), str(published["reference"])
    path = f"/api/procurements/{procurement_id}"
    assert datetime.fromisoformat(published["terms"]["review_deadline"]) == review_deadline

    # reviewers: the owner's own owner accounts, named by the owner, until the deadline
    supervisor_names = await world.call("PUT", f"{path}/reviewers", "supervisor", json={"user_ids": [1]})
    assert supervisor_names.status_code == 403
    stranger = await world.call(
        "PUT", f"{path}/reviewers", "owner", json={"user_ids": [world.firms[0].user_id]}
    )
    assert stranger.status_code == 422 and f"user {world.firms[0].user_id}" in stranger.json()["detail"]
    named = await world.ok(
        "PUT", f"{path}/reviewers", "owner", json={"user_ids": [reviewers["rev1"], reviewers["rev2"]]}
    )
    assert [r["user_id"] for r in named["reviewers"]] == sorted([reviewers["rev1"], reviewers["rev2"]])
    before_opening = await world.call("PUT", f"{path}/review/scores", "rev1", json={"scores": {}})
    assert before_opening.status_code == 409 and "not opened" in before_opening.json()["detail"]

    await _bid_and_open(world, procurement_id, deadline)
    late_naming = await world.call(
        "PUT", f"{path}/reviewers", "owner", json={"user_ids": [reviewers["rev1"]]}
    )
    assert late_naming.status_code == 409
    sheet = await world.ok("GET", f"{path}/review", "rev1")
    firms = [f["uscc"] for f in sheet["firms"]]
    assert sorted(firms) == sorted(f.uscc for f in world.firms) and sheet["open"] and sheet["scores"] == {}

    # refused inputs: each a 4xx naming the problem, nothing written
    clock.advance(hours=1)
    bad_sheets = {
        "out of range": {firms[0]: {"plan": "50.01"}},
        "unknown criterion": {firms[0]: {"price": "1"}},
        "unknown firm": {"91440200MA00000000": {"plan": "1"}},
        "three places": {firms[0]: {"team": "1.005"}},
    }
    for why, scores in bad_sheets.items():
        refused = await world.call("PUT", f"{path}/review/scores", "rev1", json={"scores": scores})
        assert refused.status_code == 422 and _code(refused) == "review-scores-invalid", (why, refused.text)
    refused = await world.call(
        "PUT", f"{path}/review/scores", "rev1", json={"scores": bad_sheets["out of range"]}
    )
    assert refused.json()["problems"][0]["field"] == f"scores.{firms[0]}.plan"
    not_named = await world.call("PUT", f"{path}/review/scores", "bystander", json={"scores": {}})
    assert not_named.status_code == 403 and "not a reviewer" in not_named.json()["detail"]
    assert (await world.call("GET", f"{path}/review", "bystander")).status_code == 403
    assert await _score_rows(world) == 0

    # rev1 saves part, cannot submit yet, completes and submits; then its scores are final
    partial = {firms[0]: {"plan": "40"}}
    await world.ok("PUT", f"{path}/review/scores", "rev1", json={"scores": partial})
    incomplete = await world.call("POST", f"{path}/review/submit", "rev1")
    assert incomplete.status_code == 409 and _code(incomplete) == "review-incomplete"
    first_sheet = full_sheet(firms, 45)
    saved = await world.ok("PUT", f"{path}/review/scores", "rev1", json={"scores": first_sheet})
    assert saved["totals"][firms[0]] == "75.50"
    await world.ok("POST", f"{path}/review/submit", "rev1")
    again = await world.call("POST", f"{path}/review/submit", "rev1")
    assert again.status_code == 409 and "submitted" in again.json()["detail"]
    after_submit = await world.call("PUT", f"{path}/review/scores", "rev1", json={"scores": partial})
    assert after_submit.status_code == 409

    # rev2 saves without submitting; nobody else sees either sheet before the freeze
    await world.ok("PUT", f"{path}/review/scores", "rev2", json={"scores": full_sheet(firms, 30)})
    own = await world.ok("GET", f"{path}/review", "rev2")
    assert own["scores"][firms[0]]["plan"] == "30.00" and own["submitted_at"] is None
    status = await world.ok("GET", f"{path}/reviewers", "owner")
    assert {r["user_id"]: r["submitted_at"] is not None for r in status["reviewers"]} == {
        reviewers["rev1"]: True,
        reviewers["rev2"]: False,
    }
    assert "scores" not in json.dumps(status)
    hidden = await world.ok("GET", f"{path}/review/scores", "owner")
    assert hidden["published"] is False and hidden["scores"] == []

    # at the review deadline: too late for rev2; the freeze takes rev1's totals only
    clock.current = review_deadline
    late = await world.call("PUT", f"{path}/review/scores", "rev2", json={"scores": full_sheet(firms, 31)})
    assert late.status_code == 409 and "review closed" in late.json()["detail"]
    kept = await world.ok("GET", f"{path}/review", "rev2")
    assert kept["scores"][firms[0]]["plan"] == "30.00" and not kept["open"]  # nothing written
    await run_lifecycle(world, review_deadline)
    closed = await _audit(world, "review:closed")
    assert len(closed) == 1 and closed[0]["cause"]["rule"] == "review_deadline"
    assert (closed[0]["counted"], closed[0]["left_out"]) == ([reviewers["rev1"]], [reviewers["rev2"]])
    frozen = await _audit(world, "procurement:frozen")
    assert len(frozen) == 1
    public = (await world.client.get(f"{path}/review/scores")).json()  # anonymous, after the freeze
    assert public["published"] and [r["user_id"] for r in public["left_out"]] == [reviewers["rev2"]]
    expected = {
        u: [f"{Decimal(c['plan']) + Decimal(c['team']) + Decimal(c['quality']):.2f}"]
        for u, c in first_sheet.items()
    }
    assert public["technical_scores"] == expected
    assert len(public["scores"]) == 9  # rev1's 3 firms x 3 criteria; rev2's unsubmitted sheet stays out

    # the ceremony: the owner reveals, a supervisor enters the beacon, the selection runs
    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    clock.advance(minutes=10)
    secret = draw_data.OWNER_SECRETS[reference]
    await world.ok("POST", f"{path}/ceremony/reveals", "owner", json={"party": "owner", "secret": secret})
    clock.current = datetime.fromisoformat(ceremony["reveal_deadline"]) + timedelta(minutes=5)
    beacon = {"value": "371", "reference": draw_data.LOTTERY.reference}
    await world.ok("POST", f"{path}/ceremony/beacon", "supervisor", json=beacon)
    selection_time = datetime.fromisoformat(published["terms"]["selection_time"])
    clock.current = selection_time
    await run_lifecycle(world, selection_time)

    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    assert ceremony["status"] == "selected"
    record = (await world.client.get(f"{path}/record")).content
    assert hashlib.sha256(record).hexdigest() == ceremony["record"]["digest"]
    data = json.loads(record)
    assert data["inputs"]["technical_scores"] == expected
    assert set(data["inputs"]["evaluation_scores"].values()) == {"60.00"}  # nobody evaluated yet
    f = ceremony["freeze"]
    digests = f"configuration={f['configuration']},candidates={f['candidates']},bids={f['bids']}"
    matched = _verify(record, digests, world.home)
    assert matched.returncode == 0 and "MATCH" in matched.stdout, matched.stdout + matched.stderr

    # a changed technical score after the freeze no longer matches the published digests
    data["inputs"]["technical_scores"][firms[0]] = ["100.00"]
    tampered = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert _verify(tampered, digests, world.home).returncode == 1


async def test_a_review_nobody_submitted_fails_the_procurement_at_the_review_deadline(
    world: BidWorld,
) -> None:
    reviewers = await add_reviewers(world, "rev1")
    deadline = world.clock.now() + timedelta(days=7)
    published = await published_scored(world, deadline)
    path = f"/api/procurements/{published['id']}"
    await world.ok("PUT", f"{path}/reviewers", "owner", json={"user_ids": [reviewers["rev1"]]})
    await _bid_and_open(world, int(published["id"]), deadline)
    await run_lifecycle(world, deadline + timedelta(hours=1))
    assert (await world.ok("GET", path, "owner"))["status"] == "opened"  # still reviewing

    review_deadline = deadline + REVIEW_AFTER
    world.clock.current = review_deadline
    await run_lifecycle(world, review_deadline)
    assert (await world.ok("GET", path, "owner"))["status"] == "failed"
    failed = await _audit(world, "procurement:failed")
    assert failed[-1]["failure"] == {"code": "no_review", "reviewers_named": 1}
    assert failed[-1]["cause"]["rule"] == "review_deadline"
