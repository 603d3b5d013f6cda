"""The direct pool (market.db.DirectPool): turns in arrival order, at most ``size``
connections, kept between lenders, and never lent again after an exchange cut short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from market.db import Database, DirectPool
from market.errors import DatabaseUnavailable
from market.prepared import Prepared
from tests.conftest import ClonedDatabase

PID = Prepared(text("SELECT pg_backend_pid()"), ())


@pytest.fixture
async def pool(fresh_database: ClonedDatabase) -> AsyncIterator[DirectPool]:
    direct = DirectPool(fresh_database.url, 2, fresh_database.database.engine.dialect)
    try:
        yield direct
    finally:
        await direct.close()


async def _pid(pool: DirectPool) -> int:
    found = await pool.row(PID, {})
    assert found is not None
    return int(found[0])


async def test_turns_go_in_arrival_order_and_a_newcomer_queues_behind(pool: DirectPool) -> None:
    order: list[str] = []
    release = asyncio.Event()

    async def hold(name: str) -> None:
        async with pool.connection():
            order.append(name)
            await release.wait()

    await asyncio.gather(_pid(pool), _pid(pool))  # both connections open: lending is at once
    holders = [asyncio.create_task(hold(f"holder{n}")) for n in range(2)]
    await asyncio.sleep(0.05)  # both places taken
    waiters = [asyncio.create_task(hold(f"waiter{n}")) for n in range(3)]
    await asyncio.sleep(0.05)
    release.set()  # the places free up while a newcomer arrives
    late = asyncio.create_task(hold("newcomer"))
    await asyncio.gather(*holders, *waiters, late)
    assert order == ["holder0", "holder1", "waiter0", "waiter1", "waiter2", "newcomer"]


async def test_at_most_size_connections_and_they_are_kept(pool: DirectPool) -> None:
    first = await asyncio.gather(*(_pid(pool) for _ in range(20)))
    assert len(set(first)) <= 2
    again = await asyncio.gather(*(_pid(pool) for _ in range(20)))
    assert set(again) <= set(first)  # no new connection was opened


async def test_an_error_in_the_block_keeps_the_connection(pool: DirectPool) -> None:
    before = await _pid(pool)
    with pytest.raises(asyncpg.UndefinedTableError):  # a statement's own error: exchange whole
        async with pool.connection() as connection:
            await connection.row(Prepared(text("SELECT * FROM no_such_table"), ()), {})
    with pytest.raises(ValueError, match="the caller's"):
        async with pool.connection():
            raise ValueError("the caller's")
    assert await _pid(pool) == before


async def test_a_cancelled_statement_s_connection_is_not_lent_again(pool: DirectPool) -> None:
    cut: list[int] = []

    async def slow() -> None:
        async with pool.connection() as connection:
            found = await connection.row(PID, {})
            assert found is not None
            cut.append(int(found[0]))
            await connection.row(Prepared(text("SELECT pg_sleep(5)"), ()), {})

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cut and cut[0] not in {await _pid(pool) for _ in range(4)}


async def test_a_connection_reported_lost_is_not_lent_again(pool: DirectPool) -> None:
    before = await _pid(pool)
    with pytest.raises(DatabaseUnavailable):  # what Prepared.row_on makes of a lost connection
        async with pool.connection():
            raise DatabaseUnavailable("lost the connection to PostgreSQL: test")
    assert await _pid(pool) != before


async def test_a_connection_the_server_dropped_is_replaced(
    pool: DirectPool, fresh_database: ClonedDatabase
) -> None:
    dropped = await _pid(pool)
    killer: Database = fresh_database.database
    async with killer.sessions() as session:
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    await asyncio.sleep(0.2)  # the loop sees the socket close
    assert await _pid(pool) != dropped


async def test_a_closed_pool_lends_nothing(pool: DirectPool) -> None:
    await _pid(pool)
    await pool.close()
    with pytest.raises(DatabaseUnavailable, match="closed"):
        await _pid(pool)
