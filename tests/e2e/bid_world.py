"""A procurement with sealed bids, built through the API, for the secrecy, deadline and
"done when" tests of issue 11: an owner, a supervisor, an administrator, admitted
intermediary firms each with one user, and the calls each of them makes.

Quotes are given with distinctive digit strings so that a dump, a log or an answer can be
searched for them; the firms' names and USCCs are distinctive too.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from market import accounts, lifecycle
from market.audit import Actor
from market.clock import FixedClock, local
from market.db import Database
from market.models import Organisation, OrganisationKind, Role, User, UserRole, UserSession
from market.procurement.draft_input import terms_json
from market.procurement.terms import load_procurement_terms
from market.sealed.keys import KeyEncryptionKey, load_kek
from market.settings import AuthSettings, Settings
from tests import draw_data
from tests.registry_data import VOCABULARY, admitted_firm, intermediary, uscc
from tests.unit.procurement.conftest import service_draft

PASSWORD = "a long enough password"
TERMS = load_procurement_terms()
Client = AsyncTestClient  # type: ignore[type-arg]


def bid_settings(home: Path, database_url: str) -> Settings:
    """The app's settings for these tests: sessions outlive the weeks the injected clock is
    moved forward (a bidder signs in once and bids until the opening)."""
    return Settings(home=home, database_url=database_url, auth=AuthSettings(session_hours=24 * 40))


@dataclass(frozen=True, slots=True)
class Firm:
    firm_id: int
    user_id: int
    username: str
    name: str
    uscc: str


@dataclass
class BidWorld:
    client: Client
    database: Database
    clock: FixedClock
    home: Path
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    firms: list[Firm] = field(default_factory=list)
    owner_org: int = 0

    @property
    def kek(self) -> KeyEncryptionKey:
        return load_kek(self.home)  # the file the app made at start, under its MARKET_HOME

    async def call(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=self.headers.get(who, {}), **kwargs)
        self.client.cookies.clear()
        return response

    async def ok(self, method: str, path: str, who: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, who, **kwargs)
        assert response.status_code < 300, f"{method} {path} as {who}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def sign_in(self, who: str, username: str) -> None:
        response = await self.client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        self.headers[who] = {"Authorization": f"Bearer {response.json()['token']}"}


async def _user(database: Database, username: str, role: Role, organisation_id: int | None) -> int:
    async with database.unit_of_work() as uow:
        user = await accounts.create_user(
            uow,
            Actor.system("test"),
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=[role],
            organisation_id=organisation_id,
            auth=AuthSettings(),
        )
        await uow.commit()
        return user.id


FIRM_NAMES = ("粤北琢衡工程造价咨询有限公司", "韶州汇鼎工程咨询有限公司", "丹霞睿诚造价师事务所有限公司")


def firm_name(index: int) -> str:
    return FIRM_NAMES[index] if index < len(FIRM_NAMES) else f"韶关市竞价测试造价咨询有限公司{index:03d}"


async def populate(world: BidWorld, firms: int, *, quick_sessions: bool = False) -> None:
    """The owner (业主), a supervisor, an administrator, and ``firms`` admitted cost-consulting
    firms of Shaoguan, each with one signed-in intermediary. ``quick_sessions`` opens the
    intermediaries' sessions by writing their rows, as a login does, without a password
    check each (argon2 is slow by design; a hundred of them would dominate a test)."""
    database = world.database
    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.OWNER, name="韶关市交通运输局", uscc=uscc(990_001))
        uow.session.add(org)
        await uow.session.flush()
        await uow.commit()
        world.owner_org = org.id
    await _user(database, "s.owner", Role.OWNER, world.owner_org)
    await _user(database, "s.supervisor", Role.SUPERVISOR, None)
    await _user(database, "s.admin", Role.ADMIN, None)
    for who in ("owner", "supervisor", "admin"):
        await world.sign_in(who, f"s.{who}")
    for index in range(firms):
        code = uscc(880_000 + index)
        raw = intermediary(880_000 + index, name=firm_name(index), uscc=code)
        firm_id = await admitted_firm(database, raw, now=world.clock.now() - timedelta(days=30))
        username = f"s.agent{index}"
        if quick_sessions:
            user_id = await _quick_user(world, username, firm_id)
        else:
            user_id = await _user(database, username, Role.INTERMEDIARY, firm_id)
            await world.sign_in(username, username)
        world.firms.append(Firm(firm_id, user_id, username, firm_name(index), code))


async def _quick_user(world: BidWorld, username: str, firm_id: int) -> int:
    token = secrets.token_urlsafe(32)
    now = world.clock.now()
    async with world.database.unit_of_work() as uow:
        user = User(
            username=username,
            display_name=username,
            password_hash="!",  # no password: this user only ever uses the session below
            organisation_id=firm_id,
            roles=[UserRole(role=Role.INTERMEDIARY)],
        )
        uow.session.add(user)
        await uow.session.flush()
        uow.session.add(
            UserSession(
                token_hash=accounts.token_digest(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(days=60),
                client_address="127.0.0.1",
            )
        )
        await uow.commit()
    world.headers[username] = {"Authorization": f"Bearer {token}"}
    return user.id


# -- the owner's procurement -----------------------------------------------------------------------------
def draft_json(deadline: datetime, **changes: Any) -> dict[str, Any]:
    """An intermediary-service draft of the owner (造价咨询), closing at ``deadline``."""
    draft = service_draft(bid_deadline=deadline, selection_time=deadline + timedelta(hours=5), **changes)
    return terms_json(draft)


async def published_procurement(world: BidWorld, deadline: datetime) -> dict[str, Any]:
    draft = await world.ok("POST", "/api/procurements", "owner", json=draft_json(deadline))
    reserved = await world.ok("POST", f"/api/procurements/{draft['id']}/reference", "owner")
    body = draw_data.publish_json(reserved["reference"])
    return dict(await world.ok("POST", f"/api/procurements/{draft['id']}/publish", "owner", json=body))


# -- bids --------------------------------------------------------------------------------------------------
def quote(amount: Decimal) -> dict[str, Any]:
    return {"mode": "amount", "value": str(amount)}


async def submit(world: BidWorld, who: str, procurement_id: int, amount: Decimal) -> Any:
    return await world.call(
        "POST", "/api/bids", who, json={"procurement_id": procurement_id, "quote": quote(amount)}
    )


async def replace(world: BidWorld, who: str, bid_id: int, amount: Decimal) -> Any:
    return await world.call("PUT", f"/api/bids/{bid_id}", who, json={"quote": quote(amount)})


async def withdraw(world: BidWorld, who: str, bid_id: int) -> Any:
    return await world.call("POST", f"/api/bids/{bid_id}/withdraw", who)


async def reconfirm(world: BidWorld, who: str, bid_id: int) -> Any:
    return await world.call("POST", f"/api/bids/{bid_id}/confirm", who)


async def run_lifecycle(world: BidWorld, now: datetime) -> bool:
    """What the scheduler's job does at ``now``: close bidding and open the bids of every
    procurement whose deadline has passed; whether it opened any."""
    advanced = await lifecycle.advance(world.database, world.kek, now, vocabulary=VOCABULARY, terms=TERMS)
    return bool(advanced.opened)


# -- searching what someone could read -----------------------------------------------------------------------
def digit_forms(amount: Decimal) -> list[str]:
    """The ways a quote's digits could show: as typed, without the point, with thousands
    separators, and as the hex of its text (a bytea column in a dump)."""
    text = f"{amount:.2f}"
    whole, _, cents = text.partition(".")
    grouped = f"{int(whole):,}.{cents}"
    return [text, whole + cents, grouped, text.encode().hex()]


HEX_RUN = re.compile(r"\\x[0-9a-f]+|[0-9a-f]{32,}")


def leaks(text: str, amounts: Iterable[Decimal], words: Iterable[str]) -> list[str]:
    """Which quotes (in any of their digit forms) and words occur in ``text``. The quote's
    whole-yuan digits alone are searched outside hexadecimal runs (ciphertexts, hashes), where
    six given digits would turn up by chance."""
    found = []
    plain = HEX_RUN.sub(" ", text)
    for amount in amounts:
        for form in digit_forms(amount):
            if form in text:
                found.append(f"quote {amount} as {form!r}")
        whole = f"{amount:.2f}".partition(".")[0]
        if whole in plain:
            found.append(f"quote {amount}: its digits {whole}")
    found += [f"{word!r}" for word in words if word and word in text]
    return found


def local_text(moment: datetime) -> str:
    return f"{local(moment):%Y-%m-%d %H:%M}"
