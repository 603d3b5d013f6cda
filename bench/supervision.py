"""Supervision benchmarks (issue 14) on a throw-away durable PostgreSQL.

- ``screens_50k_s``: the collusion screens (:func:`market.supervision.screening.run`: the
  period's opened procurements loaded in one query, every per-procurement and cross-
  procurement screen, the audit entry) over 50,000 opened procurements with 5 counted bids
  each, a third of them awarded; goal ≤ 2 s. ``screens_vs_scan_ratio`` divides it by a plain
  scan of the same rows (``SELECT procurement_id, entries FROM bid_opening`` fetched whole).
- ``statistics_year_100k_ms``: the city's figures for a year
  (:func:`market.supervision.statistics.report`, grouped by kind, with the year before and
  the on-time table) over 100,000 procurements published that year, two thirds awarded;
  goal ≤ 200 ms. ``statistics_vs_scan_ratio`` divides it by a plain scan of the same rows
  (their id, status, ceiling and publication time fetched whole).

- ``history_one_ms``: one procurement's history (:func:`market.supervision.history.history`:
  its entries from an audit log of 200,000 sealed entries, each re-hashed against its seal and
  the previous seal's link); goal ≤ 20 ms. ``history_vs_scan_ratio`` divides it by a plain
  scan of the same entries.

Each is the median of several warm runs.

    python bench/supervision.py
"""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import statistics as stats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from market import audit, migrate  # noqa: E402
from market.audit import Actor  # noqa: E402
from market.calendar import working_calendar  # noqa: E402
from market.db import Database  # noqa: E402
from market.embedded_pg import EmbeddedPostgres  # noqa: E402
from market.supervision import history, periods, screening  # noqa: E402
from market.supervision import statistics as city  # noqa: E402
from market.supervision.screens import Thresholds  # noqa: E402

SCREENED = 50_000
COUNTED = 100_000
BIDS = 5
FIRMS = 3_000
RUNS = 5
YEAR = 2026


def figure(name: str, value: float, unit: str, goal: str) -> None:
    print(f"figure {name} = {value:.2f} {unit} ({goal})", flush=True)


def _uscc(serial: int) -> str:
    from stdnum.cn import uscc as uscc_number

    body = f"91440204{serial:09d}"[:17]
    return body + uscc_number.calc_check_digit(body)


async def _populate(dsn: str) -> None:
    rng = random.Random(20261130)
    conn = await asyncpg.connect(dsn)
    try:
        owner = await conn.fetchval(
            "INSERT INTO organisation (kind, name) VALUES ('owner', '韶关市基准测试局') RETURNING id"
        )
        orgs = [("intermediary", f"基准测试咨询有限公司{n}", _uscc(700_000 + n)) for n in range(FIRMS)]
        await conn.copy_records_to_table("organisation", records=orgs, columns=["kind", "name", "uscc"])
        firm_ids = [
            r["id"]
            for r in await conn.fetch("SELECT id FROM organisation WHERE kind = 'intermediary' ORDER BY id")
        ]
        await conn.copy_records_to_table(
            "firm",
            records=[(i, "intermediary", "张三", "admitted", Decimal("80.00")) for i in firm_ids],
            columns=["id", "kind", "legal_representative", "status", "credit_score"],
        )
        start = datetime(YEAR, 1, 1, 1, 0, tzinfo=UTC)
        procurements = []
        for n in range(COUNTED):
            published = start + timedelta(minutes=n * 5)  # spread over the year
            status = "evaluated" if n % 3 else rng.choice(["failed", "cancelled", "published"])
            works = n % 4 == 0
            procurements.append(
                (
                    f"{'SGXE' if works else 'SGZJ'}-{YEAR}-{n + 1:06d}"[:24],
                    "small_works" if works else "intermediary_service",
                    status,
                    owner,
                    f"基准项目{n}",
                    "440204",
                    None if works else "cost",
                    "roads" if works else None,
                    Decimal("200000.00"),
                    Decimal("200000.00"),
                    None if works else published + timedelta(days=7),
                    published + timedelta(days=8),
                    json.dumps({"method": "random" if works else "lowest_price"}),
                    published,
                )
            )
        await conn.copy_records_to_table(
            "procurement",
            records=procurements,
            columns=[
                "reference", "kind", "status", "owner_organisation_id", "title", "division_code",
                "service_type", "work_field", "budget", "ceiling", "bid_deadline", "selection_time",
                "terms", "published_at",
            ],
        )  # fmt: skip
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM procurement ORDER BY id")]
        openings, awards = [], []
        for n, pid in enumerate(ids):
            firms = rng.sample(firm_ids, BIDS)
            base = rng.uniform(100_000, 190_000)
            if n < SCREENED:
                entries = [
                    {
                        "firm_id": f,
                        "uscc": "",
                        "quote_value": f"{base * rng.uniform(0.8, 1.2):.2f}",
                        "counted": True,
                    }
                    for f in firms
                ]
                openings.append((pid, start, json.dumps(entries), "0" * 64))
            if n % 3:
                at = start + timedelta(minutes=n * 5, days=10)
                awards.append((pid, 1, 1, firms[0], "x" * 18, Decimal(f"{base:.2f}"), at, at, at))
        await conn.copy_records_to_table(
            "bid_opening", records=openings, columns=["procurement_id", "opened_at", "entries", "list_sha256"]
        )
        await conn.copy_records_to_table(
            "award",
            records=awards,
            columns=[
                "procurement_id", "round", "rank", "firm_id", "uscc", "amount", "selected_at",
                "publicity_ends_at", "awarded_at",
            ],
        )  # fmt: skip
        # the audit log: two entries per procurement, five for the one whose history is read
        entries = [
            (start, None, "bench", action, "procurement", str(pid), json.dumps({"n": n}), "")
            for n, pid in enumerate(ids)
            for action in ("procurement:published", "procurement:opened")
        ]
        entries += [
            (
                start,
                None,
                "bench",
                "procurement:amended",
                "procurement",
                str(ids[0]),
                json.dumps({"k": k}),
                "",
            )
            for k in range(3)
        ]
        await conn.copy_records_to_table(
            "audit_entry",
            records=entries,
            columns=[
                "occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id",
                "payload", "client_address",
            ],
        )  # fmt: skip
        await conn.execute("INSERT INTO audit_unsealed (entry_id) SELECT id FROM audit_entry")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _median(run: Callable[[], Awaitable[Any]]) -> float:
    await run()  # warm
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        await run()
        times.append(time.perf_counter() - began)
    return stats.median(times)


async def measure(url: str, dsn: str) -> None:
    began = time.perf_counter()
    await _populate(dsn)
    print(
        f"set-up: {COUNTED:,} procurements, {SCREENED:,} opened with {BIDS} bids each, "
        f"in {time.perf_counter() - began:.1f} s"
    )
    database = Database.connect(url, pool_size=4)
    sealing = time.perf_counter()
    sealed = await audit.seal_pending(database)
    print(f"set-up: {sealed:,} audit entries sealed in {time.perf_counter() - sealing:.1f} s")
    year = periods.named(str(YEAR))
    actor = Actor.system("bench")
    calendar = working_calendar()
    try:

        async def screens() -> None:
            async with database.unit_of_work() as uow:
                await screening.run(uow, actor, year, Thresholds())
                await uow.rollback()

        async def screens_scan() -> None:
            async with database.sessions() as session:
                (await session.execute(text("SELECT procurement_id, entries FROM bid_opening"))).all()

        async def figures() -> None:
            async with database.unit_of_work() as uow:
                await city.report(uow, year, group_by="kind", calendar=calendar, now=datetime.now(UTC))

        async def figures_scan() -> None:
            async with database.sessions() as session:
                scan = (
                    "SELECT id, status, ceiling, published_at FROM procurement"
                    " WHERE published_at >= :a AND published_at < :b"
                )
                (await session.execute(text(scan), {"a": year.start, "b": year.end})).all()

        screened = await _median(screens)
        scanned = await _median(screens_scan)
        figure("screens_50k_s", screened, "s", "goal <= 2")
        figure("screens_vs_scan_ratio", screened / scanned, "x", "the scan fetches the same rows")
        counted = await _median(figures)
        counted_scan = await _median(figures_scan)
        figure("statistics_year_100k_ms", counted * 1000, "ms", "goal <= 200")
        figure("statistics_vs_scan_ratio", counted / counted_scan, "x", "the scan fetches the same rows")

        async with database.sessions() as session:
            first = str(await session.scalar(text("SELECT min(id) FROM procurement")))

        async def one_history() -> None:
            async with database.unit_of_work() as uow:
                found = await history.history(uow, actor, "procurement", first)
                assert len(found.changes) == 5 and found.intact

        async def history_scan() -> None:
            async with database.sessions() as session:
                scan = "SELECT * FROM audit_entry WHERE object_type = 'procurement' AND object_id = :o"
                (await session.execute(text(scan), {"o": first})).all()

        read = await _median(one_history)
        read_scan = await _median(history_scan)
        figure("history_one_ms", read * 1000, "ms", "goal <= 20")
        figure("history_vs_scan_ratio", read / read_scan, "x", "the scan fetches the same entries")
    finally:
        await database.dispose()


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-supervision-"))
    scratch.chmod(0o755)
    server = EmbeddedPostgres(scratch / "pg")
    try:
        url = server.start()
        migrate.upgrade(url)
        asyncio.run(measure(url, url.replace("postgresql+asyncpg://", "postgresql://", 1)))
    finally:
        server.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
