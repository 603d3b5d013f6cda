"""Sealed documents through the app: issue, verify page, upload check, supersede, revoke,
and template versions — on a real database with real rendering and signing."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from pypdf import PdfReader

from contracts import DocumentKind, canonical_json
from contracts.samples import sample_document
from market.clock import FixedClock
from market.models import Role
from market.settings import Settings
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from web.app import create_app

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def shared_home() -> Path:
    # One home for the module: the reduced-font cache and the development seal are built once.
    return Path(tempfile.mkdtemp(prefix="market-docs-"))


@pytest.fixture
async def client(fresh_database: ClonedDatabase, shared_home: Path) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    settings = Settings(home=shared_home, database_url=fresh_database.url, render_workers=1,
                        public_url="https://jy.sg.example.cn")
    async with AsyncTestClient(app=create_app(settings, clock=FixedClock())) as test_client:
        yield test_client


def sample_data(kind: DocumentKind) -> dict[str, Any]:
    return json.loads(canonical_json(sample_document(kind)))["data"]  # type: ignore[no-any-return]


async def _issue(client: AsyncTestClient, headers: dict[str, str], kind: DocumentKind, **extra: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    response = await client.post("/api/documents", json={"kind": kind.value, "data": sample_data(kind), **extra},
                                 headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_issued_contract_is_stored_verifiable_and_checkable(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    headers = await sign_in(client, "clerk.admin")
    issued = await _issue(client, headers, DocumentKind.SERVICE_CONTRACT)
    assert issued["status"] == "valid" and issued["page_count"] >= 1
    assert issued["verify_url"] == f"https://jy.sg.example.cn/verify/{issued['id']}"

    page = await client.get(f"/verify/{issued['id']}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert issued["sha256"] in page.text and "有效" in page.text and "中介服务合同" in page.text

    pdf = (await client.get(f"/api/documents/{issued['id']}/pdf", headers=headers)).content
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert "甲方" in text and "乙方" in text

    ok = await client.post(f"/api/documents/{issued['id']}/check", files={"file": ("c.pdf", pdf, "application/pdf")})
    assert ok.status_code == 200 and ok.json()["matches_document"] is True and ok.json()["code"] == "valid"

    altered = bytearray(pdf)
    altered[len(altered) // 3] ^= 0x01
    bad = await client.post(f"/api/documents/{issued['id']}/check",
                            files={"file": ("c.pdf", bytes(altered), "application/pdf")})
    assert bad.status_code == 200 and bad.json()["issued_by_platform"] is False
    assert "不是本平台签发" in bad.json()["message"]

    garbage = await client.post(f"/verify/{issued['id']}", files={"file": ("x.pdf", b"not a pdf at all", "application/pdf")})
    assert garbage.status_code == 200 and "不是本平台签发" in garbage.text

    # anonymous users may see the verification data but not download a contract
    client.cookies.clear()
    assert (await client.get(f"/api/documents/{issued['id']}/pdf")).status_code == 401  # sign in first


async def test_unknown_document_id_is_404_on_page_and_api(client: AsyncTestClient) -> None:
    for url in ("/verify/0123456789abcdef", "/api/documents/0123456789abcdef"):
        response = await client.get(url)
        assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
        assert "no document" in response.json()["detail"]


async def test_reissue_supersedes_and_revoke_is_audited(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    await make_user("sup.chen", Role.SUPERVISOR)
    owner = await sign_in(client, "clerk.admin")
    first = await _issue(client, owner, DocumentKind.RESULT_NOTICE)
    second = await _issue(client, owner, DocumentKind.RESULT_NOTICE)
    old = (await client.get(f"/api/documents/{first['id']}")).json()
    assert old["status"] == "superseded" and old["superseded_by"] == second["id"]
    assert "已被新版本替代" in (await client.get(f"/verify/{first['id']}")).text
    # result notices are public downloads
    assert (await client.get(f"/api/documents/{second['id']}/pdf")).status_code == 200

    supervisor = await sign_in(client, "sup.chen")
    revoked = await client.post(f"/api/documents/{second['id']}/revoke", json={"reason": "质疑成立，重新评审"},
                                headers=supervisor)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    entries = (await client.get("/api/audit/entries", params={"object_type": "document"}, headers=supervisor)).json()
    assert {e["action"] for e in entries} == {"document:issued", "document:superseded", "document:revoked"}


async def test_bad_document_data_names_the_field_and_stores_nothing(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    headers = await sign_in(client, "clerk.admin")
    data = sample_data(DocumentKind.SERVICE_CONTRACT)
    data["price"] = "123.456"
    response = await client.post("/api/documents", json={"kind": "service_contract", "data": data}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"].startswith("data.")
    unknown = await client.post("/api/documents", json={"kind": "poem", "data": {}}, headers=headers)
    assert unknown.status_code == 422 and "selection_notice" in unknown.json()["detail"]


async def test_templates_are_versioned_and_checked_on_upload(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("root.admin", Role.ADMIN)
    headers = await sign_in(client, "root.admin")
    broken = await client.post("/api/templates", headers=headers, json={
        "kind": "result_notice", "name": "shaoguan-notice", "source": "<p>ok</p>\n<p>{% if %}</p>"})
    assert broken.status_code == 422 and broken.json()["line"] == 2
    unsafe = await client.post("/api/templates", headers=headers, json={
        "kind": "result_notice", "name": "shaoguan-notice", "source": "{{ ''.__class__.__mro__ }}"})
    assert unsafe.status_code == 422
    outside = await client.post("/api/templates", headers=headers, json={
        "kind": "result_notice", "name": "shaoguan-notice", "source": "{{ secret_key }}"})
    assert outside.status_code == 422
    assert (await client.get("/api/templates", headers=headers)).json() == []


async def test_uploaded_template_version_is_recorded_on_the_document(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("root.admin", Role.ADMIN)
    headers = await sign_in(client, "root.admin")
    source = (
        "<h1>{{ document.title }}</h1>\n"
        "<p>项目编号：{{ procurement.reference }}　项目名称：{{ procurement.title }}</p>\n"
        "<p>成交供应商：{{ winner.name }}（{{ winner.uscc }}）</p>\n"
        "<p>成交金额：人民币 {{ amount.words }}（¥{{ amount.figures }}）</p>\n"
        "<p>公示期：{{ publicity.start }} 至 {{ publicity.end }}</p>\n"
        '<div id="platform-seal"></div>\n'
    )
    first = await client.post("/api/templates", headers=headers,
                              json={"kind": "result_notice", "name": "shaoguan-notice", "source": source})
    assert first.status_code == 201, first.text
    second = await client.post("/api/templates", headers=headers,
                               json={"kind": "result_notice", "name": "shaoguan-notice", "source": source + "<p>韶关</p>"})
    assert second.json()["sequence"] == 2 and second.json()["version"] != first.json()["version"]
    wrong_kind = await client.post("/api/templates", headers=headers,
                                   json={"kind": "works_contract", "name": "shaoguan-notice", "source": source})
    assert wrong_kind.status_code == 409

    issued = await _issue(client, headers, DocumentKind.RESULT_NOTICE, template_id=first.json()["id"])
    assert issued["template_version"] == first.json()["version"]
    pdf = (await client.get(f"/api/documents/{issued['id']}/pdf")).content
    text = "".join(p.extract_text() for p in PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert "成交供应商" in text and "公示期" in text
    stored = (await client.get(f"/api/templates/{first.json()['id']}", headers=headers)).json()
    assert stored["source"] == source


async def test_supervisor_reproduces_a_document_from_its_stored_inputs(client: AsyncTestClient, make_user,  # type: ignore[no-untyped-def]
                                                                       fresh_database: ClonedDatabase) -> None:
    from sqlalchemy import text

    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    await make_user("sup.chen", Role.SUPERVISOR)
    issued = await _issue(client, await sign_in(client, "clerk.admin"), DocumentKind.SELECTION_NOTICE)
    supervisor = await sign_in(client, "sup.chen")
    response = await client.get(f"/api/documents/{issued['id']}/reproduce", headers=supervisor)
    assert response.status_code == 200, response.text
    same = response.json()
    assert same["identical"] is True, same["detail"]
    assert same["content_digest"] == same["stored_content_digest"]

    async with fresh_database.database.sessions() as session:  # someone edits the stored inputs
        await session.execute(text("UPDATE issued_document SET data = jsonb_set(data, '{contract_deadline}', "
                                   "'\"2027-01-31\"') WHERE id = :id"), {"id": issued["id"]})
        await session.commit()
    changed = (await client.get(f"/api/documents/{issued['id']}/reproduce", headers=supervisor)).json()
    assert changed["identical"] is False and changed["content_digest"] != changed["stored_content_digest"]
