"""流标 and after, end to end through the API with an injected clock: a service procurement
fails for too few bids, is re-published as its second attempt, gets its bids and is selected;
and a chain that fails twice goes to direct selection — refused before the second failure,
asked for, rejected with a note, asked again and approved — whose record a bare interpreter
re-computes with ``python -S -m selection.verify``."""

from __future__ import annotations

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

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.models import AuditEntry, DirectRequest, Firm, FirmStatus, Procurement, Role
from market.settings import AuthSettings
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import (
    PASSWORD,
    BidWorld,
    bid_settings,
    populate,
    published_procurement,
    run_lifecycle,
    submit,
)
from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


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


async def _fails_with_one_bid(world: BidWorld, procurement: dict[str, Any]) -> None:
    """One bid where a winner and an alternate are asked for: 流标 at the deadline."""
    procurement_id = int(procurement["id"])
    assert (
        await submit(world, world.firms[0].username, procurement_id, Decimal("150000.00"))
    ).status_code == 201
    world.clock.current = datetime.fromisoformat(procurement["terms"]["bid_deadline"])
    await run_lifecycle(world, world.clock.now())
    failed = await world.ok("GET", f"/api/procurements/{procurement_id}", "owner")
    assert failed["status"] == "failed", failed["status"]


async def _publish_next(world: BidWorld, failed_id: int) -> dict[str, Any]:
    """Re-publish as the next attempt and publish the new draft with a fresh commitment."""
    draft = await world.ok("POST", f"/api/procurements/{failed_id}/republish", "owner")
    assert draft["status"] == "draft" and draft["reference"]
    body = draw_data.publish_json(draft["reference"])
    return dict(await world.ok("POST", f"/api/procurements/{draft['id']}/publish", "owner", json=body))


async def _audited(world: BidWorld, action: str, object_id: int) -> list[dict[str, Any]]:
    async with world.database.sessions() as session:
        entries = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == str(object_id))
        )
        return [dict(e.payload) for e in entries]


async def test_a_failed_procurement_is_re_published_as_its_second_attempt_and_selected(
    world: BidWorld,
) -> None:
    clock = world.clock
    first = await published_procurement(world, clock.now() + timedelta(days=7))
    first_id = int(first["id"])

    # not failed yet: nothing to re-publish
    early = await world.call("POST", f"/api/procurements/{first_id}/republish", "owner")
    assert early.status_code == 409 and "only a failed procurement" in early.json()["detail"]

    await _fails_with_one_bid(world, first)
    clock.advance(hours=1)
    # only the owner's organisation makes the next attempt
    for who in ("supervisor", world.firms[1].username):
        refused = await world.call("POST", f"/api/procurements/{first_id}/republish", who)
        assert refused.status_code == 403, (who, refused.text)

    draft = await world.ok("POST", f"/api/procurements/{first_id}/republish", "owner")
    assert draft["attempt"] == 2 and draft["reference"] != first["reference"]
    assert [a["id"] for a in draft["earlier_attempts"]] == [first_id]
    # the dates moved forward: the deadline at least three working days after now, and valid
    deadline = datetime.fromisoformat(draft["terms"]["bid_deadline"])
    assert deadline >= clock.now() + timedelta(days=3)
    assert await _audited(world, "procurement:republished", first_id) == [
        {"reference": first["reference"], "successor_id": draft["id"], "attempt": 2}
    ]

    again = await world.call("POST", f"/api/procurements/{first_id}/republish", "owner")
    assert again.status_code == 409 and draft["reference"] in again.json()["detail"], again.text
    before = await world.ok("GET", f"/api/procurements/{first_id}", "owner")
    assert before["next_attempt"]["id"] == draft["id"]
    # a draft successor is its owner's: the public sees the failed procurement without it
    public = await world.client.get(f"/api/procurements/{first_id}")
    assert public.status_code == 200 and public.json()["next_attempt"] is None

    second = await world.ok(
        "POST",
        f"/api/procurements/{draft['id']}/publish",
        "owner",
        json=draw_data.publish_json(draft["reference"]),
    )
    second_id, reference = int(second["id"]), str(second["reference"])
    clock.advance(hours=1)
    for firm, amount in zip(world.firms, ("152000.00", "131500.00", "148800.00"), strict=True):
        assert (await submit(world, firm.username, second_id, Decimal(amount))).status_code == 201

    clock.current = deadline
    await run_lifecycle(world, deadline)
    path = f"/api/procurements/{second_id}"
    clock.advance(minutes=20)
    await world.ok(
        "POST",
        f"{path}/ceremony/reveals",
        "owner",
        json={"party": "owner", "secret": draw_data.OWNER_SECRETS[reference]},
    )
    ceremony = await world.ok("GET", f"{path}/ceremony", "owner")
    clock.current = datetime.fromisoformat(ceremony["reveal_deadline"]) + timedelta(minutes=5)
    await world.ok(
        "POST",
        f"{path}/ceremony/beacon",
        "supervisor",
        json={"value": "371", "reference": draw_data.LOTTERY.reference},
    )
    clock.current = datetime.fromisoformat(second["terms"]["selection_time"])
    await run_lifecycle(world, clock.now())

    selected = await world.ok("GET", path, "owner")
    assert selected["status"] == "selected" and selected["attempt"] == 2
    assert [a["reference"] for a in selected["earlier_attempts"]] == [first["reference"]]
    after = (await world.client.get(f"/api/procurements/{first_id}")).json()
    assert after["next_attempt"]["id"] == second_id and after["next_attempt"]["status"] == "selected"


async def _suspend(world: BidWorld, firm_id: int, *, suspended: bool) -> None:
    async with world.database.unit_of_work() as uow:
        firm = await uow.session.get(Firm, firm_id)
        assert firm is not None
        firm.status = FirmStatus.SUSPENDED if suspended else FirmStatus.ADMITTED
        firm.suspended_until = None
        firm.status_reason = "资质核查中" if suspended else ""
        await uow.commit()


def _verify(record: bytes, home: Path) -> subprocess.CompletedProcess[str]:
    path = home / "direct-record.json"
    path.write_bytes(record)
    return subprocess.run(
        [sys.executable, "-S", "-m", "selection.verify", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_after_two_failed_attempts_a_supervisor_approves_direct_selection(world: BidWorld) -> None:
    clock = world.clock
    first = await published_procurement(world, clock.now() + timedelta(days=7))
    first_id = int(first["id"])
    await _fails_with_one_bid(world, first)
    chosen = world.firms[1]
    asked = {"uscc": chosen.uscc, "reason": "两次流标，该企业熟悉本项目前期资料"}

    # one failed attempt is not enough: 409 naming the number needed and the count
    early = await world.call("POST", f"/api/procurements/{first_id}/direct-requests", "owner", json=asked)
    assert early.status_code == 409, early.text
    assert "after 2 failed attempts" in early.json()["detail"] and "has 1" in early.json()["detail"]

    clock.advance(hours=1)
    second = await _publish_next(world, first_id)
    second_id = int(second["id"])
    await _fails_with_one_bid(world, second)
    clock.advance(hours=1)
    requests = f"/api/procurements/{second_id}/direct-requests"

    # bad requests, each with nothing written
    not_a_firm = await world.call("POST", requests, "owner", json={**asked, "uscc": "91440200MA4UQXYZ1X"})
    assert not_a_firm.status_code == 422, not_a_firm.text
    empty = await world.call("POST", requests, "owner", json={**asked, "reason": "   "})
    assert empty.status_code == 422 and "reason" in empty.text
    too_long = await world.call("POST", requests, "owner", json={**asked, "reason": "理" * 501})
    assert too_long.status_code in (400, 422)
    by_supervisor = await world.call("POST", requests, "supervisor", json=asked)
    assert by_supervisor.status_code == 403
    async with world.database.sessions() as session:
        assert (await session.scalars(select(DirectRequest))).all() == []

    made = await world.ok("POST", requests, "owner", json=asked)
    assert made["decision"] is None and made["uscc"] == chosen.uscc
    waiting = await world.call("POST", requests, "owner", json=asked)
    assert waiting.status_code == 409 and "waiting" in waiting.json()["detail"]
    pending = await world.ok("GET", "/api/direct-requests?status=pending", "supervisor")
    assert [r["id"] for r in pending["items"]] == [made["id"]]
    assert (await world.call("GET", "/api/direct-requests", chosen.username)).status_code == 403

    # the owner cannot decide its own request, not even an account of its organisation that
    # is a supervisor too; a rejection needs a note
    decide = f"/api/direct-requests/{made['id']}"
    assert (await world.call("POST", f"{decide}/approve", "owner", json={})).status_code == 403
    async with world.database.unit_of_work() as uow:
        await accounts.create_user(
            uow, Actor.system("test"), username="s.both", display_name="s.both", password=PASSWORD,
            roles=[Role.OWNER, Role.SUPERVISOR], organisation_id=world.owner_org, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
    await world.sign_in("both", "s.both")
    own = await world.call("POST", f"{decide}/approve", "both", json={})
    assert own.status_code == 403 and "outside the organisation" in own.json()["detail"]
    bare = await world.call("POST", f"{decide}/reject", "supervisor", json={"note": " "})
    assert bare.status_code == 422 and "note" in bare.text
    rejected = await world.ok(
        "POST", f"{decide}/reject", "supervisor", json={"note": "理由不充分，请说明该企业的专业优势"}
    )
    assert rejected["decision"] == "rejected" and rejected["successor_id"] is None
    twice = await world.call("POST", f"{decide}/approve", "supervisor", json={})
    assert twice.status_code == 409 and "already rejected" in twice.json()["detail"]
    mine = await world.ok("GET", "/api/direct-requests?status=all", "owner")
    assert mine["items"][0]["decision_note"].startswith("理由不充分")

    # asked again, approved: the next attempt is selected at once with its record
    clock.advance(hours=2)
    again = await world.ok(
        "POST", requests, "owner", json={**asked, "reason": "两次流标；该企业具备甲级资质且熟悉前期资料"}
    )
    # eligible when asked is not enough: a firm suspended since is not approved, nothing written
    await _suspend(world, chosen.firm_id, suspended=True)
    stale = await world.call("POST", f"/api/direct-requests/{again['id']}/approve", "supervisor", json={})
    assert stale.status_code == 409 and "suspended" in stale.json()["reasons"], stale.text
    pending = await world.ok("GET", "/api/direct-requests?status=pending", "supervisor")
    assert [r["id"] for r in pending["items"]] == [again["id"]]
    async with world.database.sessions() as session:
        assert await session.scalar(select(Procurement).where(Procurement.previous_id == second_id)) is None
    await _suspend(world, chosen.firm_id, suspended=False)
    approved = await world.ok(
        "POST", f"/api/direct-requests/{again['id']}/approve", "supervisor", json={"note": "同意"}
    )
    successor_id = approved["successor_id"]
    assert approved["decision"] == "approved" and successor_id
    once_more = await world.call("POST", f"/api/direct-requests/{again['id']}/approve", "supervisor", json={})
    assert once_more.status_code == 409

    third = (await world.client.get(f"/api/procurements/{successor_id}")).json()  # public
    assert third["status"] == "selected" and third["attempt"] == 3
    assert third["terms"]["method"] == "direct"
    assert [a["id"] for a in third["earlier_attempts"]] == [first_id, second_id]
    assert (
        third["direct_decision"]["reason"].startswith("两次流标；")
        and third["direct_decision"]["note"] == "同意"
    )
    assert (await world.ok("GET", f"/api/procurements/{second_id}", "owner"))["next_attempt"][
        "id"
    ] == successor_id
    # and the failed attempt has its successor: neither re-publication nor another request
    taken = await world.call("POST", f"/api/procurements/{second_id}/republish", "owner")
    assert taken.status_code == 409 and third["reference"] in taken.json()["detail"]

    downloaded = await world.client.get(f"/api/procurements/{successor_id}/record")
    assert downloaded.status_code == 200
    record = json.loads(downloaded.content)
    assert record["method"] == "direct" and record["winners"] == [chosen.uscc]
    assert record["procurement_ref"] == third["reference"]
    matched = _verify(downloaded.content, world.home)
    assert matched.returncode == 0 and "MATCH" in matched.stdout, matched.stdout + matched.stderr

    selected = await _audited(world, "procurement:selected", successor_id)
    assert selected[0]["method"] == "direct" and selected[0]["previous_id"] == second_id
    assert (await _audited(world, "direct_request:approved", second_id))[0]["successor_id"] == successor_id
    async with world.database.sessions() as session:
        row = await session.get(Procurement, successor_id)
        assert row is not None and row.previous_id == second_id
        assert row.next_check == row.publicity_ends_at is not None  # its result is published too
