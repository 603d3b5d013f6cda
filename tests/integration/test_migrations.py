from __future__ import annotations

import asyncio

from market import migrate
from tests.conftest import ClonedDatabase, PgServer


def test_template_is_at_head_and_models_match_migrations(test_server: PgServer) -> None:
    url = test_server.url(test_server.template)
    assert migrate.current_revision(url) == migrate.head_revision()
    migrate.check(url)  # alembic check: raises on any drift between models and migrations


async def test_downgrade_to_base_and_back_up(fresh_database: ClonedDatabase) -> None:
    await fresh_database.database.dispose()
    await asyncio.to_thread(migrate.downgrade, fresh_database.url, "base")
    assert await asyncio.to_thread(migrate.current_revision, fresh_database.url) is None
    await asyncio.to_thread(migrate.upgrade, fresh_database.url)
    assert await asyncio.to_thread(migrate.current_revision, fresh_database.url) == migrate.head_revision()
