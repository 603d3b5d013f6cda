"""Browser tier: the real app served by uvicorn over real HTTP on 127.0.0.1, driven by
Debian's headless Chromium through Playwright.

One server (on its own clone of the migrated template) and one browser serve the whole
session; each test gets a fresh browser context, so cookies and history never leak.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from contracts import DocumentKind, canonical_json
from contracts.samples import sample_document
from market import accounts
from market.audit import Actor
from market.clock import Clock
from market.db import Database
from market.models import Role
from market.settings import AuthSettings, Settings
from tests.conftest import PgServer, _admin
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium keeps dialling Google services,
# which this machine's closed network refuses; QUIC and the GPU are off for the same calm.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long enough password"
OWNER = "owner.browser"
ADMIN = "admin.browser"  # issues the sample documents: free-form issuing is for administrators


@dataclass(frozen=True)
class LiveApp:
    """The running platform: its address and a way to act through its API."""

    url: str
    settings: Settings

    async def sign_in(self, username: str = OWNER) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def issue(self, kind: DocumentKind, headers: dict[str, str]) -> dict[str, Any]:
        """Issue the sample document of ``kind`` the way a client of the API does."""
        data = json.loads(canonical_json(sample_document(kind)))["data"]
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
            response = await client.post(
                "/api/documents", json={"kind": kind.value, "data": data}, headers=headers
            )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def pdf(self, document_id: str, headers: dict[str, str]) -> bytes:
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.get(f"/api/documents/{document_id}/pdf", headers=headers)
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"%PDF")
        return response.content


class _ServerThread:
    """uvicorn on its own thread and event loop; the socket is bound before the thread
    starts so the port is known (for ``public_url``) and cannot be taken meanwhile."""

    def __init__(self, settings_for: Callable[[int], Settings], clock: Clock | None = None) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        self.settings = settings_for(self.port)
        self.app = create_app(self.settings, clock=clock)
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name="browser-tier-uvicorn",
            daemon=True,
        )

    async def start(self) -> None:
        self.thread.start()
        for _ in range(1500):  # up to ~30 s for the lifespan to come up
            if self.server.started:
                return
            if not self.thread.is_alive():
                break
            await asyncio.sleep(0.02)
        raise RuntimeError("uvicorn did not start serving the app; see the log above")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()


async def _create_user(url: str, username: str, role: Role) -> None:
    database = Database.connect(url, pool_size=1)
    try:
        async with database.unit_of_work() as uow:
            await accounts.create_user(
                uow,
                Actor.system("test"),
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=[role],
                organisation_id=None,
                auth=AuthSettings(),
            )
            await uow.commit()
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
async def live_app(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveApp]:
    # A session-wide clone rather than ``fresh_database``: starting the server, the render
    # worker and the development seal once keeps the tier to seconds. Tests only add
    # documents and address them by id, so sharing the database is safe.
    name = f"market_b_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(name)
    home = tmp_path_factory.mktemp("market-browser-home")
    server: _ServerThread | None = None
    try:
        await _create_user(url, OWNER, Role.OWNER)
        await _create_user(url, ADMIN, Role.ADMIN)
        server = _ServerThread(
            lambda port: Settings(
                home=home, database_url=url, public_url=f"http://127.0.0.1:{port}", render_workers=1
            )
        )
        await server.start()
        yield LiveApp(url=f"http://127.0.0.1:{server.port}", settings=server.settings)
    finally:
        if server is not None:
            server.stop()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    # Fail, never skip: a missing browser must not turn this tier silently green.
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): the browser tests need Debian's chromium package. "
            "Run `make test`, which installs it (or `apt-get install -y chromium`).",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium_executable: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(chromium_executable), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser, live_app: LiveApp) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=live_app.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


@dataclass(frozen=True)
class IssuedContract:
    document: dict[str, Any]
    pdf: bytes


@pytest.fixture(scope="session")
async def service_contract(live_app: LiveApp) -> IssuedContract:
    """One service contract (中介服务合同) issued through the API, with its sealed PDF."""
    headers = await live_app.sign_in(ADMIN)
    document = await live_app.issue(DocumentKind.SERVICE_CONTRACT, headers)
    return IssuedContract(document, await live_app.pdf(document["id"], headers))


@pytest.fixture
def issue(live_app: LiveApp) -> Callable[[DocumentKind], Awaitable[dict[str, Any]]]:
    async def issue(kind: DocumentKind) -> dict[str, Any]:
        return await live_app.issue(kind, await live_app.sign_in(ADMIN))

    return issue


@pytest.fixture
def pdf_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    """Write bytes to a file the page's file input can pick, as a user's download would be."""

    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write
