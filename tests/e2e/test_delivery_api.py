"""Delivery, acceptance and evaluation through the app's API with an injected clock (issue 13):
a service procurement under contract is delivered (multipart, hashes answered), returned,
delivered again, accepted and evaluated; the firm sees its evaluation and objects; a
supervisor upholds it and the credit comes back. On the way every bad input the issue
names answers a 4xx problem naming it, and nothing is written."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from market.db import Database
from market.principal import Role
from market.settings import AuthSettings, Settings
from tests.bid_data import _user, bidder, owner
from tests.conftest import ClonedDatabase
from tests.delivery_data import PDF, Contracted, bearer, contracted, later, score_of
from tests.registry_data import VOCABULARY
from web.app import create_app

PROBLEM = "application/problem+json"
GOOD = {"quality": 5, "timeliness": 5, "attitude": 4, "compliance": 5}  # mean 4.75 -> 5


@dataclass
class World:
    client: AsyncTestClient  # type: ignore[type-arg]
    clock: FixedClock
    c: Contracted
    headers: dict[str, dict[str, str]]
    database: Database

    async def call(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        return await self.client.request(method, path, headers=self.headers[who], **kwargs)

    async def refused(self, status: int, says: str, method: str, path: str, who: str, **kwargs: Any) -> None:
        answer = await self.call(method, path, who, **kwargs)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert says in answer.json()["detail"], answer.json()["detail"]


@pytest.fixture
async def world(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[World]:
    database = fresh_database.database
    c = await contracted(database)
    other_firm = await bidder(database, 960)
    stranger = await owner(database, "韶关市水务局")
    centre = await owner(database, "韶关市公共资源交易中心")
    supervisor = await _user(database, centre.organisation_id or 0, Role.SUPERVISOR)
    own_supervisor = await _user(database, c.buyer.organisation_id or 0, Role.SUPERVISOR)
    who = {
        "owner": c.buyer, "firm": c.firm, "other_firm": other_firm, "other_owner": stranger,
        "supervisor": supervisor, "own_supervisor": own_supervisor,
    }  # fmt: skip
    headers = {name: await bearer(database, p) for name, p in who.items()}
    clock = FixedClock(later(1).astimezone(UTC))
    settings = Settings(home=tmp_path, database_url=fresh_database.url, auth=AuthSettings())
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        yield World(client, clock, c, headers, database)


def _pdf(name: str = "咨询报告.pdf", content: bytes = PDF, media: str = "application/pdf") -> Any:
    return ("files", (name, content, media))


async def test_delivery_to_evaluation_and_an_upheld_objection_through_the_api(world: World) -> None:
    c, pid = world.c, world.c.procurement_id
    deliveries = f"/api/procurements/{pid}/deliveries"
    # bad deliveries: nothing written
    await world.refused(403, "awarded firm", "POST", deliveries, "other_firm", files=[_pdf()])
    await world.refused(
        422,
        "at least one",
        "POST",
        deliveries,
        "firm",
        data={"note": "见附件"},
        files=[("files", ("", b"", ""))],
    )
    await world.refused(
        422, "attachments are", "POST", deliveries, "firm", files=[_pdf("tool.exe", b"MZ\x90")]
    )
    await world.refused(422, "is not a PDF", "POST", deliveries, "firm", files=[_pdf(content=b"GIF89a")])
    assert (await world.call("GET", deliveries, "owner")).json() == {"items": []}
    # the other owner is refused by role, the public learns nothing of the deliveries
    assert (await world.call("GET", deliveries, "other_owner")).status_code == 404

    answer = await world.call(
        "POST", deliveries, "firm", files=[_pdf(), _pdf("附图.pdf")], data={"note": "初稿"}
    )
    assert answer.status_code == 201, answer.text
    first = answer.json()
    assert [f["sha256"] for f in first["files"]] == [hashlib.sha256(PDF).hexdigest()] * 2
    assert first["due_at"].startswith("2026-12-31T15:59:59") and first["decision"] is None

    await world.refused(
        403, "owner's organisation", "POST", f"/api/deliveries/{first['id']}/accept", "other_owner"
    )
    await world.refused(403, "needs the role owner", "POST", f"/api/deliveries/{first['id']}/accept", "firm")
    await world.refused(
        422,
        "reasons for returning",
        "POST",
        f"/api/deliveries/{first['id']}/return",
        "owner",
        json={"reason": " "},
    )
    returned = await world.call(
        "POST", f"/api/deliveries/{first['id']}/return", "owner", json={"reason": "缺少附图说明"}
    )
    assert returned.status_code == 200 and returned.json()["decision"] == "returned"
    await world.refused(409, "already returned", "POST", f"/api/deliveries/{first['id']}/accept", "owner")
    evaluation = f"/api/procurements/{pid}/evaluation"
    await world.refused(409, "after the owner accepted", "POST", evaluation, "owner", json={"scores": GOOD})

    world.clock.advance(days=2)
    second = (await world.call("POST", deliveries, "firm", files=[_pdf("终稿.pdf")])).json()
    assert second["sequence"] == 2
    assert (await world.call("POST", f"/api/deliveries/{second['id']}/accept", "owner")).status_code == 200
    await world.refused(409, "already accepted", "POST", f"/api/deliveries/{second['id']}/accept", "owner")

    # bad evaluations: nothing written
    await world.refused(
        422, "is scored 1 to 5, not 6", "POST", evaluation, "owner", json={"scores": {**GOOD, "quality": 6}}
    )
    await world.refused(422, "is missing", "POST", evaluation, "owner", json={"scores": {"quality": 5}})
    await world.refused(403, "owner's organisation", "POST", evaluation, "other_owner", json={"scores": GOOD})
    database = world.database
    before = await score_of(database, c.firm_id)
    made = await world.call("POST", evaluation, "owner", json={"scores": GOOD, "comment": "按期交付，质量好"})
    assert made.status_code == 201, made.text
    assessed = made.json()
    assert (assessed["rating"], assessed["on_time"], assessed["annulled"]) == (5, True, False)
    policy = VOCABULARY.credit
    assert await score_of(database, c.firm_id) == before + policy.evaluation[5] + policy.on_time
    await world.refused(409, "evaluated already", "POST", evaluation, "owner", json={"scores": GOOD})

    mine = (await world.call("GET", "/api/my/evaluations", "firm")).json()["items"]
    assert [e["id"] for e in mine] == [assessed["id"]] and mine[0]["scores"] == GOOD
    assert (await world.call("GET", "/api/my/evaluations", "other_firm")).json() == {"items": []}
    objection = f"/api/evaluations/{assessed['id']}/objection"
    await world.refused(404, "of your firm", "POST", objection, "other_firm", json={"grounds": "不服"})
    await world.refused(422, "grounds of the objection", "POST", objection, "firm", json={"grounds": ""})
    assert (
        await world.call("POST", objection, "firm", json={"grounds": "时效评分与合同约定不符"})
    ).status_code == 200
    await world.refused(409, "once", "POST", objection, "firm", json={"grounds": "再次异议"})

    listed = (await world.call("GET", "/api/supervision/evaluations", "supervisor")).json()["items"]
    assert [e["id"] for e in listed] == [assessed["id"]]
    decision = f"/api/evaluations/{assessed['id']}/decision"
    await world.refused(
        403, "outside the organisation", "POST", decision, "own_supervisor", json={"decision": "upheld"}
    )
    await world.refused(
        422, "upheld or dismissed", "POST", decision, "supervisor", json={"decision": "partly"}
    )
    decided = await world.call(
        "POST", decision, "supervisor", json={"decision": "upheld", "note": "评分依据不足"}
    )
    assert decided.status_code == 200 and decided.json()["annulled"] is True
    assert await score_of(database, c.firm_id) == before
    await world.refused(
        409, "already decided", "POST", decision, "supervisor", json={"decision": "dismissed", "note": "x"}
    )


async def test_a_late_objection_and_an_oversized_upload_are_refused(world: World) -> None:
    pid = world.c.procurement_id
    big = PDF + b"0" * (20 * 1024 * 1024)
    await world.refused(
        422,
        "a file is at most",
        "POST",
        f"/api/procurements/{pid}/deliveries",
        "firm",
        files=[_pdf(content=big)],
    )
    made = (await world.call("POST", f"/api/procurements/{pid}/deliveries", "firm", files=[_pdf()])).json()
    await world.call("POST", f"/api/deliveries/{made['id']}/accept", "owner")
    assessed = (
        await world.call("POST", f"/api/procurements/{pid}/evaluation", "owner", json={"scores": GOOD})
    ).json()
    world.clock.current = world.clock.current + timedelta(days=30)
    await world.refused(
        409,
        "ended on",
        "POST",
        f"/api/evaluations/{assessed['id']}/objection",
        "firm",
        json={"grounds": "评分有误"},
    )
