"""The world the access matrix runs in: one database and one app shared by every cell, with
a principal of each kind and the real objects their requests address."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from contracts import DocumentKind
from contracts.samples import CONTRACTOR, INTERMEDIARY, OWNER, sample_document
from market import accounts, documents
from market.audit import Actor
from market.db import Database
from market.document_office import DocumentOffice
from market.models import OrganisationKind, Role
from market.settings import AuthSettings, Settings
from tests.conftest import PgServer, _admin
from tests.registry_data import contractor, intermediary, uscc
from web.app import create_app

PASSWORD = "a long enough password"
ANONYMOUS, OWNER_P, OTHER_OWNER, INTERMEDIARY_P, CONTRACTOR_P, APPLICANT, SUPERVISOR, ADMIN = (
    "anonymous",
    "owner",
    "other_owner",
    "intermediary",
    "contractor",
    "applicant",
    "supervisor",
    "admin",
)
PRINCIPALS = (ANONYMOUS, OWNER_P, OTHER_OWNER, INTERMEDIARY_P, CONTRACTOR_P, APPLICANT, SUPERVISOR, ADMIN)
USERNAMES = {
    OWNER_P: "m.owner",
    OTHER_OWNER: "m.owner2",
    INTERMEDIARY_P: "m.agency",
    CONTRACTOR_P: "m.builder",
    APPLICANT: "m.applicant",
    SUPERVISOR: "m.supervisor",
    ADMIN: "m.admin",
}
Client = AsyncTestClient  # type: ignore[type-arg]


@dataclass
class World:
    client: Client
    database: Database
    headers: dict[str, dict[str, str]]
    openapi: dict[str, Any]
    owner_org: int
    spare_org: int
    target_user: int
    contractor_firm: int
    applicant_firm: int
    spare_firm: int
    document: str
    pdf: bytes
    template: int
    serials: dict[str, int] = field(default_factory=dict)
    # objects the row modules (tests/e2e/access_*.py) add in their setup(), by name
    extras: dict[str, Any] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return self.headers.get(who, {})

    def serial(self, who: str) -> int:
        """A number no other cell uses, for unique USCCs and user names."""
        self.serials[who] = self.serials.get(who, 0) + 1
        return 700_000 + 1000 * PRINCIPALS.index(who) + self.serials[who]

    async def sign_in(self, username: str) -> dict[str, str]:
        response = await self.client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.client.cookies.clear()  # every cell chooses: a bearer token or nothing
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def call(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=self.auth(who), **kwargs)
        self.client.cookies.clear()
        return response

    async def ok(self, method: str, path: str, who: str = ADMIN, **kwargs: Any) -> Any:
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def application(raw: dict[str, Any], username: str) -> dict[str, Any]:
    return {"firm": raw, "account": {"username": username, "display_name": "经办人", "password": PASSWORD}}


async def _make_users(database: Database) -> dict[str, int]:
    """Owner organisations (the first is the 甲方 of the sample contract), staff users and a
    user for the administrators' requests to act on."""
    made: dict[str, int] = {}
    async with database.unit_of_work() as uow:
        system = Actor.system("test")

        async def org(name: str, code: str) -> int:
            row = await accounts.create_organisation(
                uow,
                system,
                kind=OrganisationKind.OWNER,
                name=name,
                uscc=code,
                address="韶关市",
                contact_phone="",
            )
            return row.id

        made["owner_org"] = await org(OWNER.name, OWNER.uscc)
        made["other_org"] = await org("韶关市武江区交通运输局", uscc(610_001))
        made["spare_org"] = await org("韶关市曲江区水务局", uscc(610_002))
        users = [
            (USERNAMES[OWNER_P], [Role.OWNER], made["owner_org"]),
            (USERNAMES[OTHER_OWNER], [Role.OWNER], made["other_org"]),
            (USERNAMES[SUPERVISOR], [Role.SUPERVISOR], None),
            (USERNAMES[ADMIN], [Role.ADMIN], None),
            ("m.target", [Role.OWNER, Role.CONTRACTOR], None),
        ]
        for username, roles, organisation_id in users:
            user = await accounts.create_user(
                uow,
                system,
                username=username,
                display_name=username,
                password=PASSWORD,
                roles=roles,
                organisation_id=organisation_id,
                auth=AuthSettings(),
            )
            made[username] = user.id
        await uow.commit()
    return made


TEMPLATE_SOURCE = (
    "<h1>{{ document.title }}</h1>\n<p>{{ procurement.reference }} {{ winner.name }}</p>\n"
    '<div id="platform-seal"></div>\n'
)


METRICS_TOKEN = "matrix-operator-token-2026"


async def build_world(test_server: PgServer, home: Path) -> AsyncIterator[World]:
    name = f"market_m_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(name)
    database = Database.connect(url, pool_size=2)
    try:
        made = await _make_users(database)
        # with an operator's token set, /metrics is for that token only: every principal gets 401
        settings = Settings(
            home=home,
            database_url=url,
            auth=AuthSettings(),
            render_workers=1,
            metrics_token=METRICS_TOKEN,
            # every principal checks uploads and checkpoints from one address: the per-address
            # limit (tests/e2e/test_document_access.py) would turn late cells into 429s
            verify_rate_per_minute=0,
        )
        async with AsyncTestClient(app=create_app(settings, background=False)) as client:
            world = await _populate(client, database, made, home)
            yield world
    finally:
        await database.dispose()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _owner_contract(database: Database, home: Path, owner_org: int) -> str:
    """The sample service contract, issued for the owner principal's organisation (甲方) the
    way the platform issues a procurement's documents; its reference is no platform
    procurement's, so the issuer-based rules apply to it."""
    office = DocumentOffice(Settings(home=home, render_workers=1))
    try:
        async with database.unit_of_work() as uow:
            row = await documents.issue_for_procurement(
                uow, Actor.system("test"), office, sample_document(DocumentKind.SERVICE_CONTRACT), owner_org
            )
            await uow.commit()
            return row.id
    finally:
        office.close()


async def _populate(client: Client, database: Database, made: dict[str, int], home: Path) -> World:
    probe = World(client, database, {}, {}, 0, 0, 0, 0, 0, 0, "", b"", 0)
    # rendering (a worker process starting, then WeasyPrint) overlaps the rest of the set-up
    issuing = asyncio.create_task(_owner_contract(database, home, made["owner_org"]))
    firms = {
        INTERMEDIARY_P: intermediary(610_101, uscc=INTERMEDIARY.uscc, name=INTERMEDIARY.name),
        CONTRACTOR_P: contractor(610_102, uscc=CONTRACTOR.uscc, name=CONTRACTOR.name),
        APPLICANT: contractor(610_103),
        "spare": contractor(610_104),
    }
    ids: dict[str, int] = {}
    for who, raw in firms.items():
        username = USERNAMES.get(who, "m.spare")
        body = await probe.ok(
            "POST", "/api/registry/applications", ANONYMOUS, json=application(raw, username)
        )
        ids[who] = int(body["firm_id"])
    for who, username in USERNAMES.items():
        probe.headers.setdefault(who, await probe.sign_in(username))
    headers = probe.headers
    for who in (INTERMEDIARY_P, CONTRACTOR_P):
        await probe.ok("POST", f"/api/firms/{ids[who]}/decisions", json={"decision": "admit"})
    template = await probe.ok(
        "POST", "/api/templates", json={"kind": "result_notice", "name": "matrix", "source": TEMPLATE_SOURCE}
    )
    document = await issuing
    pdf = await client.get(f"/api/documents/{document}/pdf", headers=headers[ADMIN])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    openapi = (await client.get("/schema/openapi.json")).json()
    return World(
        client=client,
        database=database,
        headers=headers,
        openapi=openapi,
        owner_org=made["owner_org"],
        spare_org=made["spare_org"],
        target_user=made["m.target"],
        contractor_firm=ids[CONTRACTOR_P],
        applicant_firm=ids[APPLICANT],
        spare_firm=ids["spare"],
        document=document,
        pdf=pdf.content,
        template=int(template["id"]),
    )
