"""Does the audit log serialise writers? Throughput of small write transactions, each
also appending an audit entry, against the same transactions without it (the raw
insert rate), with concurrent writers, on a throw-away PostgreSQL.

Bid intake needs >= 0.3 x the raw insert rate; a chain head locked from insert to commit
would fall far below that as soon as writers overlap.

    python bench/audit_write.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from market import audit, migrate  # noqa: E402
from market.audit import Actor  # noqa: E402
from market.db import Database  # noqa: E402
from market.embedded_pg import EmbeddedPostgres  # noqa: E402

WRITERS = 16
SECONDS = 4.0


async def run(database: Database, with_audit: bool) -> float:
    actor = Actor(1, "bidder", "127.0.0.1")
    done = 0
    stop = time.perf_counter() + SECONDS

    async def writer(k: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop:
            async with database.unit_of_work() as uow:
                await uow.session.execute(
                    text("INSERT INTO bench_bid (bidder, amount) VALUES (:b, :a)"), {"b": k, "a": i}
                )
                if with_audit:
                    await audit.record(uow, actor, "bid:received", "bid", f"{k}-{i}", {"amount": str(i)})
                await uow.commit()
            i += 1
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(k) for k in range(WRITERS)))
    return done / (time.perf_counter() - started)


async def measure(url: str) -> tuple[float, float, bool]:
    database = Database.connect(url, pool_size=WRITERS)
    sealer_stop = asyncio.Event()

    async def sealer() -> None:  # as in the service: sealing continuously in the background
        while not sealer_stop.is_set():
            await audit.seal_pending(database)
            await asyncio.sleep(0.05)

    try:
        async with database.engine.begin() as conn:
            await conn.execute(
                text("CREATE TABLE bench_bid (id bigserial PRIMARY KEY, bidder int, amount int)")
            )
        raw = await run(database, with_audit=False)
        task = asyncio.create_task(sealer())
        audited = await run(database, with_audit=True)
        sealer_stop.set()
        await task
        await audit.seal_pending(database)
        report = await audit.verify_chain(database)
        return raw, audited, report.intact
    finally:
        await database.dispose()


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-audit-"))
    scratch.chmod(0o755)
    server = EmbeddedPostgres(scratch / "pg")  # durable (fsync on), like production
    try:
        url = server.start()
        migrate.upgrade(url)
        raw, audited, intact = asyncio.run(measure(url))
    finally:
        server.destroy()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"figure raw_insert_rate = {raw:.0f} tx/s (baseline, {WRITERS} writers)")
    print(f"figure audited_insert_rate = {audited:.0f} tx/s")
    print(f"figure audited_vs_raw_insert_ratio = {audited / raw:.2f} x (goal >= 0.30)")
    print(f"figure audit_chain_intact_after_bench = {1 if intact else 0} bool (goal = 1)")


if __name__ == "__main__":
    main()
