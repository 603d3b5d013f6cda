"""Getting a database for a command: the configured one, or the embedded cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from market.db import Database
from market.embedded_pg import EmbeddedPostgres
from market.settings import Settings


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(
        settings.home / "postgres", port=settings.embedded_pg_port, bindir=settings.pg_bindir
    )


@contextmanager
def database_settings(settings: Settings, *, keep_running: bool = False) -> Iterator[Settings]:
    """Yield settings with ``database_url`` filled in. Starts the embedded server when no
    DATABASE_URL is configured, and stops it afterwards if it was started here."""
    if not settings.uses_embedded_database:
        yield settings
        return
    settings.home.mkdir(parents=True, exist_ok=True)
    server = embedded_server(settings)
    url = server.start()
    try:
        yield settings.with_database(url)
    finally:
        if not keep_running:
            server.stop()


def check_reachable(url: str) -> None:
    """Raise :class:`market.errors.DatabaseUnavailable` with a one-line reason."""

    async def ping() -> None:
        database = Database.connect(url, pool_size=1)
        try:
            await database.ping()
        finally:
            await database.dispose()

    asyncio.run(ping())


@contextmanager
def reachable_database(settings: Settings) -> Iterator[Settings]:
    """:func:`database_settings`, then a connection check that fails with a one-line reason."""
    with database_settings(settings) as ready:
        assert ready.database_url is not None
        check_reachable(ready.database_url)
        yield ready
