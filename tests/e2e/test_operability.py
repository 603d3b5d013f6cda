"""What the operator reads: JSON log lines tied by a request id, and /metrics behind a token."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from litestar import get
from litestar.testing import AsyncTestClient
from sqlalchemy import text as sql

from contracts import DocumentKind
from contracts.samples import sample_document
from market import audit
from market.audit import Actor
from market.clock import FixedClock
from market.document_office import DocumentOffice, RenderQueue
from market.models import Role
from market.settings import Settings
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from web.app import create_app
from web.auth import PUBLIC
from web.observability import JsonFormatter

METRICS_TOKEN = "operator-only-0123456789abcdef"


@get("/test-only/boom", opt=PUBLIC, sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("forced failure for the test")


class LogLines:
    """Every log record of the process, as the JSON lines ``market serve`` writes."""

    def __init__(self) -> None:
        self.stream = StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, **match: Any) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in self.text.splitlines()]
        return [line for line in parsed if all(line.get(k) == v for k, v in match.items())]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    lines = LogLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(lines.handler)
    root.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        root.removeHandler(lines.handler)
        root.setLevel(level)


@pytest.fixture
async def ops_client(
    fresh_database: ClonedDatabase, tmp_path: Path, clock: FixedClock, log_lines: LogLines
) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = Settings(home=tmp_path, database_url=fresh_database.url, metrics_token=METRICS_TOKEN)
    # no background sealer: the audit lag gauge must see the entries the test writes
    app = create_app(settings, clock=clock, background=False)
    app.register(boom)
    # Litestar's logging set-up (in create_app) replaces the root's handlers: add ours after.
    logging.getLogger().addHandler(log_lines.handler)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def test_a_request_logs_one_json_line_with_the_id_its_answer_carries(
    ops_client: AsyncTestClient, log_lines: LogLines  # type: ignore[type-arg]
) -> None:
    response = await ops_client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a9c21"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "proxy-7f3a9c21"
    [line] = log_lines.lines(event="request", request_id="proxy-7f3a9c21")
    assert line["method"] == "GET" and line["route"] == "/healthz" and line["status"] == 200
    assert line["duration_ms"] >= 0 and line["client"] and line["user_id"] is None
    assert line["logger"] == "market.request" and line["level"] == "info"


async def test_an_insane_or_missing_request_id_is_replaced_by_a_fresh_one(
    ops_client: AsyncTestClient, log_lines: LogLines  # type: ignore[type-arg]
) -> None:
    ids = []
    for headers in ({}, {"X-Request-ID": 'a"b\\n{"level":"error"}'}, {"X-Request-ID": "x" * 300}):
        response = await ops_client.get("/api/firms/999999", headers=headers)
        assert response.status_code == 404
        ids.append(response.headers["x-request-id"])
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 3
    assert [line["request_id"] for line in log_lines.lines(event="request")] == ids
    assert {line["route"] for line in log_lines.lines(event="request")} == {"/api/firms/{firm_id}"}


async def test_a_path_no_route_matches_is_logged_too(
    ops_client: AsyncTestClient, log_lines: LogLines  # type: ignore[type-arg]
) -> None:
    response = await ops_client.get("/no/such/page?token=secret-in-query")
    assert response.status_code == 404
    [line] = log_lines.lines(event="request", request_id=response.headers["x-request-id"])
    assert line["route"] is None and line["path"] == "/no/such/page" and line["status"] == 404
    ours = [line for line in log_lines.lines() if line["logger"] != "httpx"]  # the test client's own
    assert ours and "secret-in-query" not in json.dumps(ours)


async def test_a_forced_500_quotes_the_request_id_as_its_incident(
    ops_client: AsyncTestClient, log_lines: LogLines  # type: ignore[type-arg]
) -> None:
    response = await ops_client.get("/test-only/boom", headers={"X-Request-ID": "incident-check-42"})
    assert response.status_code == 500
    body = response.json()
    assert body["incident"] == "incident-check-42" == response.headers["x-request-id"]
    assert "incident-check-42" in body["detail"]
    [error] = log_lines.lines(level="error", request_id="incident-check-42")
    assert "forced failure for the test" in error["exception"]
    [line] = log_lines.lines(event="request", request_id="incident-check-42")
    assert line["status"] == 500 and line["route"] == "/test-only/boom"


async def test_a_login_logs_its_business_event_and_no_password_or_token(
    ops_client: AsyncTestClient, log_lines: LogLines, make_user  # type: ignore[no-untyped-def,type-arg]
) -> None:
    user_id = await make_user("owner.log", Role.OWNER)
    refused = await ops_client.post("/api/auth/login", json={"username": "owner.log", "password": "wrong " + PASSWORD})
    assert refused.status_code == 401
    headers = await sign_in(ops_client, "owner.log")
    me = await ops_client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    assert PASSWORD not in log_lines.text and token not in log_lines.text

    [opened] = log_lines.lines(event="audit", action="session:opened")
    [login] = log_lines.lines(event="request", route="/api/auth/login", status=200)
    assert opened["request_id"] == login["request_id"]  # the event names the request that caused it
    assert opened["actor_id"] == user_id and opened["object_id"] == str(user_id)
    assert "payload" not in opened
    assert len(log_lines.lines(event="audit", action="login:refused")) == 1
    [who] = log_lines.lines(event="request", route="/api/auth/me")
    assert who["user_id"] == user_id


async def test_audit_entries_are_logged_once_committed_never_when_rolled_back(
    fresh_database: ClonedDatabase, log_lines: LogLines
) -> None:
    database = fresh_database.database
    async with database.unit_of_work() as uow:
        await audit.record(uow, Actor.system("test"), "firm:suspended", "firm", 7, {"reason": "x"})
        await uow.rollback()
    async with database.unit_of_work() as uow:
        await audit.record(uow, Actor.system("test"), "firm:abandoned", "firm", 8)
    assert log_lines.lines(event="audit") == []  # rolled back, explicitly or by leaving the unit
    async with database.unit_of_work() as uow:
        await audit.record_many(uow, Actor.system("import"), [("firm:imported", "firm", n, None) for n in (1, 2)])
        await uow.commit()
    lines = log_lines.lines(event="audit")
    assert [(line["action"], line["object_id"], line["actor"]) for line in lines] == [
        ("firm:imported", "1", "import"),
        ("firm:imported", "2", "import"),
    ]


async def test_metrics_are_refused_without_the_token_and_served_with_it(
    ops_client: AsyncTestClient, make_user, fresh_database: ClonedDatabase  # type: ignore[no-untyped-def,type-arg]
) -> None:
    await make_user("someone", Role.OWNER)  # one audit entry, not sealed: no sealer runs here
    assert (await ops_client.get("/healthz")).status_code == 200
    refused = await ops_client.get("/metrics")
    assert refused.status_code == 401 and "MARKET_METRICS_TOKEN" in refused.json()["detail"]
    wrong = await ops_client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 30})
    assert wrong.status_code == 401
    user_token = await sign_in(ops_client, "someone")
    assert (await ops_client.get("/metrics", headers=user_token)).status_code == 401

    served = await ops_client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/plain")
    text = served.text
    assert re.search(r'^market_requests_total\{.*path="/healthz".*status_code="200".*\} [1-9]', text, re.M)
    assert re.search(r'^market_request_duration_seconds_bucket\{.*path="/healthz"', text, re.M)
    assert re.search(r"^market_db_pool_size 20(\.0)?$", text, re.M)  # twice MARKET_DB_POOL_SIZE
    assert re.search(r"^market_db_pool_checked_out \d", text, re.M)
    assert re.search(r'^market_render_documents\{state="pending"\} 0(\.0)?$', text, re.M)
    assert re.search(r'^market_render_documents\{state="active"\} 0(\.0)?$', text, re.M)
    assert re.search(r"^market_render_workers 0(\.0)?$", text, re.M)
    # no sealer runs here: every entry written so far (the user's creation, the sign-in) waits
    async with fresh_database.database.sessions() as session:
        written = await session.scalar(sql("SELECT count(*) FROM audit_entry"))
    assert written >= 2
    assert re.search(rf"^market_audit_unsealed_entries {written}(\.0)?$", text, re.M)
    assert re.search(r"^market_audit_oldest_unsealed_seconds \d", text, re.M)


async def test_metrics_do_not_exist_when_no_token_is_configured(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    response = await client.get("/metrics", headers={"Authorization": "Bearer anything-at-all-here"})
    assert response.status_code == 404
    assert "/metrics" not in (await client.get("/schema/openapi.json")).json()["paths"]


@pytest.mark.slow
async def test_the_render_queue_counts_documents_being_rendered_and_waiting(tmp_path: Path) -> None:
    office = DocumentOffice(Settings(home=tmp_path, render_workers=1))
    assert office.queue == RenderQueue(workers=0, active=0, pending=0)
    kinds = list(DocumentKind)[:3]
    issuing = [asyncio.create_task(office.issue(sample_document(k), None, f"doc-{k.value}")) for k in kinds]
    try:
        await office.pool()  # started on first use (seconds: fonts, seal), after the three queued
        # a render takes far longer than this check: one document on the worker, two waiting
        assert office.queue == RenderQueue(workers=1, active=1, pending=2)
        await asyncio.gather(*issuing)
        assert office.queue == RenderQueue(workers=1, active=0, pending=0)
    finally:
        office.close()
