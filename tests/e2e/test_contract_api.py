"""The contract's bad input over HTTP (issue 13): each refusal is a 4xx problem naming the
problem — before a draft, the firm before the owner, a stale digest, twice, late, terms not
the owner's or not adding up — and nothing is written; after the limit the owner passes the
award on (here nobody is left: 流标)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.models import Organisation, OrganisationKind, Role
from market.principal import Principal
from market.settings import AuthSettings, Settings
from tests.award_flow import awarded_works
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import admitted_firm, contractor
from web.app import create_app

PROBLEM = "application/problem+json"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TERMS: dict[str, Any] = {
    "term": {"start": "2027-01-10", "end": "2027-04-30"},
    "scope": "村道硬底化约1.2公里，含排水沟。",
    "site": "韶关市浈江区犁市镇",
    "project_manager": "邓国华",
    "payments": [{"description": "竣工验收合格后", "percent": "100"}],
}


@dataclass
class Parties:
    client: AsyncTestClient  # type: ignore[type-arg]
    clock: FixedClock
    owner: dict[str, str]
    firm: dict[str, str]
    procurement_id: int
    due: datetime


async def _user(fresh: ClonedDatabase, username: str, role: Role, organisation_id: int) -> Principal:
    async with fresh.database.unit_of_work() as uow:
        user = await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name=username, password=PASSWORD,
            roles=[role], organisation_id=organisation_id, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()
        return Principal(user.id, username, username, frozenset({role}), organisation_id)


@pytest.fixture
async def parties(fresh_database: ClonedDatabase, tmp_path: Any) -> AsyncIterator[Parties]:
    async with fresh_database.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name="韶关市浈江区交通运输局",
            uscc="11440200MB2C12340D", address="韶关市浈江区解放路128号", contact_phone="",
        )  # fmt: skip
        await uow.session.execute(
            update(Organisation).where(Organisation.id == org.id).values(representative="李建国")
        )
        await uow.commit()
        org_id = org.id
    firm_id = await admitted_firm(fresh_database.database, contractor(955_001))
    buyer = await _user(fresh_database, "owner.chen", Role.OWNER, org_id)
    await _user(fresh_database, "builder.liu", Role.CONTRACTOR, firm_id)
    procurement_id, _ = await awarded_works(fresh_database.database, buyer, firm_id, NOW)
    clock = FixedClock(NOW + timedelta(hours=1))
    settings = Settings(home=tmp_path, database_url=fresh_database.url, render_workers=1)
    async with AsyncTestClient(app=create_app(settings, clock=clock, background=False)) as client:
        owner = await sign_in(client, "owner.chen")
        firm = await sign_in(client, "builder.liu")
        yield Parties(client, clock, owner, firm, procurement_id, NOW + timedelta(days=30))


async def _refused(p: Parties, path: str, who: dict[str, str], body: Any, status: int) -> dict[str, Any]:
    before = (await p.client.get(f"/api/procurements/{p.procurement_id}/contract", headers=p.owner)).json()
    response = await p.client.post(f"/api/procurements/{p.procurement_id}{path}", json=body, headers=who)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    after = (await p.client.get(f"/api/procurements/{p.procurement_id}/contract", headers=p.owner)).json()
    assert after == before  # nothing written
    return response.json()  # type: ignore[no-any-return]


async def test_every_wrong_confirmation_is_a_4xx_naming_the_problem_with_nothing_written(
    parties: Parties,
) -> None:
    p = parties
    confirm = "/contract/confirm"
    nothing = await _refused(p, confirm, p.firm, {"digest": "a" * 64}, 409)
    assert nothing["reason"] == "no_draft" and "not drafted" in nothing["detail"]

    missing = await _refused(p, "/contract", p.owner, {k: v for k, v in TERMS.items() if k != "site"}, 422)
    assert missing["field"] == "site"
    short = await _refused(
        p, "/contract", p.owner, {**TERMS, "payments": [{"description": "一次付清", "percent": "90"}]}, 422
    )
    assert short["field"] == "payments" and "100" in short["detail"]
    foreign = await _refused(p, "/contract", p.owner, {**TERMS, "deliverables": "报告"}, 422)
    assert foreign["field"] == "deliverables"
    await _refused(p, "/contract", p.owner, {**TERMS, "amount": "1.00"}, 400)  # not a field of the terms
    await _refused(p, "/contract", p.firm, TERMS, 403)

    drafted = await p.client.post(
        f"/api/procurements/{p.procurement_id}/contract", json=TERMS, headers=p.owner
    )
    assert drafted.status_code == 201, drafted.text
    digest = drafted.json()["digest"]
    assert drafted.json()["data"]["contractor"]["name"] and drafted.json()["sequence"] == 1

    first = await _refused(p, confirm, p.firm, {"digest": digest}, 409)
    assert first["reason"] == "owner_first"
    stale = await _refused(p, confirm, p.owner, {"digest": "b" * 64}, 409)
    assert stale["reason"] == "stale" and stale["current_digest"] == digest
    await _refused(p, confirm, p.owner, {"digest": "not a digest"}, 400)
    ok = await p.client.post(
        f"/api/procurements/{p.procurement_id}{confirm}", json={"digest": digest}, headers=p.owner
    )
    assert ok.status_code == 200 and ok.json()["owner_confirmed_at"] is not None
    twice = await _refused(p, confirm, p.owner, {"digest": digest}, 409)
    assert twice["reason"] == "twice"
    early = await _refused(p, "/reassign", p.owner, {"reason": "乙方未确认"}, 409)
    assert early["reason"] == "in_time"

    p.clock.current = p.due
    p.owner, p.firm = (
        await sign_in(p.client, "owner.chen"),
        await sign_in(p.client, "builder.liu"),
    )  # a month on
    late = await _refused(p, confirm, p.firm, {"digest": digest}, 409)
    assert late["reason"] == "late" and "2026-12-31 10:00" in late["detail"]  # the limit, in China time
    page = await p.client.get("/my/awards", headers=p.firm)
    assert page.status_code == 200 and "已逾期：采购人可另行确定中选单位" in page.text  # the firm is told
    await _refused(p, "/reassign", p.firm, {"reason": "x"}, 403)
    passed = await p.client.post(
        f"/api/procurements/{p.procurement_id}/reassign",
        json={"reason": "中选单位逾期未确认合同"},
        headers=p.owner,
    )
    assert passed.status_code == 200, passed.text
    assert passed.json() == {
        "procurement_id": p.procurement_id,
        "status": "failed",
        "award_id": None,
        "uscc": None,
    }
    awards = await p.client.get("/api/my/awards", headers=p.firm)
    [mine] = awards.json()["items"]
    assert mine["ended_reason"] == "replaced" and mine["next_step"] == "ended"
