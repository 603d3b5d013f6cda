from __future__ import annotations

from pathlib import Path

import pytest

from market.embedded_pg import EmbeddedPostgres, find_binaries
from market.errors import EmbeddedDatabaseError


def test_server_binaries_are_found_on_this_machine() -> None:
    binaries = find_binaries()
    assert (binaries.bindir / "initdb").exists()
    assert binaries.major >= 12


def test_configured_folder_without_binaries_is_explained(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedDatabaseError, match="apt-get install postgresql"):
        find_binaries(tmp_path)


def test_a_folder_that_is_not_a_cluster_is_not_touched(tmp_path: Path) -> None:
    data = tmp_path / "pg" / "data"
    data.mkdir(parents=True)
    (data / "precious.txt").write_text("keep me")
    with pytest.raises(EmbeddedDatabaseError, match="not a PostgreSQL data folder"):
        EmbeddedPostgres(tmp_path / "pg").start()
    assert (data / "precious.txt").read_text() == "keep me"


def test_cluster_of_another_major_version_is_refused_with_advice(tmp_path: Path) -> None:
    data = tmp_path / "pg" / "data"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("11\n")
    with pytest.raises(EmbeddedDatabaseError, match="made by PostgreSQL 11") as caught:
        EmbeddedPostgres(tmp_path / "pg").start()
    assert "postgresql-11" in caught.value.message
