"""Bid intake and the deadline race, over real HTTP, on a throw-away PostgreSQL (durable),
reached through its Unix socket as ``market serve`` reaches its embedded cluster.

- ``bid_intake_ratio``: sealed bids taken per second by the platform (``market serve``: one
  uvicorn worker, its JSON log lines written, its background jobs running) with 50
  concurrent keep-alive clients, each request a bearer-authenticated submission or
  replacement by one of 60 intermediary firms — session lookup, eligibility at submission,
  encryption, the stored version, the audit entry and the receipt — divided by what a bare
  Litestar endpoint doing one raw asyncpg INSERT takes under the same load, served the same
  way, measured in the same run (two rounds each, alternating; the better round of each).
- ``bid_intake_p99_ms``: the 99th percentile latency of the platform's round.
- ``deadline_race_*``: 500 firms submit at once to a procurement whose deadline falls inside
  the burst (one other firm bid earlier, as happens: the rush takes the express lane of
  ``market.bidding.express``). Every answer is a 201 receipt timed before the deadline or a
  409; the opening (run through ``market.lifecycle`` as the scheduler would) lists exactly
  the accepted bids and the early one, by their receipts' digests; the audit chain verifies
  afterwards.

    python bench/bids.py

What bounds the p99 at saturation, where a bid's time goes, and what was tried (with its
figures): docs/bid-intake-load.md.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bid_population import Bidder, load_bidders, make_owner, published  # noqa: E402
from bench.http_load import (  # noqa: E402
    Answer,
    Connection,
    Server,
    clean_env,
    free_port,
    percentile,
    postgres_cpu,
    process_cpu,
)
from market import audit, lifecycle, migrate  # noqa: E402
from market.clock import local  # noqa: E402
from market.db import Database  # noqa: E402
from market.embedded_pg import EmbeddedPostgres  # noqa: E402
from market.models import BidOpening  # noqa: E402
from market.procurement.terms import load_procurement_terms  # noqa: E402
from market.registry.vocabulary import load_vocabulary  # noqa: E402
from market.sealed.keys import KeyEncryptionKey, load_kek  # noqa: E402

CLIENTS = 50
INTAKE_FIRMS = 60
RACE_FIRMS = 500
WARM_UP = 150
REQUESTS = {"baseline": 3000, "app": 1000}
ROUNDS = 2
PACED_REQUESTS = 400
HEALTH_REQUESTS = 2000
TERMS = load_procurement_terms()
POOL_SIZE = 10  # the platform's default MARKET_DB_POOL_SIZE, given to the baseline too


def figure(name: str, value: float, unit: str, note: str) -> None:
    print(f"figure {name} = {value:.2f} {unit} ({note})", flush=True)


def quote_of(serial: int) -> str:
    """A different amount for every request, inside the procurements' floor and ceiling."""
    return str(Decimal(100_000) + Decimal(serial % 7_999_999) / 100)


# -- the bid API as a client sees it ---------------------------------------------------------------
async def submit(conn: Connection, bidder: Bidder, procurement_id: int, serial: int) -> Answer:
    body = {"procurement_id": procurement_id, "quote": {"mode": "amount", "value": quote_of(serial)}}
    return await conn.request("POST", "/api/bids", body, token=bidder.token)


async def replace(conn: Connection, bidder: Bidder, bid_id: int, serial: int) -> Answer:
    body = {"quote": {"mode": "amount", "value": quote_of(serial)}}
    return await conn.request("PUT", f"/api/bids/{bid_id}", body, token=bidder.token)


# -- load -------------------------------------------------------------------------------------------
@dataclass
class Round:
    rate: float  # requests per second
    latencies: list[float]
    statuses: dict[int, int]
    cpu_ms: float = 0.0  # CPU per request of the server process and PostgreSQL together


async def costed(server: Server, pg_data: Path, total: int, load: Awaitable[Round]) -> Round:
    """A round, with the CPU the server and PostgreSQL spent on it per request: the machine
    is shared, so rates move with everyone else's load; CPU per request much less."""
    before = process_cpu(server.process.pid) + postgres_cpu(pg_data)
    result = await load
    spent = process_cpu(server.process.pid) + postgres_cpu(pg_data) - before
    result.cpu_ms = spent / total * 1000
    return result


async def drive(port: int, total: int, request: Any) -> Round:
    """``total`` requests from CLIENTS keep-alive connections, each sending its next request
    as soon as its last answer is in; ``request(conn, serial)`` sends one."""
    connections = [Connection(port) for _ in range(CLIENTS)]
    await asyncio.gather(*(c.open() for c in connections))
    counter = iter(range(total))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def client(conn: Connection) -> None:
        for serial in counter:
            answer = await request(conn, serial)
            latencies.append(answer.seconds)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in connections))
    return Round(total / elapsed, latencies, statuses)


async def drive_paced(port: int, total: int, rate: float, request: Any) -> Round:
    """``total`` requests arriving at ``rate`` per second, sent by up to CLIENTS keep-alive
    connections. Latency counts from when a request was due, so a request that waited
    for a free connection is charged for the wait (no coordinated omission)."""
    connections = [Connection(port) for _ in range(CLIENTS)]
    await asyncio.gather(*(c.open() for c in connections))
    counter = iter(range(total))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()

    async def client(conn: Connection) -> None:
        for serial in counter:
            due = started + serial / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            answer = await request(conn, serial)
            latencies.append(time.perf_counter() - due)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1

    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    await asyncio.gather(*(c.close() for c in connections))
    return Round(total / elapsed, latencies, statuses)


async def baseline_round(port: int, total: int) -> Round:
    async def insert(conn: Connection, serial: int) -> Answer:
        body = {"bidder": serial % INTAKE_FIRMS, "amount": quote_of(serial)}
        return await conn.request("POST", "/insert", body)

    return await drive(port, total, insert)


async def health_round(port: int, total: int) -> Round:
    """GET /healthz of the platform: no session, no database write; what the app's own
    middleware (metrics, input checks, rate limit, request log, security headers) costs."""

    async def health(conn: Connection, serial: int) -> Answer:
        return await conn.request("GET", "/healthz")

    return await drive(port, total, health)


class Intake:
    """The firms take turns: a firm is with one client at a time; its first request is a
    submission, the later ones replace its live bid."""

    def __init__(self, bidders: list[Bidder], procurement_id: int) -> None:
        self.idle = deque(bidders)
        self.bid_of: dict[int, int] = {}
        self.procurement_id = procurement_id
        self.failures: list[str] = []

    async def request(self, conn: Connection, serial: int) -> Answer:
        bidder = self.idle.popleft()
        try:
            bid_id = self.bid_of.get(bidder.firm_id)
            if bid_id is None:
                answer = await submit(conn, bidder, self.procurement_id, serial)
                if answer.status == 201:
                    self.bid_of[bidder.firm_id] = int(answer.json()["bid_id"])
            else:
                answer = await replace(conn, bidder, bid_id, serial)
            if answer.status not in (200, 201) and len(self.failures) < 5:
                self.failures.append(f"{answer.status} {answer.body[:300]!r}")
            return answer
        finally:
            self.idle.append(bidder)


# -- the deadline race ------------------------------------------------------------------------------
@dataclass
class RaceResult:
    accepted: dict[int, dict[str, Any]]  # bid id -> receipt
    refused: int
    other: list[str]


async def race(port: int, bidders: list[Bidder], procurement_id: int, start_at: float) -> RaceResult:
    connections = [Connection(port) for _ in bidders]
    await asyncio.gather(*(c.open() for c in connections))
    accepted: dict[int, dict[str, Any]] = {}
    refused = 0
    other: list[str] = []

    async def one(conn: Connection, bidder: Bidder, serial: int) -> None:
        nonlocal refused
        answer = await submit(conn, bidder, procurement_id, serial)
        if answer.status == 201:
            receipt = answer.json()
            accepted[int(receipt["bid_id"])] = receipt
        elif answer.status == 409:
            refused += 1
        else:
            other.append(f"{answer.status} {answer.body[:200]!r}")

    await asyncio.sleep(max(0.0, start_at - time.time()))
    await asyncio.gather(*(one(c, b, n) for n, (c, b) in enumerate(zip(connections, bidders, strict=True))))
    await asyncio.gather(*(c.close() for c in connections))
    return RaceResult(accepted, refused, other)


async def open_and_check(
    database: Database,
    kek: KeyEncryptionKey,
    procurement_id: int,
    deadline: datetime,
    result: RaceResult,
    early_bids: set[int],
) -> list[str]:
    """Run the opening as the scheduler's job does after the deadline (idempotent: the served
    app's own job may have run it already), then compare the opening list with the
    receipts of the race and ``early_bids`` (in before it); the problems found (empty:
    consistent)."""
    await lifecycle.advance(
        database, kek, deadline + timedelta(seconds=5), vocabulary=load_vocabulary(), terms=TERMS
    )
    async with database.sessions() as session:
        opening = await session.get(BidOpening, procurement_id)
    if opening is None:
        return ["the lifecycle wrote no opening list"]
    problems = []
    listed = {int(e["bid_id"]): e for e in opening.entries if e["counted"]}
    if not early_bids <= set(listed):
        problems.append("the bid made before the race is not counted at the opening")
    listed = {bid_id: e for bid_id, e in listed.items() if bid_id not in early_bids}
    if set(listed) != set(result.accepted) or len(opening.entries) != len(listed) + len(early_bids):
        problems.append(
            f"opening lists {len(opening.entries)} bids ({len(listed)} counted), "
            f"{len(result.accepted)} were accepted"
        )
    for bid_id, receipt in result.accepted.items():
        if datetime.fromisoformat(receipt["submitted_at"]) >= deadline:
            problems.append(f"bid {bid_id} accepted with a receipt time at/after the deadline")
        entry = listed.get(bid_id)
        if entry is not None and entry["digest"] != receipt["digest"]:
            problems.append(f"bid {bid_id}: opening digest differs from the receipt's")
    return problems


# -- the run ----------------------------------------------------------------------------------------
async def measure(url: str, dsn: str, home: Path, scratch: Path, pg_data: Path) -> None:
    kek = load_kek(home)  # made here first, read by the served app from the same MARKET_HOME
    vocabulary = load_vocabulary()
    database = Database.connect(url, pool_size=4)
    now = datetime.now(UTC)
    started = time.perf_counter()
    bidders = await load_bidders(
        dsn, RACE_FIRMS + 1, today=local(now).date(), session_until=now + timedelta(days=1)
    )
    owner = await make_owner(database)
    intake_id, _ = await published(
        database,
        owner,
        kek,
        vocabulary,
        title="基准：某道路工程造价咨询",
        deadline=now + timedelta(hours=6),
        eligible=RACE_FIRMS,
    )
    print(
        f"# set-up: {RACE_FIRMS} firms with users and sessions, an owner, a procurement in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )

    base_port, app_port = free_port(), free_port()
    baseline = Server(
        ["bench/insert_baseline.py", str(base_port), dsn, str(POOL_SIZE)],
        base_port,
        clean_env(),
        scratch / "baseline.log",
    )
    app = Server(
        ["-c", "from web.cli import run; run()", "serve", "--port", str(app_port)],
        app_port,
        clean_env(DATABASE_URL=url, MARKET_HOME=str(home), MARKET_DB_POOL_SIZE=str(POOL_SIZE)),
        scratch / "app.log",
    )
    intake = Intake(bidders[:INTAKE_FIRMS], intake_id)
    try:
        baseline.wait_ready()
        app.wait_ready()
        await baseline_round(base_port, WARM_UP)
        await drive(app_port, WARM_UP, intake.request)
        if intake.failures:
            raise SystemExit(f"bids refused while warming up: {intake.failures}")
        rounds: dict[str, list[Round]] = {"baseline": [], "app": []}
        for _ in range(ROUNDS):
            total = REQUESTS["baseline"]
            rounds["baseline"].append(
                await costed(baseline, pg_data, total, baseline_round(base_port, total))
            )
            total = REQUESTS["app"]
            rounds["app"].append(await costed(app, pg_data, total, drive(app_port, total, intake.request)))
        base = max(rounds["baseline"], key=lambda r: r.rate)
        best = max(rounds["app"], key=lambda r: r.rate)
        print(
            f"# baseline rounds: {', '.join(f'{r.rate:.0f}' for r in rounds['baseline'])} req/s; "
            f"app rounds: {', '.join(f'{r.rate:.0f}' for r in rounds['app'])} req/s; "
            f"CPU per request (server + PostgreSQL): baseline "
            f"{', '.join(f'{r.cpu_ms:.2f}' for r in rounds['baseline'])} ms, app "
            f"{', '.join(f'{r.cpu_ms:.2f}' for r in rounds['app'])} ms; "
            f"app answers {best.statuses}",
            flush=True,
        )
        if intake.failures:
            print(f"# refused during intake: {intake.failures}")
        figure(
            "bid_intake_baseline_rate",
            base.rate,
            "req/s",
            f"baseline: bare Litestar + one asyncpg INSERT, {CLIENTS} clients",
        )
        figure("bid_intake_baseline_p99_ms", percentile(base.latencies, 0.99) * 1000, "ms", "info")
        figure("bid_intake_rate", best.rate, "req/s", f"sealed bids over HTTP, {CLIENTS} clients")
        figure("bid_intake_p50_ms", percentile(best.latencies, 0.50) * 1000, "ms", "info")
        figure("bid_intake_ratio", best.rate / base.rate, "x", "goal >= 0.25")
        figure("bid_intake_p99_ms", percentile(best.latencies, 0.99) * 1000, "ms", "goal <= 50")
        base_cpu = min(r.cpu_ms for r in rounds["baseline"])
        app_cpu = min(r.cpu_ms for r in rounds["app"])
        figure("bid_intake_cpu_ms_per_bid", app_cpu, "ms", "info: app process + PostgreSQL")
        figure("bid_intake_baseline_cpu_ms_per_insert", base_cpu, "ms", "info: same, baseline")
        figure(
            "bid_intake_cpu_ratio",
            base_cpu / app_cpu,
            "x",
            "info: CPU per insert over CPU per bid, what the ratio tends to when CPU is the limit",
        )
        # 50 clients that never pause keep 50 requests queued: p99 there is mostly waiting in
        # line (Little's law: 50 in flight at R req/s is 50/R s each). The same bids arriving
        # at half the measured rate show what one bid costs when the service is not saturated.
        floor = await costed(app, pg_data, HEALTH_REQUESTS, health_round(app_port, HEALTH_REQUESTS))
        figure(
            "app_healthz_ratio",
            floor.rate / base.rate,
            "x",
            f"info: the platform's GET /healthz ({floor.rate:.0f} req/s, {floor.cpu_ms:.2f} ms CPU)"
            " against the same baseline: the most any endpoint of the app could reach",
        )
        paced = await drive_paced(app_port, PACED_REQUESTS, best.rate / 2, intake.request)
        figure(
            "bid_intake_p99_at_half_load_ms",
            percentile(paced.latencies, 0.99) * 1000,
            "ms",
            f"info: {best.rate / 2:.0f} bids/s arriving, up to {CLIENTS} clients",
        )

        # the race: the deadline falls early in the burst. 500 connections at once go faster
        # than 50 (PostgreSQL commits them in groups): half the time the intake rate predicts
        # let every one in, so the deadline is an eighth of it, some 50-150 bids in.
        burst_seconds = RACE_FIRMS / best.rate
        start_at = time.time() + 1.0
        deadline = datetime.fromtimestamp(start_at + burst_seconds / 8, UTC)
        race_id, _ = await published(
            database,
            owner,
            kek,
            vocabulary,
            title="基准：截止竞态造价咨询",
            deadline=deadline,
            eligible=RACE_FIRMS + 1,
        )
        # as in life, a bid came in before the rush (the process learns the procurement, so
        # the rush takes the express lane); the 500 racing firms are the others
        early = Connection(app_port)
        first = await submit(early, bidders[-1], race_id, 0)
        await early.close()
        if first.status != 201:
            raise SystemExit(f"the early bid was refused: {first.status} {first.body[:300]!r}")
        early_bids = {int(first.json()["bid_id"])}
        result = await race(app_port, bidders[:RACE_FIRMS], race_id, start_at)
    finally:
        app.stop()
        baseline.stop()
    problems = list(result.other)
    if len(result.accepted) + result.refused != RACE_FIRMS:
        problems.append(f"{len(result.accepted)} accepted + {result.refused} refused != {RACE_FIRMS}")
    problems += await open_and_check(database, kek, race_id, deadline, result, early_bids)
    await audit.seal_pending(database)
    report = await audit.verify_chain(database)
    if not report.intact:
        problems.append(f"audit chain broken: {report}")
    await database.dispose()
    print(
        f"# race: {len(result.accepted)} accepted, {result.refused} refused (409) of {RACE_FIRMS}; "
        f"{len(problems)} problems",
        flush=True,
    )
    for problem in problems[:10]:
        print(f"#   {problem}")
    figure("deadline_race_accepted", len(result.accepted), "bids", f"of {RACE_FIRMS}, info")
    figure("deadline_race_refused", result.refused, "bids", "409 bidding closed, info")
    figure("deadline_race_consistent", 0 if problems else 1, "bool", "goal = 1")
    figure("audit_chain_intact_after_bench", 1 if report.intact else 0, "bool", "goal = 1")


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-bids-"))
    scratch.chmod(0o755)  # the server may run as the 'postgres' user
    server = EmbeddedPostgres(scratch / "pg")  # durable (fsync on), like production
    try:
        server.start()
        url = server.socket_url()  # as market serve reaches its embedded cluster (both servers)
        migrate.upgrade(url)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        asyncio.run(measure(url, dsn, scratch / "home", scratch, server.data))
    finally:
        server.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
