"""Supervision data over HTTP: a supervisor lists selection records; a reversed, absurd or
malformed period is a 422 naming it; anyone else is refused with 403 and the attempt is in
the audit log."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from market.models import AuditEntry, Role
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in


async def test_supervisors_list_and_a_bad_period_is_named(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
) -> None:
    await make_user("sup.chen", Role.SUPERVISOR)
    headers = await sign_in(client, "sup.chen")
    listed = await client.get("/api/supervision/records", params={"period": "2026"}, headers=headers)
    assert listed.status_code == 200 and listed.json()["total"] == 0
    assert listed.json()["since"] == "2026-01-01" and listed.json()["until"] == "2026-12-31"
    for params, field in (
        ({"since": "2026-12-01", "until": "2026-01-01"}, "reversed"),
        ({"since": "1900-01-01", "until": "2026-01-01"}, "2000"),
        ({"period": "2026-Q7"}, "quarter"),
        ({"since": "2026-01-01"}, "go together"),
        ({"kind": "goods"}, "unknown kind"),
        ({"outcome": "won"}, "outcome"),
        ({"firm": "abc"}, "USCC"),
    ):
        response = await client.get("/api/supervision/records", params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        assert field in response.text
    missing = await client.post("/api/supervision/records/123456/replay", headers=headers)
    assert missing.status_code == 404


async def test_anyone_else_is_refused_and_the_attempt_is_audited(
    client: AsyncTestClient,  # type: ignore[type-arg]
    make_user: Any,
    fresh_database: ClonedDatabase,
) -> None:
    await make_user("admin.sun", Role.ADMIN)
    headers = await sign_in(client, "admin.sun")
    refused = await client.get("/api/supervision/records", headers=headers)
    assert refused.status_code == 403 and "supervisors" in refused.text
    anonymous = await client.get("/api/supervision/records")
    assert anonymous.status_code == 401
    async with fresh_database.database.sessions() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "supervision:refused"))
        )
    assert [(e.actor_label, e.payload["path"]) for e in entries] == [
        ("admin.sun", "/api/supervision/records")
    ]
