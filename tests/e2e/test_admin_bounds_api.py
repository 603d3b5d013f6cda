"""The administrators' inputs that were 500s or minutes of work (issue 9, §1 and §2):
hostile import files, a credit correction of 1E+1000000, a template whose macros recurse
or expand exponentially, and a document field of 200,000 characters. Each is a 422 that
says what is wrong, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from contracts import DocumentKind
from contracts.expansion import MAX_RENDER_CHARS
from market.models import CreditEvent, DocumentTemplate, Firm, IssuedDocument, Role
from market.registry.sheets import MAX_IMPORT_ROWS
from tests import hostile_sheets as hostile
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import sign_in
from tests.e2e.test_documents import sample_data
from tests.integration.test_registry_import import EXAMPLE

PROBLEM = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _count(fresh_database: ClonedDatabase, model: type) -> int:
    async with fresh_database.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def admin(client: AsyncTestClient, make_user) -> dict[str, str]:  # type: ignore[no-untyped-def, type-arg]
    await make_user("admin.zhao", Role.ADMIN)
    return await sign_in(client, "admin.zhao")


@pytest.mark.parametrize(("make", "says"), [
    (hostile.truncated_sheet, "not a readable .xlsx workbook (no element found"),
    (hostile.bad_crc, "is damaged (Bad CRC-32"),
    (hostile.with_doctype, "declares <!DOCTYPE>"),
    (lambda: hostile.zip_bomb(60), "unpacks to 60.0 MB; a workbook may unpack to at most 50.0 MB"),
    (lambda: hostile.many_rows(MAX_IMPORT_ROWS + 1), f"at most {MAX_IMPORT_ROWS} are imported"),
], ids=["truncated", "bad-crc", "doctype", "zip-bomb", "too-many-rows"])
async def test_hostile_workbook_upload_is_a_422_naming_the_problem(
    client: AsyncTestClient, admin: dict[str, str], fresh_database: ClonedDatabase,  # type: ignore[type-arg]
    make: Callable[[], bytes], says: str,
) -> None:
    response = await client.post("/api/registry/imports", headers=admin,
                                 files={"file": ("企业库.xlsx", make(), XLSX)})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert says in response.json()["detail"] and response.json()["field"] == "file"
    assert await _count(fresh_database, Firm) == 0


async def test_credit_correction_of_an_enormous_exponent_is_a_422(
    client: AsyncTestClient, admin: dict[str, str], fresh_database: ClonedDatabase,  # type: ignore[type-arg]
) -> None:
    imported = await client.post("/api/registry/imports", headers=admin,
                                 files={"file": (EXAMPLE.name, EXAMPLE.read_bytes(), "text/csv")})
    assert imported.status_code == 200, imported.text
    firm_id = (await client.get("/api/firms", headers=admin)).json()["items"][0]["id"]
    events = await _count(fresh_database, CreditEvent)
    url = f"/api/firms/{firm_id}/credit/adjustments"
    for delta, says in (("1E+1000000", "is not a number of points"), ("NaN", "is not a number of points"),
                        ("0.001", "more than two decimals"), ("1000", "beyond the 100 points")):
        refused = await client.post(url, headers=admin, json={"delta": delta, "reason": "纠错"})
        assert refused.status_code == 422, (delta, refused.text)
        assert says in refused.json()["detail"] and refused.json()["field"] == "delta"
    assert await _count(fresh_database, CreditEvent) == events
    accepted = await client.post(url, headers=admin, json={"delta": "-2.5", "reason": "纠错"})
    assert accepted.status_code == 201, accepted.text


def _exponential(levels: int) -> str:
    chain = "".join(f"{{% macro m{i}() %}}{{{{ m{i - 1}() }}}}{{{{ m{i - 1}() }}}}{{% endmacro %}}\n"
                    for i in range(1, levels + 1))
    return f"{{% macro m0() %}}<p>{'条款' * 8}</p>{{% endmacro %}}\n{chain}{{{{ m{levels}() }}}}"


@pytest.mark.parametrize(("source", "says"), [
    ("<h1>合同</h1>\n{% macro clause() %}{{ clause() }}{% endmacro %}\n{{ clause() }}",
     "macro 'clause' calls itself (clause → clause)"),
    (_exponential(24), f"more than {MAX_RENDER_CHARS} characters"),
], ids=["recursive", "exponential"])
async def test_template_that_expands_without_end_is_a_422_at_upload(
    client: AsyncTestClient, admin: dict[str, str], fresh_database: ClonedDatabase,  # type: ignore[type-arg]
    source: str, says: str,
) -> None:
    response = await client.post("/api/templates", headers=admin, json={
        "kind": "service_contract", "name": "shaoguan-service", "source": source})
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"] and response.json()["field"] == "source"
    assert await _count(fresh_database, DocumentTemplate) == 0


async def test_document_field_past_its_limit_is_a_422_naming_it(
    client: AsyncTestClient, make_user, fresh_database: ClonedDatabase,  # type: ignore[no-untyped-def, type-arg]
) -> None:
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    admin = await sign_in(client, "clerk.admin")
    data: dict[str, Any] = sample_data(DocumentKind.SERVICE_CONTRACT)
    data["scope"] = "全过程造价咨询" * 30_000
    response = await client.post("/api/documents", headers=admin,
                                 json={"kind": "service_contract", "data": data})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "data.scope: at most 5000 characters"
    assert response.json()["field"] == "data.scope"
    assert await _count(fresh_database, IssuedDocument) == 0
