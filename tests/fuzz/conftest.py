"""Fuzz tier: the real app served by uvicorn over real HTTP, on its own clone of the migrated
template, with a signed-in owner, supervisor and administrator, and every traceback the
server logs kept by its incident number so a failing example shows why it failed."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from market import accounts
from market.audit import Actor
from market.db import Database
from market.models import OrganisationKind, Role, UserSession
from market.principal import Principal
from market.settings import AuthSettings, Settings
from tests.award_data import written_award
from tests.bid_data import BID_KEY, _user
from tests.browser.conftest import _ServerThread
from tests.conftest import PgServer, _admin
from tests.delivery_data import works_at_stage
from tests.fuzz import objection_world
from tests.fuzz.award_world import populate_awards
from tests.registry_data import VOCABULARY, admitted_firm, contractor, intermediary

PASSWORD = "a long enough password"
SPARE_SESSIONS = 200  # per principal, more than the logout examples of a run
PRINCIPALS = {"owner": Role.OWNER, "supervisor": Role.SUPERVISOR, "admin": Role.ADMIN}


class IncidentLog(logging.Handler):
    """Keeps each unhandled error's traceback under the incident number its 500 quotes."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.setFormatter(logging.Formatter("%(message)s"))
        self.tracebacks: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        incident = str(record.args[0]) if isinstance(record.args, tuple) and record.args else "?"
        self.tracebacks[incident] = self.format(record)


@dataclass
class FuzzTarget:
    url: str
    headers: dict[str, dict[str, str]]
    user_ids: dict[str, int]
    victim_id: int
    incidents: IncidentLog
    spare_sessions: dict[str, list[str]] = field(default_factory=dict)

    calls: int = 0
    report: Path | None = None

    def record_failure(self, who: str, request: str, trace: str) -> None:
        """With MARKET_FUZZ_REPORT set, every failing request and its traceback is appended
        there (a run keeps going past the first failure of each operation's examples)."""
        if self.report is not None:
            with self.report.open("a", encoding="utf-8") as out:
                out.write(f"=== {who}\n{request}\n{trace}\n\n")

    def throwaway_session(self, who: str) -> dict[str, str]:
        """A session of ``who`` that may be ended (by logging out) without ending theirs."""
        spare = self.spare_sessions[who]
        return {"Authorization": f"Bearer {spare.pop()}"} if spare else {}


async def _populate(database: Database) -> tuple[dict[str, int], int]:
    """The principals, a user for the administrator's changes to land on, a few firms and
    organisations so that small ids address real rows, and objections for the owner to answer
    and a supervisor to decide (:mod:`tests.fuzz.objection_world`)."""
    system = Actor.system("fuzz")
    ids: dict[str, int] = {}
    async with database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow,
            system,
            kind=OrganisationKind.OWNER,
            name="韶关市浈江区住房和城乡建设管理局",
            uscc="11440200MB2C12340D",
            address="韶关市",
            contact_phone="",
        )
        for who, role in {**PRINCIPALS, "victim": Role.OWNER}.items():
            user = await accounts.create_user(
                uow,
                system,
                username=f"fuzz.{who}",
                display_name=who,
                password=PASSWORD,
                roles=[role],
                organisation_id=org.id if role is Role.OWNER else None,
                auth=AuthSettings(),
            )
            ids[who] = user.id
        owner_org = org.id
        await uow.commit()
    # the same three firms serve every world below: two contractors, one intermediary
    builders = [await admitted_firm(database, contractor(serial)) for serial in (810_001, 810_002)]
    agency = await admitted_firm(database, intermediary(810_003))
    await objection_world.populate(database, ids["owner"], org.id, [agency, *builders])
    buyer = Principal(ids["owner"], "fuzz.owner", "owner", frozenset({Role.OWNER}), owner_org)
    await _after_the_award(database, buyer, builders[0])
    await populate_awards(database, "fuzz.owner", str(contractor(810_001)["uscc"]))
    # a procurement with a result, so that its award and documents are read, not only 404s
    await written_award(database, buyer, agency, now=datetime.now(UTC))
    return {k: v for k, v in ids.items() if k != "victim"}, ids["victim"]


async def _after_the_award(database: Database, buyer: Principal, firm_id: int) -> None:
    """The owner's small works at each step after the contract (ids 1, 2, …: delivered,
    accepted, evaluated, objected to), so that the delivery, acceptance and evaluation
    operations' small ids reach their rules rather than a 404."""
    builder = await _user(database, firm_id, Role.CONTRACTOR)
    for stage in ("delivered", "accepted", "evaluated", "objected"):
        await works_at_stage(
            database, buyer, builder, stage, now=datetime.now(UTC), vocabulary=VOCABULARY, bid_key=BID_KEY
        )


async def _open_sessions(database: Database, user_ids: dict[str, int], count: int) -> dict[str, list[str]]:
    """Sessions opened as a login opens them, without a login: once the fuzzer's wrong
    passwords have the address rate-limited, logging in is no longer a way to get one."""
    tokens: dict[str, list[str]] = {
        who: [secrets.token_urlsafe(32) for _ in range(count)] for who in user_ids
    }
    expires = datetime.now(UTC) + timedelta(hours=12)
    async with database.unit_of_work() as uow:
        uow.session.add_all(
            UserSession(token_hash=accounts.token_digest(token), user_id=user_ids[who], expires_at=expires)
            for who, batch in tokens.items()
            for token in batch
        )
        await uow.commit()
    return tokens


@pytest.fixture(scope="session")
async def fuzz_target(
    test_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FuzzTarget]:
    name = f"market_f_{uuid.uuid4().hex[:10]}"
    await _admin(test_server.base_url, f'CREATE DATABASE "{name}" TEMPLATE "{test_server.template}"')
    url = test_server.url(name)
    home: Path = tmp_path_factory.mktemp("market-fuzz-home")
    incidents = IncidentLog()
    logging.getLogger("market.web").addHandler(incidents)
    server: _ServerThread | None = None
    try:
        database = Database.connect(url, pool_size=1)
        try:
            user_ids, victim_id = await _populate(database)
            spare_sessions = await _open_sessions(database, user_ids, SPARE_SESSIONS)
        finally:
            await database.dispose()
        server = _ServerThread(
            lambda port: Settings(
                home=home, database_url=url, public_url=f"http://127.0.0.1:{port}", render_workers=1
            )
        )
        await server.start()
        target = FuzzTarget(
            f"http://127.0.0.1:{server.port}", {}, user_ids, victim_id, incidents, spare_sessions
        )
        target.headers = {"anonymous": {}}
        target.headers.update({who: target.throwaway_session(who) for who in PRINCIPALS})
        if os.environ.get("MARKET_FUZZ_REPORT"):
            target.report = Path(os.environ["MARKET_FUZZ_REPORT"])
        yield target
        print(f"\nfuzz tier: {target.calls} requests")
    finally:
        logging.getLogger("market.web").removeHandler(incidents)
        if server is not None:
            server.stop()
        await _admin(test_server.base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
