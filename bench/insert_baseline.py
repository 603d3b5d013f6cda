"""The baseline of bench/bids.py: a bare Litestar app whose one endpoint does one raw asyncpg
INSERT into a scratch table, served like ``market serve`` serves the platform (uvicorn, one
worker, no access log, same pool size). Started by bench/bids.py:

    python bench/insert_baseline.py PORT DSN POOL_SIZE
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from litestar import Litestar, get, post

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from web.cli import SERVER_LOOP

TABLE = "bench_insert"


def baseline_app(dsn: str, pool_size: int) -> Litestar:
    pools: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pools["db"] = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        async with pools["db"].acquire() as conn:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, bidder int NOT NULL,"
                " amount numeric(14, 2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
        try:
            yield
        finally:
            await pools["db"].close()

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @post("/insert")
    async def insert(data: dict[str, Any]) -> dict[str, int]:
        async with pools["db"].acquire() as conn:
            new_id = await conn.fetchval(
                f"INSERT INTO {TABLE} (bidder, amount) VALUES ($1, $2) RETURNING id",
                int(data["bidder"]),
                Decimal(str(data["amount"])),
            )
        return {"id": int(new_id)}

    return Litestar(route_handlers=[healthz, insert], lifespan=[lifespan])


def main() -> None:
    port, dsn, pool_size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    uvicorn.run(
        baseline_app(dsn, pool_size),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        log_config=None,
        **SERVER_LOOP,  # the loop and HTTP parser market serve runs the platform on
    )


if __name__ == "__main__":
    main()
