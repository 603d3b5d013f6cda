"""Issue 12's small-works draw end to end through the app's API with an injected clock: the
owner publishes with its commitment; at the pool's freeze the platform fixes the contractor
pool; the owner and a supervisor reveal; a supervisor enters the lottery number; at the
selection time the record is made — re-computed by ``python -S -m selection.verify --frozen``
in a bare interpreter — and the drawn contractor is offered the works. It declines, the
alternate stays silent until its limit, the next confirms: selected. And a chain where nobody
confirms fails (流标). On the way, each refused answer names its problem."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from market.principal import Role
from market.procurement.draft_input import terms_json
from selection.ceremony import commitment
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.bid_world import BidWorld, _user, bid_settings, populate, run_lifecycle
from tests.e2e.test_draw_ceremony import _code, _verify
from tests.registry_data import admitted_firm, contractor
from tests.unit.procurement.conftest import works_draft
from tests.works_flow import NEXT_DAY, POOL_FREEZE, REVEAL_DEADLINE, SELECTION
from web.app import create_app

SUPERVISOR_SECRET = hashlib.sha256(b"works supervisor").hexdigest()
BUILDERS = ("韶关市曲江建安工程有限公司", "乐昌市坪石路桥建设有限公司", "南雄市珠玑市政工程有限公司")


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[BidWorld]:
    clock = FixedClock()  # Monday 2026-11-02 09:00 in China
    settings = bid_settings(tmp_path, fresh_database.url)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        bid_world = BidWorld(client, fresh_database.database, clock, tmp_path)
        await populate(bid_world, firms=0)
        for index, name in enumerate(BUILDERS):
            firm_id = await admitted_firm(
                bid_world.database, contractor(660 + index, name=name), now=clock.now() - timedelta(days=30)
            )
            await _user(bid_world.database, f"s.builder{index}", Role.CONTRACTOR, firm_id)
            await bid_world.sign_in(f"builder{index}", f"s.builder{index}")
        yield bid_world


async def _publish(world: BidWorld, **changes: Any) -> tuple[int, str]:
    terms = terms_json(works_draft(work_field="housing_municipal", **changes))
    draft = await world.ok("POST", "/api/procurements", "owner", json=terms)
    reserved = await world.ok("POST", f"/api/procurements/{draft['id']}/reference", "owner")
    body = draw_data.publish_json(reserved["reference"])
    published = await world.ok("POST", f"/api/procurements/{draft['id']}/publish", "owner", json=body)
    return int(published["id"]), str(published["reference"])


async def _drawn(world: BidWorld, procurement_id: int, reference: str) -> dict[str, Any]:
    """From the pool's freeze to the draw: the owner reveals, the supervisor withholds, the
    lottery number is entered. The ceremony after the draw."""
    path = f"/api/procurements/{procurement_id}"
    world.clock.current = POOL_FREEZE
    await run_lifecycle(world, POOL_FREEZE)
    world.clock.advance(minutes=30)
    secret = draw_data.OWNER_SECRETS[reference]
    await world.ok("POST", f"{path}/ceremony/reveals", "owner", json={"party": "owner", "secret": secret})
    world.clock.current = REVEAL_DEADLINE + timedelta(minutes=5)
    lottery = {"value": "508", "reference": draw_data.LOTTERY.reference}
    await world.ok("POST", f"{path}/ceremony/beacon", "supervisor", json=lottery)
    world.clock.current = SELECTION
    await run_lifecycle(world, SELECTION)
    return dict(await world.ok("GET", f"{path}/ceremony", "admin"))


async def _offers(world: BidWorld, who: str) -> list[dict[str, Any]]:
    return list((await world.ok("GET", "/api/offers", who))["items"])


async def _builder_of(world: BidWorld, offer_id: int) -> str:
    for index in range(len(BUILDERS)):
        if any(o["id"] == offer_id for o in await _offers(world, f"builder{index}")):
            return f"builder{index}"
    raise AssertionError(f"no builder holds offer {offer_id}")


async def _open_offer(world: BidWorld, procurement_id: int) -> tuple[dict[str, Any], str]:
    chain = (await world.ok("GET", f"/api/procurements/{procurement_id}/offers", "admin"))["items"]
    offer = chain[-1]
    assert offer["answer"] is None
    return offer, await _builder_of(world, offer["id"])


async def test_a_small_works_draw_passes_from_a_decline_and_a_lapse_to_a_confirmation(
    world: BidWorld,
) -> None:
    procurement_id, reference = await _publish(world, alternates=2)
    path = f"/api/procurements/{procurement_id}"
    page = await world.call("GET", f"/draw/{procurement_id}/commit", "supervisor")
    assert "可以提交监督承诺值，截止时间为候选企业冻结时间 2026-11-09 07:00" in page.text
    supervisor_commitment = commitment(reference, 1, "supervisor", SUPERVISOR_SECRET)
    await world.ok(
        "POST", f"{path}/ceremony/commitments", "supervisor", json={"commitment": supervisor_commitment}
    )

    ceremony = await _drawn(world, procurement_id, reference)
    assert ceremony["status"] == "confirming" and ceremony["withheld"] == ["supervisor"]
    record = (await world.client.get(f"{path}/record")).content  # public, anonymous
    assert hashlib.sha256(record).hexdigest() == ceremony["record"]["digest"]
    data = json.loads(record)
    assert sorted(data["inputs"]["candidates"]) == sorted(
        f["uscc"] for f in (await world.ok("GET", "/api/firms?kind=contractor", "admin"))["items"]
    )
    f = ceremony["freeze"]
    digests = f"configuration={f['configuration']},candidates={f['candidates']},bids={f['bids']}"
    matched = _verify(record, digests, world.home)
    assert matched.returncode == 0 and "MATCH" in matched.stdout, matched.stdout + matched.stderr
    order = data["winners"] + data["alternates"]

    first, drawn_builder = await _open_offer(world, procurement_id)
    assert (first["rank"], first["uscc"]) == (1, order[0])
    assert datetime.fromisoformat(first["due_at"]) == NEXT_DAY
    others = [f"builder{i}" for i in range(len(BUILDERS)) if f"builder{i}" != drawn_builder]
    for who in others:  # nobody learns of another firm's offer
        assert await _offers(world, who) == []
    confirm, decline = f"/api/offers/{first['id']}/confirm", f"/api/offers/{first['id']}/decline"
    stranger = await world.call("POST", confirm, others[0])
    assert stranger.status_code == 404, stranger.text
    assert (await world.call("POST", confirm, "owner")).status_code == 403
    empty = await world.call("POST", decline, drawn_builder, json={"reason": "  "})
    assert empty.status_code == 422 and empty.json()["field"] == "reason", empty.text
    declined = await world.ok(
        "POST", decline, drawn_builder, json={"reason": "项目部人员已满负荷，无法按期进场"}
    )
    assert declined["answer"] == "declined"
    twice = await world.call("POST", confirm, drawn_builder)
    assert twice.status_code == 409 and _code(twice) == "offer-closed", twice.text

    second, silent_builder = await _open_offer(world, procurement_id)
    assert (second["rank"], second["uscc"]) == (2, order[1])
    world.clock.current = datetime.fromisoformat(second["due_at"])
    late = await world.call("POST", f"/api/offers/{second['id']}/confirm", silent_builder)
    assert late.status_code == 409 and "lapsed at" in late.json()["detail"], late.text
    await run_lifecycle(world, world.clock.now())

    third, last_builder = await _open_offer(world, procurement_id)
    assert (third["rank"], third["uscc"]) == (3, order[2])
    await world.ok("POST", f"/api/offers/{third['id']}/confirm", last_builder)
    chain = (await world.client.get(f"{path}/offers")).json()["items"]  # public, anonymous
    assert [(o["rank"], o["answer"]) for o in chain] == [(1, "declined"), (2, "lapsed"), (3, "confirmed")]
    assert chain[0]["reason"] == "项目部人员已满负荷，无法按期进场"
    detail = await world.ok("GET", path, "admin")
    assert detail["status"] == "selected"
    page = (await world.client.get(f"/procurements/{procurement_id}")).text
    assert "抽取确认情况" in page and "项目部人员已满负荷" in page


async def test_a_chain_where_nobody_confirms_fails(world: BidWorld) -> None:
    procurement_id, reference = await _publish(world, alternates=1)
    await _drawn(world, procurement_id, reference)
    for _ in range(2):
        offer, _builder = await _open_offer(world, procurement_id)
        world.clock.current = datetime.fromisoformat(offer["due_at"])
        await run_lifecycle(world, world.clock.now())
    detail = await world.ok("GET", f"/api/procurements/{procurement_id}", "admin")
    assert detail["status"] == "failed"
    chain = (await world.ok("GET", f"/api/procurements/{procurement_id}/offers", "admin"))["items"]
    assert [o["answer"] for o in chain] == ["lapsed", "lapsed"]
