from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.models import Role
from market.settings import AuthSettings, Settings
from tests.conftest import ClonedDatabase
from web.app import create_app

PASSWORD = "a long enough password"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def client(
    fresh_database: ClonedDatabase, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = Settings(home=tmp_path, database_url=fresh_database.url, auth=AuthSettings())
    # the app makes its own engine: the test client runs it on its own event loop
    app = create_app(settings, clock=clock, background=True)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def make_user(fresh_database: ClonedDatabase):  # type: ignore[no-untyped-def]
    async def make(username: str, *roles: Role) -> int:
        async with fresh_database.database.unit_of_work() as uow:
            user = await accounts.create_user(
                uow,
                Actor.system("test"),
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=list(roles),
                organisation_id=None,
                auth=AuthSettings(),
            )
            await uow.commit()
            return user.id

    return make


async def sign_in(client: AsyncTestClient, username: str) -> dict[str, str]:  # type: ignore[type-arg]
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # tests choose explicitly between bearer and cookie
    return {"Authorization": f"Bearer {response.json()['token']}"}
