"""The working-day calendar over HTTP: administrators import a year, everyone signed in
reads which years are known."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market.models import AuditEntry, Role
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from tests.unit.test_calendar import EXAMPLE_2026, YEAR_2031

URL = "/api/calendar/years"
TOML = {"Content-Type": "application/toml"}


async def test_an_administrator_imports_a_year_and_it_is_listed_with_an_audit_entry(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user,  # type: ignore[no-untyped-def]
    fresh_database: ClonedDatabase,
) -> None:
    admin_id = await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(client, "admin.zhao")
    response = await client.post(URL, content=YEAR_2031.encode(), headers={**headers, **TOML})
    assert response.status_code == 201, response.text
    assert response.json() == {
        "year": 2031,
        "outcome": "created",
        "overrides_library": False,
        "notice": "a test year: not a real notice",
        "days_off": 8,
        "working_weekend_days": 2,
    }
    again = await client.post(URL, content=YEAR_2031.encode(), headers={**headers, **TOML})
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"

    listed = {y["year"]: y for y in (await client.get(URL, headers=headers)).json()}
    assert listed[2031]["source"] == "imported" and listed[2031]["imported_by"] == "admin.zhao"
    assert listed[2031]["imported_at"] == "2026-11-02T01:00:00Z"  # the injected clock
    assert listed[2026]["source"].startswith("chinese_calendar")
    days = (await client.get(f"{URL}/2031", headers=headers)).json()
    assert {"day": "2031-01-19", "holiday": "春节"} in days["working_weekend_days"]

    async with fresh_database.database.sessions() as session:
        entries = (
            await session.execute(
                select(AuditEntry.actor_id, AuditEntry.object_id, AuditEntry.payload).where(
                    AuditEntry.action == "calendar:imported"
                )
            )
        ).all()
    assert len(entries) == 1
    actor_id, object_id, payload = entries[0]
    assert (actor_id, object_id) == (admin_id, "2031")
    assert payload["holidays"]["2031-01-01"] == "元旦"


async def test_importing_2026_overrides_the_library_for_that_year(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.qian", Role.ADMIN)
    headers = await sign_in(client, "admin.qian")
    response = await client.post(URL, content=EXAMPLE_2026.read_bytes(), headers={**headers, **TOML})
    assert response.status_code == 201, response.text
    assert response.json()["overrides_library"] is True
    listed = {y["year"]: y for y in (await client.get(URL, headers=headers)).json()}
    assert listed[2026]["source"] == "imported" and listed[2026]["overrides_library"] is True


async def test_a_bad_file_is_a_422_saying_where_and_writes_nothing(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    await make_user("admin.sun", Role.ADMIN)
    headers = await sign_in(client, "admin.sun")
    bad = YEAR_2031.replace("last = 2031-01-28", "last = 2031-01-18")
    response = await client.post(URL, content=bad.encode(), headers={**headers, **TOML})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["field"] == "holidays[1].last" and "on or after first" in problem["detail"]
    not_utf8 = await client.post(URL, content="year = 2031 # 春节".encode("gb18030"), headers=headers)
    assert not_utf8.status_code == 422 and "UTF-8" in not_utf8.json()["detail"]
    listed = {y["year"] for y in (await client.get(URL, headers=headers)).json()}
    assert 2031 not in listed
    unknown = await client.get(f"{URL}/2031", headers=headers)
    assert unknown.status_code == 404 and "market calendar import" in unknown.json()["detail"]
    assert (await client.get(f"{URL}/99999999999", headers=headers)).status_code == 404  # a path value out of range is "no such year"


async def test_only_administrators_import_and_only_signed_in_users_read(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.post(URL, content=YEAR_2031.encode(), headers=TOML)).status_code == 401
    for username, role in (("owner.wu", Role.OWNER), ("sup.zheng", Role.SUPERVISOR)):
        await make_user(username, role)
        headers = await sign_in(client, username)
        refused = await client.post(URL, content=YEAR_2031.encode(), headers={**headers, **TOML})
        assert refused.status_code == 403 and "admin" in refused.json()["detail"]
        assert (await client.get(URL, headers=headers)).status_code == 200
        assert (await client.get(f"{URL}/2026", headers=headers)).status_code == 200
