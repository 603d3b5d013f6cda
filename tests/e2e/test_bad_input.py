"""Bad input at the request level answers 4xx naming what is wrong, on the API and on the
pages, and never reaches PostgreSQL: integers past bigint, NUL characters, bidirectional
controls, a PDF form without its file, and JSON nested a thousand deep (each a 500 before)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from contracts import DocumentKind, canonical_json
from contracts.samples import sample_document
from market.models import Role
from tests.e2e.conftest import PASSWORD, sign_in

Client = AsyncTestClient  # type: ignore[type-arg]
PROBLEM = "application/problem+json"
PAGE = {"accept": "text/html,application/xhtml+xml"}
BIGINT_PAST = "9223372036854775808"  # 2**63


def _problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    for word in words:
        assert word in body["detail"], body
    return body


# -- integers past bigint -------------------------------------------------------------------


async def test_a_path_id_past_bigint_is_404_naming_the_parameter(client: Client) -> None:
    for path in (f"/api/firms/{BIGINT_PAST}", "/api/firms/0", f"/api/firms/1{BIGINT_PAST}"):
        body = _problem(await client.get(path), 404, "firm_id")
        assert body["errors"][0]["key"] == "firm_id"


async def test_a_firm_page_past_bigint_is_the_chinese_404_page(client: Client) -> None:
    page = await client.get(f"/firms/{BIGINT_PAST}", headers=PAGE)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "您要访问的页面或记录不存在" in page.text and "firm_id" in page.text


async def test_query_integers_past_their_bound_are_422_naming_the_parameter(
    client: Client, make_user
) -> None:  # type: ignore[no-untyped-def]
    await make_user("supervisor.wu", Role.SUPERVISOR)
    headers = await sign_in(client, "supervisor.wu")
    huge = await client.get("/api/organisations?offset=1231426315004944043737088", headers=headers)
    assert _problem(huge, 422, "offset")["errors"][0]["source"] == "query"
    before = await client.get("/api/audit/entries?before_id=99999999999999999999999", headers=headers)
    _problem(before, 422, "before_id")
    _problem(await client.get("/api/firms?page=0"), 422, "page")


async def test_a_json_integer_past_bigint_is_422_naming_the_field(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    headers = await sign_in(client, "clerk.admin")
    response = await client.post(
        "/api/documents",
        content=f'{{"kind": "result_notice", "data": {{}}, "template_id": {BIGINT_PAST}}}',
        headers=headers | {"content-type": "application/json"},
    )
    assert _problem(response, 422, "template_id", "9223372036854775807")["field"] == "template_id"


# -- NUL characters and bidirectional controls ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/api/firms?q=a%00b", "q"),
        ("/api/documents/a%00b", "path"),
        ("/verify/a%00b", "path"),
        ("/static/%00", "path"),
        ("/api/firms?kind=contractor&division=%00", "division"),
    ],
)
async def test_a_nul_in_the_address_is_422_before_the_database(client: Client, path: str, where: str) -> None:
    body = _problem(await client.get(path), 422, "contains a NUL character", where)
    assert body["type"] == "/problems/nul-character"


async def test_a_nul_in_a_page_search_is_the_chinese_error_page(client: Client) -> None:
    page = await client.get("/firms?q=%00", headers=PAGE)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "空字符" in page.text and "contains a NUL character" in page.text


async def test_a_nul_in_a_json_string_is_422_naming_the_field_and_writes_nothing(
    client: Client,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    login = await client.post("/api/auth/login", json={"username": "x\u0000", "password": PASSWORD})
    assert _problem(login, 422, "username", "contains a NUL character")["field"] == "username"
    nested = await client.post(
        "/api/registry/applications", json={"firm": {"licences": [{"number": "A1\u0000"}]}, "account": {}}
    )
    _problem(nested, 422, "firm.licences[0].number", "NUL")
    key = await client.post("/api/auth/login", json={"user\u0000name": "x", "password": PASSWORD})
    _problem(key, 422, "NUL")
    # nothing reached the domain: not even the refused login was recorded
    await make_user("supervisor.wu", Role.SUPERVISOR)
    headers = await sign_in(client, "supervisor.wu")
    refused = await client.get("/api/audit/entries?action=login:refused", headers=headers)
    assert refused.status_code == 200 and refused.json() == []


async def test_bidirectional_controls_are_refused_in_names_and_queries(client: Client) -> None:
    spoof = await client.post(
        "/api/registry/applications", json={"firm": {"name": "韶关\u202e司公限有"}, "account": {}}
    )
    body = _problem(spoof, 422, "firm.name", "U+202E")
    assert body["type"] == "/problems/bidi-control" and body["field"] == "firm.name"
    isolate = await client.get("/api/firms?q=%E2%81%A6x")
    _problem(isolate, 422, "q", "U+2066")


async def test_a_password_may_hold_a_bidi_control_but_never_a_nul(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    bidi = await client.post("/api/auth/login", json={"username": "owner.li", "password": "x\u202ey"})
    assert bidi.status_code == 401  # judged as a password, merely a wrong one
    nul = await client.post("/api/auth/login", json={"username": "owner.li", "password": "x\u0000y"})
    _problem(nul, 422, "password", "NUL")


# -- the PDF form without its file ----------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        {"files": {"file": ("", b"", "application/octet-stream")}},  # nothing chosen in a browser
        {"files": {"file": (None, "not a file")}},  # file as a text field
        {"files": {"other": ("x.pdf", b"%PDF-1.7", "application/pdf")}},  # no part named file
        {"content": b"", "headers": {"content-type": "multipart/form-data; boundary=xyz"}},
    ],
    ids=["empty-filename", "text-field", "no-file-part", "empty-body"],
)
async def test_the_api_check_without_a_file_asks_for_a_pdf(client: Client, form: dict[str, Any]) -> None:
    response = await client.post("/api/documents/0123456789abcdef/check", **form)
    body = _problem(response, 422, "choose a PDF file")
    assert body["type"] == "/problems/no-file-chosen" and body["field"] == "file"


async def test_the_verify_page_without_a_file_asks_in_chinese(client: Client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("clerk.admin", Role.ADMIN)  # free-form documents: administrators
    headers = await sign_in(client, "clerk.admin")
    data = json.loads(canonical_json(sample_document(DocumentKind.RESULT_NOTICE)))["data"]
    issued = await client.post(
        "/api/documents", json={"kind": "result_notice", "data": data}, headers=headers
    )
    assert issued.status_code == 201, issued.text
    document_id = issued.json()["id"]
    page = await client.post(
        f"/verify/{document_id}", files={"file": ("", b"", "application/octet-stream")}, headers=PAGE
    )
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "请选择要核验的 PDF 文件" in page.text


# -- JSON nested deeper than any request needs ----------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000, 40])
async def test_json_nested_deep_is_400_with_the_reason(client: Client, depth: int) -> None:
    body = b'{"firm":' + b"[" * depth + b"]" * depth + b', "account": {}}'
    response = await client.post(
        "/api/registry/applications", content=body, headers={"content-type": "application/json"}
    )
    assert _problem(response, 400, "nested more than 32 levels")["type"] == "/problems/json-too-deep"


async def test_json_of_ordinary_depth_still_reaches_the_schema(client: Client) -> None:
    response = await client.post("/api/auth/login", json={"username": [[["x"]]], "password": PASSWORD})
    _problem(response, 400, "username")  # msgspec's own answer: the shape is wrong, not too deep
