"""Test database: a throw-away PostgreSQL started the same way the service starts its
embedded one (or MARKET_TEST_DATABASE_URL), with the schema built by the real migrations.

- ``database``: for integration tests; everything runs inside one transaction that is
  rolled back at the end of the test.
- ``fresh_database``: for tests that need real commits (concurrency, the app, the CLI);
  a new database cloned from the migrated template, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from market import migrate
from market.db import Database
from market.embedded_pg import EmbeddedPostgres
from market.settings import normalise_database_url


@dataclass(frozen=True)
class PgServer:
    base_url: str  # postgresql+asyncpg://user:pw@host:port/<db>
    template: str
    embedded: EmbeddedPostgres | None = None  # None: MARKET_TEST_DATABASE_URL's server

    def url(self, database: str) -> str:
        head, _, _ = self.base_url.rpartition("/")
        return f"{head}/{database}"

    def dsn(self, database: str) -> str:
        return self.url(database).replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def test_server() -> Iterator[PgServer]:
    given = os.environ.get("MARKET_TEST_DATABASE_URL")
    root: Path | None = None
    server: EmbeddedPostgres | None = None
    if given:
        base = normalise_database_url(given)
    else:
        root = Path(tempfile.mkdtemp(prefix="market-test-pg-"))
        root.chmod(0o755)  # the server may run as the 'postgres' user
        server = EmbeddedPostgres(root / "pg", durable=False)
        base = server.start()
    template = f"market_tpl_{uuid.uuid4().hex[:8]}"
    head, _, _ = base.rpartition("/")
    asyncio.run(_admin(base, f'CREATE DATABASE "{template}"'))
    migrate.upgrade(f"{head}/{template}")
    try:
        yield PgServer(base_url=base, template=template, embedded=server)
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
        if server is not None:
            server.destroy()
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def scratch_database_name(test_server: PgServer) -> Iterator[str]:
    """One clone shared by the rolled-back integration tests."""
    name = f"market_it_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"'))
    yield name
    asyncio.run(_admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def database(test_server: PgServer, scratch_database_name: str) -> AsyncIterator[Database]:
    engine = create_async_engine(test_server.url(scratch_database_name), pool_size=2)
    async with engine.connect() as connection:
        transaction = await connection.begin()
        sessions = async_sessionmaker(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
            class_=AsyncSession,
        )
        try:
            yield Database(engine, sessions)
        finally:
            await transaction.rollback()
    await engine.dispose()


@dataclass
class ClonedDatabase:
    name: str
    url: str
    database: Database


@pytest.fixture
async def fresh_database(test_server: PgServer) -> AsyncIterator[ClonedDatabase]:
    name = f"market_t_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(name)
    database = Database.connect(url, pool_size=5)
    try:
        yield ClonedDatabase(name, url, database)
    finally:
        await database.dispose()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
