"""The published checkpoints over HTTP: anyone lists them and checks that the chain still
contains one; a malformed or excessive request is a 4xx naming the problem."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from market import audit, audit_checkpoints
from market.audit import Actor
from tests.conftest import ClonedDatabase


async def _entries(fresh_database: ClonedDatabase, *actions: str) -> None:
    async with fresh_database.database.unit_of_work() as uow:
        for i, action in enumerate(actions):
            await audit.record(uow, Actor.system("测试"), action, "procurement", str(i + 1), {"n": i})
        await uow.commit()
    await audit.seal_pending(fresh_database.database)


async def test_anyone_lists_and_checks_a_published_checkpoint(
    client: AsyncTestClient,  # type: ignore[type-arg]
    fresh_database: ClonedDatabase,
) -> None:
    await _entries(fresh_database, "procurement:published", "procurement:selected")
    listed = await client.get("/api/audit/checkpoints")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert item["reason"] == "selection" and item["object_id"] == "2"
    assert item["checkpoint"] == f"{item['seq']}:{item['hash']}"

    good = await client.post("/api/audit/checkpoints/verify", json={"checkpoints": [item["checkpoint"]]})
    assert good.status_code == 200, good.text
    assert good.json()["intact"] is True and good.json()["checkpoints"] == [item["checkpoint"]]

    wrong = f"{item['seq']}:{'0' * 64}"
    bad = await client.post("/api/audit/checkpoints/verify", json={"checkpoints": [wrong]})
    assert bad.status_code == 200 and bad.json()["intact"] is False
    assert "does not match the chain" in bad.json()["problems"][0]

    ahead = await client.post("/api/audit/checkpoints/verify", json={"checkpoints": [f"99:{'a' * 64}"]})
    assert "past the chain's head" in ahead.json()["problems"][0]

    page = await client.get("/checkpoints")
    assert page.status_code == 200 and item["checkpoint"] in page.text and "审计链检查点" in page.text

    # the open-data feed carries the newest checkpoint too, in every package
    feed = await client.get("/ocds/releases")
    assert feed.status_code == 200
    assert feed.json()["auditCheckpoint"]["checkpoint"] == item["checkpoint"]


async def test_malformed_and_excessive_checks_are_refused_naming_the_problem(
    client: AsyncTestClient,  # type: ignore[type-arg]
) -> None:
    for body, expected in (
        ({"checkpoints": ["12-abc"]}, "SEQ:HASH"),
        ({"checkpoints": []}, "at least one"),
        ({"checkpoints": [f"{n}:{'a' * 64}" for n in range(1, 22)]}, "20"),
        ({"checkpoints": ["x" * 201]}, "200"),
    ):
        response = await client.post("/api/audit/checkpoints/verify", json=body)
        assert response.status_code in (400, 422), response.text
        assert expected in response.text
    unknown = await client.post("/api/audit/checkpoints/verify", json={"checkpoints": [], "all": True})
    assert unknown.status_code == 400


async def test_the_page_says_whether_the_chain_still_holds_the_checkpoint(
    client: AsyncTestClient,  # type: ignore[type-arg]
    fresh_database: ClonedDatabase,
) -> None:
    await _entries(fresh_database, "procurement:selected", "procurement:published")
    row = await audit_checkpoints.publish_now(fresh_database.database, datetime.now(UTC))
    assert row is not None
    page = await client.get("/checkpoints")
    token = client.cookies.get("market_csrf")
    held = await client.post(
        "/checkpoints", data={"checkpoints": f"{row.seq}:{row.hash}", "_csrf_token": token or ""}
    )
    assert held.status_code == 200 and "一致：审计链完整" in held.text, page.status_code
    async with fresh_database.database.sessions() as session:
        await session.execute(text("ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only"))
        await session.execute(text("DELETE FROM audit_seal WHERE seq = :s"), {"s": row.seq})
        await session.commit()
        await session.execute(text("ALTER TABLE audit_seal ENABLE TRIGGER audit_seal_append_only"))
        await session.commit()
    caught = await client.post(
        "/checkpoints", data={"checkpoints": f"{row.seq}:{row.hash}", "_csrf_token": token or ""}
    )
    assert caught.status_code == 200 and "不一致" in caught.text
    malformed = await client.post(
        "/checkpoints", data={"checkpoints": "nonsense", "_csrf_token": token or ""}
    )
    assert malformed.status_code == 422 and "SEQ:HASH" in malformed.text
