"""Registry import as an administrator meets it: the upload API and ``market registry import``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market.clock import FixedClock
from market.models import AuditEntry, Firm, Organisation, Role
from market.settings import AuthSettings, Settings
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from tests.integration.test_registry_import import EXAMPLE, as_csv, row, uscc
from web.app import create_app

URL = "/api/registry/imports"
REGISTRY_CLI = [sys.executable, "-c", "from web.cli import run; run()", "registry"]


@pytest.fixture
async def api(
    fresh_database: ClonedDatabase, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = Settings(home=tmp_path, database_url=fresh_database.url, auth=AuthSettings())
    app = create_app(settings, clock=clock, background=True)
    async with AsyncTestClient(app=app) as client:
        yield client


async def _count(fresh_database: ClonedDatabase, model: type) -> int:
    async with fresh_database.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _upload(data: bytes, filename: str = "firms.csv", **form: str) -> dict[str, Any]:
    return {"files": {"file": (filename, data, "text/csv")}, "data": form}


async def test_admin_uploads_a_file_and_every_firm_is_imported(
    api: AsyncTestClient,
    make_user,
    fresh_database: ClonedDatabase,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(api, "admin.zhao")
    response = await api.post(URL, headers=headers, **_upload(EXAMPLE.read_bytes(), EXAMPLE.name))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "contractors.csv",
        "rows": 5,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
    }
    assert await _count(fresh_database, Firm) == 5
    again = await api.post(URL, headers=headers, **_upload(EXAMPLE.read_bytes(), EXAMPLE.name))
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 5)
    async with fresh_database.database.sessions() as session:
        actor = await session.scalar(
            select(AuditEntry.actor_label).where(AuditEntry.action == "registry:imported").limit(1)
        )
    assert actor == "admin.zhao"


async def test_only_administrators_may_import(
    api: AsyncTestClient,
    make_user,
    fresh_database: ClonedDatabase,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("owner.li", Role.OWNER)
    await make_user("sup.wang", Role.SUPERVISOR)
    assert (await api.post(URL, **_upload(EXAMPLE.read_bytes()))).status_code == 401
    for username in ("owner.li", "sup.wang"):
        response = await api.post(URL, headers=await sign_in(api, username), **_upload(EXAMPLE.read_bytes()))
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await _count(fresh_database, Organisation) == 0


async def test_a_file_with_bad_rows_is_refused_with_every_row_and_writes_nothing(
    api: AsyncTestClient,
    make_user,
    fresh_database: ClonedDatabase,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(api, "admin.zhao")
    data = as_csv([row(1), row(2, 统一社会信用代码=uscc(2)[:-1] + "I"), row(3), row(1)])
    response = await api.post(URL, headers=headers, **_upload(data))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["rejected"] == 2 and body["total"] == 4
    assert [(r["line"], r["problems"][0]["field"]) for r in body["rows"]] == [
        (3, "统一社会信用代码"),
        (5, "统一社会信用代码"),
    ]
    assert "lines 2 and 5" in body["rows"][1]["problems"][0]["message"]
    assert body["detail"].startswith("2 of 4 rows of firms.csv are invalid, so nothing was imported")
    assert await _count(fresh_database, Organisation) == 0
    async with fresh_database.database.sessions() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
    assert not {a for a in actions if a.startswith(("firm:", "registry:"))}, actions


async def test_skip_invalid_imports_the_good_rows_and_lists_the_rejected_ones(
    api: AsyncTestClient,
    make_user,
    fresh_database: ClonedDatabase,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(api, "admin.zhao")
    data = as_csv([row(1), row(2, 执业人员数="很多")])
    response = await api.post(URL, headers=headers, **_upload(data, skip_invalid="true"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 1
    assert body["rejected"] == [
        {
            "line": 3,
            "uscc": uscc(2),
            "problems": [{"field": "执业人员数", "message": "'很多' is not a number of people (0–100000)"}],
        }
    ]


async def test_kind_is_checked_and_names_the_choices(
    api: AsyncTestClient,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(api, "admin.zhao")
    response = await api.post(URL, headers=headers, **_upload(EXAMPLE.read_bytes(), kind="builders"))
    assert response.status_code == 422
    assert response.json()["field"] == "kind" and "contractor, intermediary" in response.json()["detail"]


def _env(fresh_database: ClonedDatabase, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_") and k != "DATABASE_URL"}
    return env | {"DATABASE_URL": fresh_database.url, "MARKET_HOME": str(home)}


async def test_cli_import_lists_bad_rows_and_exits_1_then_skips_them_when_told(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    source = tmp_path / "firms.csv"
    source.write_bytes(as_csv([row(1), row(2, 注册地="广州市"), row(3)]))
    env = _env(fresh_database, tmp_path)
    refused = subprocess.run(
        [*REGISTRY_CLI, "import", str(source)], capture_output=True, text=True, timeout=120, env=env
    )
    assert refused.returncode == 1, refused.stderr
    assert f"line 3 ({uscc(2)}): 注册地: '广州市' is not a known division" in refused.stderr
    assert "nothing was imported: 1 of 3 rows are invalid" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert await _count(fresh_database, Organisation) == 0

    skipped = subprocess.run(
        [*REGISTRY_CLI, "import", str(source), "--skip-invalid", "--status", "applied"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "created 2, updated 0, unchanged 0, rejected 1" in skipped.stdout
    rejects = tmp_path / "firms.csv.rejects.csv"
    assert "错误原因" in rejects.read_text(encoding="utf-8-sig")
    assert await _count(fresh_database, Firm) == 2


async def test_cli_reports_an_unknown_header_in_one_line(
    fresh_database: ClonedDatabase, tmp_path: Path
) -> None:
    source = tmp_path / "firms.csv"
    source.write_text("统一社会信用代码,公司名\n91440204MA00000011,某公司\n", encoding="utf-8")
    result = subprocess.run(
        [*REGISTRY_CLI, "import", str(source), "--kind", "contractor"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(fresh_database, tmp_path),
    )
    assert result.returncode == 1
    assert result.stderr.startswith("market: unknown column headers: 公司名;")
    assert "Traceback" not in result.stderr
