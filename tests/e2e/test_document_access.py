"""Documents belong to their parties, applicants see only their application, and the public
check of uploaded copies is rate-limited — through HTTP, on a real database, with real
rendering (kept to a few documents: each takes a second or two)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from contracts import DocumentKind, canonical_json
from contracts.samples import CONTRACTOR, OWNER, sample_document
from market import accounts, documents
from market.audit import Actor
from market.clock import FixedClock
from market.document_office import DocumentOffice
from market.models import IssuedDocument, OrganisationKind, Role
from market.settings import AuthSettings, Settings
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import contractor, intermediary
from web.app import create_app

Client = AsyncTestClient  # type: ignore[type-arg]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def shared_home() -> Path:
    # One home for the module: the font cache and the development seal are built once.
    return Path(tempfile.mkdtemp(prefix="market-access-"))


@pytest.fixture
async def client(fresh_database: ClonedDatabase, shared_home: Path) -> AsyncIterator[Client]:
    settings = Settings(home=shared_home, database_url=fresh_database.url, render_workers=1,
                        verify_rate_per_minute=3)
    async with AsyncTestClient(app=create_app(settings, clock=FixedClock())) as test_client:
        yield test_client


def sample_data(kind: DocumentKind) -> dict[str, Any]:
    return json.loads(canonical_json(sample_document(kind)))["data"]  # type: ignore[no-any-return]


async def _organisation(db: ClonedDatabase, kind: OrganisationKind, name: str, uscc: str | None = None) -> int:
    async with db.database.unit_of_work() as uow:
        org = await accounts.create_organisation(uow, Actor.system("test"), kind=kind, name=name, uscc=uscc)
        await uow.commit()
        return org.id


async def _user(db: ClonedDatabase, username: str, role: Role, organisation_id: int | None = None) -> None:
    async with db.database.unit_of_work() as uow:
        await accounts.create_user(uow, Actor.system("test"), username=username, display_name=username,
                                   password=PASSWORD, roles=[role], organisation_id=organisation_id,
                                   auth=AuthSettings())
        await uow.commit()


async def _apply(client: Client, raw: dict[str, Any], username: str) -> int:
    """A firm applies through the public API; its first account is ``username``."""
    body = {"firm": raw, "account": {"username": username, "display_name": "经办人", "password": PASSWORD}}
    response = await client.post("/api/registry/applications", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["firm_id"])


async def _admit(client: Client, admin: dict[str, str], firm_id: int) -> None:
    response = await client.post(f"/api/firms/{firm_id}/decisions", json={"decision": "admit"}, headers=admin)
    assert response.status_code == 200, response.text


async def _issue(client: Client, headers: dict[str, str], kind: DocumentKind, **extra: Any) -> Any:
    return await client.post("/api/documents", json={"kind": kind.value, "data": sample_data(kind), **extra},
                             headers=headers)


async def _issued_for(db: ClonedDatabase, home: Path, organisation_id: int, kind: DocumentKind) -> dict[str, Any]:
    """A document issued for ``organisation_id`` the way the platform issues a procurement's
    notices and contracts (free-form issuing is for administrators only)."""
    office = DocumentOffice(Settings(home=home, render_workers=1))
    try:
        async with db.database.unit_of_work() as uow:
            row = await documents.issue_for_procurement(
                uow, Actor.system("test"), office, sample_document(kind), organisation_id
            )
            await uow.commit()
            return {"id": row.id, "procurement_reference": row.procurement_reference}
    finally:
        office.close()


async def _stored_documents(db: ClonedDatabase) -> int:
    async with db.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(IssuedDocument)) or 0)


async def test_another_owner_cannot_supersede_or_revoke_a_genuine_document(
    client: Client, fresh_database: ClonedDatabase, shared_home: Path
) -> None:
    bureau = await _organisation(fresh_database, OrganisationKind.OWNER, "韶关市浈江区住房和城乡建设管理局")
    other = await _organisation(fresh_database, OrganisationKind.OWNER, "韶关市某某开发有限公司")
    await _user(fresh_database, "bureau.li", Role.OWNER, bureau)
    await _user(fresh_database, "other.wang", Role.OWNER, other)
    await _user(fresh_database, "root.admin", Role.ADMIN)
    genuine_owner, intruder = await sign_in(client, "bureau.li"), await sign_in(client, "other.wang")
    admin = await sign_in(client, "root.admin")

    genuine = await _issued_for(fresh_database, shared_home, bureau, DocumentKind.SELECTION_NOTICE)

    # same procurement reference, same kind: it would have superseded the genuine notice;
    # free-form data is for administrators, the owners included
    forged = await _issue(client, intruder, DocumentKind.SELECTION_NOTICE)
    assert forged.status_code == 403 and forged.headers["content-type"].startswith(PROBLEM)
    assert (await _issue(client, genuine_owner, DocumentKind.RESULT_NOTICE)).status_code == 403
    revoked = await client.post(f"/api/documents/{genuine['id']}/revoke", json={"reason": "作废"},
                                headers=intruder)
    assert revoked.status_code == 403
    assert await _stored_documents(fresh_database) == 1

    page = await client.get(f"/verify/{genuine['id']}")
    assert "有效" in page.text and "已被新版本替代" not in page.text
    assert (await client.get(f"/api/documents/{genuine['id']}")).json()["status"] == "valid"

    # an administrator may act for the issuer, but only saying why
    silent = await _issue(client, admin, DocumentKind.SELECTION_NOTICE)
    assert silent.status_code == 422 and silent.json()["field"] == "reason"
    corrected = await _issue(client, admin, DocumentKind.SELECTION_NOTICE, reason="业主申请更正中选金额")
    assert corrected.status_code == 201, corrected.text
    old = (await client.get(f"/api/documents/{genuine['id']}")).json()
    assert old["status"] == "superseded" and old["superseded_by"] == corrected.json()["id"]
    entries = (await client.get("/api/audit/entries", params={"action": "document:superseded"},
                                headers=admin)).json()
    assert [e["payload"]["reason"] for e in entries] == ["业主申请更正中选金额"]
    # the corrected notice still belongs to the bureau: its own account may withdraw it
    withdrawn = await client.post(f"/api/documents/{corrected.json()['id']}/revoke",
                                  json={"reason": "项目终止"}, headers=genuine_owner)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "revoked"


async def test_a_contract_pdf_goes_to_its_parties_supervisors_and_issuer_only(
    client: Client, fresh_database: ClonedDatabase, shared_home: Path
) -> None:
    employer = await _organisation(fresh_database, OrganisationKind.OWNER, OWNER.name, OWNER.uscc)
    other_owner = await _organisation(fresh_database, OrganisationKind.OWNER, "韶关市交通运输局")
    await _user(fresh_database, "employer.li", Role.OWNER, employer)
    await _user(fresh_database, "other.owner", Role.OWNER, other_owner)
    await _user(fresh_database, "sup.chen", Role.SUPERVISOR)
    await _user(fresh_database, "root.admin", Role.ADMIN)
    admin = await sign_in(client, "root.admin")
    # the contractor named in the contract applies with its real code; an unrelated intermediary is admitted
    named_firm = await _apply(client, contractor(1, uscc=CONTRACTOR.uscc, name=CONTRACTOR.name), "builder.deng")
    await _admit(client, admin, await _apply(client, intermediary(2), "agent.liu"))

    created = await _issued_for(fresh_database, shared_home, employer, DocumentKind.WORKS_CONTRACT)
    url = f"/api/documents/{created['id']}/pdf"

    async def status_for(username: str) -> int:
        return (await client.get(url, headers=await sign_in(client, username))).status_code

    # before admission the named firm is an applicant: no private documents at all
    assert await status_for("builder.deng") == 403
    assert await status_for("other.owner") == 403
    assert await status_for("agent.liu") == 403
    refused = await client.get(url, headers=await sign_in(client, "agent.liu"))
    assert refused.headers["content-type"].startswith(PROBLEM) and "parties" in refused.json()["detail"]
    assert await status_for("sup.chen") == 200
    assert await status_for("employer.li") == 200
    await _admit(client, admin, named_firm)
    response = await client.get(url, headers=await sign_in(client, "builder.deng"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    # the verification page still tells anyone what was issued
    assert (await client.get(f"/verify/{created['id']}")).status_code == 200


async def test_an_applicant_sees_its_application_and_only_the_public_view_of_others(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    await _user(fresh_database, "root.admin", Role.ADMIN)
    owner_org = await _organisation(fresh_database, OrganisationKind.OWNER, "韶关市水务局")
    await _user(fresh_database, "owner.zhao", Role.OWNER, owner_org)
    admin = await sign_in(client, "root.admin")
    admitted = await _apply(client, contractor(3, contact_phone="0751-7654321"), "builder.zhong")
    await _admit(client, admin, admitted)
    own = await _apply(client, contractor(4, contact_phone="0751-1112223"), "new.firm")
    applicant, member = await sign_in(client, "new.firm"), await sign_in(client, "owner.zhao")

    assert (await client.get("/api/organisations", headers=applicant)).status_code == 403
    assert (await client.get(f"/api/organisations/{admitted}", headers=applicant)).status_code == 403
    assert (await client.get(f"/api/organisations/{own}", headers=applicant)).status_code == 200
    assert (await client.get("/api/organisations", headers=member)).status_code == 200

    other_firm = (await client.get(f"/api/firms/{admitted}", headers=applicant)).json()
    assert "contact" not in other_firm and other_firm["id"] == admitted
    assert "contact" in (await client.get(f"/api/firms/{admitted}", headers=member)).json()
    page = await client.get(f"/firms/{admitted}", headers=applicant)
    assert page.status_code == 200 and "0751-7654321" not in page.text
    assert "入库审核通过后" in page.text and "登录后可查看" not in page.text  # it is signed in already

    mine = (await client.get(f"/api/firms/{own}", headers=applicant)).json()
    assert mine["status"] == "applied" and mine["contact"]["phone"] == "0751-1112223"
    assert (await client.get(f"/api/firms/{own}/credit", headers=applicant)).status_code == 200


async def test_upload_checks_are_rate_limited_per_address_with_retry_after(client: Client) -> None:
    pdf = {"file": ("copy.pdf", b"%PDF-1.7 not really", "application/pdf")}
    for _ in range(3):  # MARKET_VERIFY_RATE=3 here; an unknown id still counts
        assert (await client.post("/api/documents/0123456789abcdef/check", files=pdf)).status_code == 404
    throttled = await client.post("/api/documents/0123456789abcdef/check", files=pdf)
    assert throttled.status_code == 429 and throttled.headers["content-type"].startswith(PROBLEM)
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    assert "too many document checks" in throttled.json()["detail"]
    # the page's form shares the budget; looking at a page does not use it
    assert (await client.post("/verify/0123456789abcdef", files=pdf)).status_code == 429
    assert (await client.get("/verify/0123456789abcdef")).status_code == 404
