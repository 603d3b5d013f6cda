"""A browser module's own app: a clone of the template database, the platform served on its
own port with the module's :class:`FixedClock` (the shared live app runs on the system clock;
these tests move time across deadlines, windows and limits), the scheduler off (the tests run
the lifecycle and issue the notices themselves, at their times), and a :class:`Database` on
the clone for the tests' own set-up."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from market.clock import FixedClock
from market.db import Database
from market.sealed.keys import KeyEncryptionKey
from market.settings import Settings
from tests.browser.conftest import PASSWORD, _ServerThread
from tests.conftest import PgServer, _admin
from web.state import AppState


@dataclass
class OwnApp:
    url: str
    home: Path
    database: Database
    clock: FixedClock
    bid_key: KeyEncryptionKey  # the served app's, to seal bids the way it opens them


@asynccontextmanager
async def own_app(
    test_server: PgServer,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    starts_at: datetime,
    **settings: Any,
) -> AsyncIterator[OwnApp]:
    """The app of the module ``name`` (a few letters), its clock at ``starts_at``; ``settings``
    are further :class:`Settings` fields (``auth=…``)."""
    database_name = f"market_{name}_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{database_name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(database_name)
    home = tmp_path_factory.mktemp(f"market-{name}-home")
    clock = FixedClock(starts_at.astimezone(UTC))
    database = Database.connect(url, pool_size=2)
    server: _ServerThread | None = None
    try:
        server = _ServerThread(
            lambda port: Settings(
                home=home, database_url=url, public_url=f"http://127.0.0.1:{port}", render_workers=1,
                scheduler_enabled=False, **settings,
            ),
            clock=clock,
        )  # fmt: skip
        await server.start()
        bid_key = AppState.of(server.app).bid_key()
        yield OwnApp(f"http://127.0.0.1:{server.port}", home, database, clock, bid_key)
    finally:
        if server is not None:
            server.stop()
        await database.dispose()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


async def sign_in(page: Page, username: str, *, at: str = "/login", lands: str | None = None) -> None:
    """Through the sign-in form at ``at`` (the login page, or a page that asks for it), with
    the tests' password; then on a page matching ``lands`` (a pattern), or off the login page."""
    await page.goto(at)
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    if lands is None:
        await expect(page).not_to_have_url(re.compile(r"/login"))
    else:
        await expect(page).to_have_url(re.compile(lands))
    # the URL changes when the navigation commits, before the page's deferred scripts run: a
    # click right away could find no handler yet (the draw page's secret was not made once)
    await page.wait_for_load_state()
