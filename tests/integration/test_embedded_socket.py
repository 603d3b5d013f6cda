"""The embedded cluster as ``market serve`` and the CLI reach it: through its Unix socket
(market.runtime.database_settings), by the engine's pool and the direct pool alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from market import runtime
from market.db import Database
from market.prepared import Prepared
from market.settings import Settings
from tests.conftest import PgServer

_SERVER_ADDRESS = Prepared(text("SELECT inet_server_addr() IS NULL AS over_socket"), ())


async def test_the_socket_url_reaches_the_cluster_without_tcp(test_server: PgServer) -> None:
    if test_server.embedded is None:
        pytest.skip("MARKET_TEST_DATABASE_URL: no embedded cluster here")
    url = test_server.embedded.socket_url(test_server.template)
    assert "127.0.0.1" not in url and url.endswith(f"&port={test_server.embedded.port}")
    database = Database.connect(url, pool_size=1)
    try:
        async with database.sessions() as session:  # the engine's pool
            assert (await session.execute(_SERVER_ADDRESS.statement)).scalar_one() is True
        assert database.direct is not None  # the direct pool
        assert await database.direct.row(_SERVER_ADDRESS, {}) == (True,)
    finally:
        await database.dispose()


def test_commands_on_the_embedded_cluster_get_its_socket_url(
    test_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if test_server.embedded is None:
        pytest.skip("MARKET_TEST_DATABASE_URL: no embedded cluster here")
    monkeypatch.setattr(runtime, "embedded_server", lambda settings: test_server.embedded)
    settings = Settings.from_env({"MARKET_HOME": str(tmp_path)})
    assert settings.uses_embedded_database
    with runtime.database_settings(settings, keep_running=True) as ready:  # the suite's cluster
        assert ready.database_url == test_server.embedded.socket_url()
