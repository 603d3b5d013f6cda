"""Getting a database for a command: the configured one, or the embedded cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from market.db import Database
from market.embedded_pg import EmbeddedPostgres
from market.settings import Settings

T = TypeVar("T")


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
    server.start()
    try:
        yield settings.with_database(server.socket_url())
    finally:
        if not keep_running:
            server.stop()


def run_with_database(url: str, work: Callable[[Database], Awaitable[T]], *, pool_size: int = 1) -> T:
    """Run ``work`` on a short-lived connection pool (for CLI commands), then close it."""

    async def run() -> T:
        database = Database.connect(url, pool_size=pool_size)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def check_reachable(url: str) -> None:
    """Raise :class:`market.errors.DatabaseUnavailable` with a one-line reason."""
    run_with_database(url, Database.ping)


@contextmanager
def reachable_database(settings: Settings) -> Iterator[Settings]:
    """:func:`database_settings`, then a connection check that fails with a one-line reason."""
    with database_settings(settings) as ready:
        assert ready.database_url is not None
        check_reachable(ready.database_url)
        yield ready
