"""Sealed bids over HTTP: an intermediary submits, replaces, re-confirms and downloads its
receipt; refusals are problem+json naming the problem; the opening list is sealed (403 and
audited) until the lifecycle opens it; bid routes log neither the user nor the address; a
key file that is not the one the bids were sealed under is a 503 that says what to restore."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text

from market import accounts, lifecycle
from market.audit import Actor
from market.clock import FixedClock
from market.models import AuditEntry, BidVersion, Role, User
from market.settings import AuthSettings, Settings
from tests.bid_data import BEFORE, BID_KEY, DEADLINE, TERMS, owner, published
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import VOCABULARY, admitted_firm, intermediary
from web.app import create_app
from web.observability import JsonFormatter

Client = AsyncTestClient  # type: ignore[type-arg]
PROBLEM = "application/problem+json"


def _key_file(home: Path, key: bytes) -> None:
    folder = home / "keys"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "bid-kek"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key)


@pytest.fixture
def log_stream() -> Iterator[StringIO]:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def _app(fresh_database: ClonedDatabase, home: Path, clock: FixedClock, stream: StringIO) -> Any:
    settings = Settings(home=home, database_url=fresh_database.url, auth=AuthSettings())
    app = create_app(settings, clock=clock, background=False)
    logging.getLogger().addHandler(logging.StreamHandler(stream))  # after Litestar's logging set-up
    logging.getLogger().handlers[-1].setFormatter(JsonFormatter())
    return app


@pytest.fixture
async def bids_client(
    fresh_database: ClonedDatabase, tmp_path: Path, log_stream: StringIO
) -> AsyncIterator[tuple[Client, FixedClock]]:
    _key_file(tmp_path, bytes(range(32)))  # the key tests.bid_data publishes under
    clock = FixedClock(BEFORE)
    async with AsyncTestClient(app=await _app(fresh_database, tmp_path, clock, log_stream)) as client:
        yield client, clock


async def _firm_user(fresh_database: ClonedDatabase, serial: int, username: str) -> int:
    firm_id = await admitted_firm(fresh_database.database, intermediary(serial))
    async with fresh_database.database.unit_of_work() as uow:
        await accounts.create_user(
            uow,
            Actor.system("test"),
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=[Role.INTERMEDIARY],
            organisation_id=firm_id,
            auth=AuthSettings(),
        )
        await uow.commit()
    return firm_id


async def _official(fresh_database: ClonedDatabase, username: str, role: Role) -> None:
    async with fresh_database.database.unit_of_work() as uow:
        await accounts.create_user(
            uow,
            Actor.system("test"),
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=[role],
            organisation_id=None,
            auth=AuthSettings(),
        )
        await uow.commit()


async def test_an_intermediary_bids_over_http_and_the_list_opens_only_at_the_deadline(
    bids_client: tuple[Client, FixedClock], fresh_database: ClonedDatabase, log_stream: StringIO
) -> None:
    client, clock = bids_client
    database = fresh_database.database
    row = await published(database, await owner(database))
    await _firm_user(fresh_database, 501, "agency.one")
    await _firm_user(fresh_database, 502, "agency.two")
    await _official(fresh_database, "sup.one", Role.SUPERVISOR)
    one, two = await sign_in(client, "agency.one"), await sign_in(client, "agency.two")
    supervisor = await sign_in(client, "sup.one")
    body = {"procurement_id": row.id, "quote": {"mode": "amount", "value": "152000.00"}}

    # the key follows the platform's one rule for Idempotency-Keys, as on procurements
    long_key = await client.post("/api/bids", json=body, headers={**one, "Idempotency-Key": "k" * 201})
    assert long_key.status_code == 422 and long_key.json()["field"] == "Idempotency-Key"
    created = await client.post("/api/bids", json=body, headers={**one, "Idempotency-Key": "first-try"})
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["version"] == 1 and receipt["counts"] is True and len(receipt["digest"]) == 64
    retried = await client.post("/api/bids", json=body, headers={**one, "Idempotency-Key": "first-try"})
    assert retried.status_code == 201 and retried.json() == receipt
    other_body = {**body, "quote": {"mode": "amount", "value": "151000.00"}}
    reused = await client.post("/api/bids", json=other_body, headers={**one, "Idempotency-Key": "first-try"})
    assert reused.status_code == 409 and reused.headers["content-type"].startswith(PROBLEM)
    second = await client.post("/api/bids", json=other_body, headers=one)
    assert second.status_code == 409 and f"bid {receipt['bid_id']}" in second.json()["detail"]

    for bad, status, words in [
        ({**body, "quote": {"mode": "amount", "value": "180000.01"}}, 422, "ceiling"),
        ({**body, "quote": {"mode": "discount_rate", "value": "5"}}, 422, "quoted as amount"),
        ({**body, "quote": {"mode": "amount", "value": "abc"}}, 422, "decimal"),
        ({**body, "colour": "red"}, 400, "colour"),
        ({**body, "attachments": [{"name": "x.exe", "content_base64": "TVo="}]}, 422, "PDF"),
    ]:
        answer = await client.post("/api/bids", json=bad, headers=two)
        assert answer.status_code == status and words in answer.json()["detail"], answer.text

    bid = receipt["bid_id"]
    assert (await client.get(f"/api/bids/{bid}", headers=two)).status_code == 404
    assert (await client.get(f"/api/bids/{bid}", headers=supervisor)).status_code == 403
    mine = await client.get("/api/bids", params={"procurement_id": row.id}, headers=one)
    assert mine.status_code == 200 and mine.json()["bid_id"] == bid
    assert (await client.get("/api/bids", params={"procurement_id": row.id}, headers=two)).status_code == 404
    replaced = await client.put(
        f"/api/bids/{bid}", json={"quote": {"mode": "amount", "value": "149000.00"}}, headers=one
    )
    assert replaced.status_code == 200 and replaced.json()["version"] == 2
    confirmed = await client.post(f"/api/bids/{bid}/confirm", headers=one)
    assert confirmed.status_code == 200 and confirmed.json()["digest"] == replaced.json()["digest"]
    download = await client.get(f"/api/bids/{bid}/receipt", headers=one)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert json.loads(download.content)["digest_sha256"] == replaced.json()["digest"]

    early = await client.get(f"/api/procurements/{row.id}/opening", headers=supervisor)
    assert (
        early.status_code == 403 and "sealed until the opening at 2026-11-09 10:00" in early.json()["detail"]
    )
    assert (await client.get(f"/api/procurements/{row.id}/opening")).status_code == 401

    clock.current = DEADLINE  # sessions last 12 hours: sign in again
    one, two = await sign_in(client, "agency.one"), await sign_in(client, "agency.two")
    supervisor = await sign_in(client, "sup.one")
    late = await client.post("/api/bids", json=body, headers=two)
    assert late.status_code == 409 and "bidding closed at 2026-11-09 10:00:00" in late.json()["detail"]
    assert (await client.post(f"/api/bids/{bid}/withdraw", headers=one)).status_code == 409
    await lifecycle.advance(database, BID_KEY, DEADLINE, vocabulary=VOCABULARY, terms=TERMS)
    opened = await client.get(f"/api/procurements/{row.id}/opening", headers=supervisor)
    assert opened.status_code == 200
    [entry] = opened.json()["entries"]
    assert entry["digest"] == replaced.json()["digest"] and entry["quote_value"] == "149000.00"
    assert (await client.get(f"/api/procurements/{row.id}/opening", headers=one)).status_code == 200
    assert (await client.get(f"/api/procurements/{row.id}/opening", headers=two)).status_code == 403

    async with database.sessions() as session:
        refused = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "bid:early_read_refused"))
        )
    assert len(refused) == 1 and refused[0].payload == {"reference": row.reference}

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines() if line.startswith("{")]
    bid_lines = [
        line
        for line in lines
        if line.get("event") == "request" and (line.get("route") or "").startswith("/api/bids")
    ]
    assert bid_lines and all(line["user_id"] is None and line["client"] is None for line in bid_lines)
    opening_lines = [
        line
        for line in lines
        if line.get("event") == "request" and (line.get("route") or "").endswith("/opening")
    ]
    assert any(line["user_id"] is not None for line in opening_lines)  # not a bid route: logged as usual
    assert "152000" not in log_stream.getvalue() and "149000" not in log_stream.getvalue()


async def test_a_key_file_other_than_the_bids_own_is_a_503_naming_the_key_to_restore(
    fresh_database: ClonedDatabase, tmp_path: Path, log_stream: StringIO
) -> None:
    _key_file(tmp_path, bytes([7]) * 32)
    row = await published(fresh_database.database, await owner(fresh_database.database))
    await _firm_user(fresh_database, 503, "agency.three")
    app = await _app(fresh_database, tmp_path, FixedClock(BEFORE), log_stream)
    async with AsyncTestClient(app=app) as client:
        headers = await sign_in(client, "agency.three")
        body = {"procurement_id": row.id, "quote": {"mode": "amount", "value": "150000.00"}}
        answer = await client.post("/api/bids", json=body, headers=headers)
    assert answer.status_code == 503 and answer.json()["type"] == "/problems/bid-key-mismatch"
    assert f"restore the key file with id {BID_KEY.key_id}" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("ended", "status"),
    [
        (None, 401),  # POST /api/auth/logout in this process
        ("UPDATE user_session SET revoked_at = now() WHERE user_id = :user", 401),
        ("UPDATE user_account SET is_active = false WHERE id = :user", 401),
        ("DELETE FROM user_role WHERE user_id = :user", 403),
    ],
    ids=["signed-out", "signed-out-elsewhere", "deactivated", "role-withdrawn"],
)
async def test_a_session_that_ended_writes_no_bid_on_either_lane(
    bids_client: tuple[Client, FixedClock], fresh_database: ClonedDatabase, ended: str | None, status: int
) -> None:
    """The bid routes take no unit of work, so their session lookup runs on the direct pool,
    and they may start from a principal read up to 30 s before (web.recent_sessions); a
    replacement of a bid the process knows goes the express lane. A session signed out here
    is forgotten at once; a change made by another process (here, straight in the database)
    reaches no cache of this one, yet the lane's statement checks the session itself and the
    service path reads it again: nothing is written, and the answer is a fresh read's."""
    client, _ = bids_client
    database = fresh_database.database
    row = await published(database, await owner(database))
    await _firm_user(fresh_database, 521, "agency.four")
    four = await sign_in(client, "agency.four")
    body = {"procurement_id": row.id, "quote": {"mode": "amount", "value": "152000.00"}}
    created = await client.post("/api/bids", json=body, headers=four)
    assert created.status_code == 201, created.text
    bid = created.json()["bid_id"]
    quote = {"quote": {"mode": "amount", "value": "150000.00"}}
    replaced = await client.put(f"/api/bids/{bid}", json=quote, headers=four)
    assert replaced.status_code == 200 and replaced.json()["version"] == 2

    if ended is None:
        assert (await client.post("/api/auth/logout", headers=four)).status_code < 300
    else:
        async with database.sessions() as session:
            user = await session.scalar(select(User.id).where(User.username == "agency.four"))
            await session.execute(text(ended), {"user": user})
            await session.commit()
    again = await client.put(f"/api/bids/{bid}", json=quote, headers=four)
    assert again.status_code == status, again.text
    if status == 401:
        assert "sign in first" in again.json()["detail"]
    assert (await client.post("/api/bids", json=body, headers=four)).status_code == status
    async with database.sessions() as session:
        versions = await session.scalar(select(func.count()).select_from(BidVersion))
    assert versions == 2
