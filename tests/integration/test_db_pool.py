"""The pool checks a connection that sat idle before lending it (market.db._ping_when_idle):
a connection cut while idle — the server restarted, a firewall dropped it — is replaced,
not handed to a request that would then fail."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from market.db import Database
from tests.conftest import ClonedDatabase


async def _backend_pid(database: Database) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _cut(killer: Database, pid: int) -> None:
    async with killer.engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_connection_cut_while_idle_is_replaced_before_it_is_lent(
    fresh_database: ClonedDatabase,
) -> None:
    database = Database.connect(fresh_database.url, pool_size=1, ping_after_idle=0)
    try:
        cut = await _backend_pid(database)
        await _cut(fresh_database.database, cut)
        assert await _backend_pid(database) != cut  # the ping found it dead; a new one served
    finally:
        await database.dispose()


async def test_a_connection_used_moments_ago_is_lent_without_a_ping(
    fresh_database: ClonedDatabase,
) -> None:
    # The cost of skipping the round trips: a connection cut within the idle window fails
    # the one request that gets it, and the pool then connects afresh.
    database = Database.connect(fresh_database.url, pool_size=1, ping_after_idle=60)
    try:
        cut = await _backend_pid(database)
        await _cut(fresh_database.database, cut)
        with pytest.raises(DBAPIError):
            await _backend_pid(database)
        assert await _backend_pid(database) != cut
    finally:
        await database.dispose()


async def test_connections_opened_under_load_stay_open_for_the_next_burst(
    fresh_database: ClonedDatabase,
) -> None:
    """Twice the pool size at once, twice: the second burst gets the same backends. (An
    overflow connection closed on its return made every burst above the pool size pay for
    new backends, authentication and type introspection again.)"""
    database = Database.connect(fresh_database.url, pool_size=1)

    async def burst() -> set[int]:
        async with database.engine.connect() as one, database.engine.connect() as two:
            pids = [(await c.execute(text("SELECT pg_backend_pid()"))).scalar_one() for c in (one, two)]
        return {int(pid) for pid in pids}

    try:
        first = await burst()
        assert len(first) == 2
        assert await burst() == first
    finally:
        await database.dispose()
