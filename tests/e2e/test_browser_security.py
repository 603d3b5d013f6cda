"""Browser security over HTTP through the app: what the session cookie alone may not do
(CSRF), which bodies a JSON endpoint takes, and the headers every answer carries."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from contracts import DocumentKind, canonical_json
from contracts.samples import sample_document
from market.clock import FixedClock
from market.models import Role
from market.settings import AuthSettings, Settings
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import contractor
from web.app import create_app
from web.security import CSRF_COOKIE

Client = AsyncTestClient  # type: ignore[type-arg]
PROBLEM = "application/problem+json"
CROSS_SITE = {"Origin": "https://attacker.example", "Referer": "https://attacker.example/page"}


async def _cookie_sign_in(client: Client, username: str) -> str:
    """Sign in the way a browser does: keep the cookies. Returns the CSRF token cookie."""
    client.cookies.clear()
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = client.cookies.get(CSRF_COOKIE)
    assert client.cookies.get("market_session") and token
    return token


async def _roles(client: Client, admin: dict[str, str], user_id: int) -> list[str]:
    response = await client.get(f"/api/users/{user_id}", headers=admin)
    assert response.status_code == 200, response.text
    return list(response.json()["roles"])


async def test_cross_site_text_plain_post_with_the_admins_cookie_grants_nothing(
    client: Client, make_user: Any
) -> None:
    await make_user("admin.csrf", Role.ADMIN)
    victim = await make_user("owner.csrf", Role.OWNER)
    bearer = await sign_in(client, "admin.csrf")
    await _cookie_sign_in(client, "admin.csrf")

    # what <form enctype="text/plain"> on another site sends, with the cookie attached
    forged = await client.post(
        f"/api/users/{victim}/roles",
        content='{"role":"admin","x":"="}',
        headers={"Content-Type": "text/plain", **CROSS_SITE},
    )
    assert forged.status_code in (403, 415), forged.text
    assert forged.headers["content-type"].startswith(PROBLEM)
    # a JSON body does not help without the token either
    no_token = await client.post(f"/api/users/{victim}/roles", json={"role": "admin"}, headers=CROSS_SITE)
    assert no_token.status_code == 403, no_token.text
    problem = no_token.json()
    assert problem["type"] == "/problems/csrf-token-invalid"
    assert "X-CSRFToken" in problem["detail"] and "Bearer" in problem["detail"]
    # nor does a token the attacker made up
    guessed = await client.post(
        f"/api/users/{victim}/roles", json={"role": "admin"}, headers={"X-CSRFToken": "0" * 128}
    )
    assert guessed.status_code == 403

    client.cookies.clear()
    assert await _roles(client, bearer, victim) == ["owner"]


async def test_cookie_with_the_csrf_token_and_bearer_without_it_both_work(
    client: Client, make_user: Any
) -> None:
    await make_user("admin.csrf", Role.ADMIN)
    first = await make_user("first.csrf", Role.OWNER)
    second = await make_user("second.csrf", Role.OWNER)

    token = await _cookie_sign_in(client, "admin.csrf")
    granted = await client.post(
        f"/api/users/{first}/roles", json={"role": "supervisor"}, headers={"X-CSRFToken": token}
    )
    assert granted.status_code == 200, granted.text
    revoked = await client.delete(f"/api/users/{first}/roles/supervisor")
    assert revoked.status_code == 403  # DELETE is state-changing too
    revoked = await client.delete(f"/api/users/{first}/roles/supervisor", headers={"X-CSRFToken": token})
    assert revoked.status_code == 200, revoked.text

    bearer = await sign_in(client, "admin.csrf")  # clears the cookies
    response = await client.post(f"/api/users/{second}/roles", json={"role": "supervisor"}, headers=bearer)
    assert response.status_code == 200, response.text
    assert await _roles(client, bearer, second) == ["owner", "supervisor"]
    assert await _roles(client, bearer, first) == ["owner"]


async def test_a_bogus_bearer_header_does_not_borrow_the_cookies_authority(
    client: Client, make_user: Any
) -> None:
    """Bearer requests skip the CSRF check; that is only safe because such a request is never
    signed in by the cookie, whatever the cookie holds."""
    await make_user("admin.csrf", Role.ADMIN)
    victim = await make_user("owner.csrf", Role.OWNER)
    await _cookie_sign_in(client, "admin.csrf")
    response = await client.post(
        f"/api/users/{victim}/roles", json={"role": "admin"}, headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401, response.text
    bearer = await sign_in(client, "admin.csrf")
    assert await _roles(client, bearer, victim) == ["owner"]


async def test_a_form_signed_in_by_cookie_cannot_add_a_track_record(client: Client, make_user: Any) -> None:
    application = {
        "firm": contractor(71),
        "account": {"username": "firm71", "display_name": "经办人", "password": PASSWORD},
    }
    applied = await client.post("/api/registry/applications", json=application)
    assert applied.status_code == 201, applied.text
    firm_id = applied.json()["firm_id"]
    await make_user("admin.csrf", Role.ADMIN)
    admin = await sign_in(client, "admin.csrf")
    admitted = await client.post(f"/api/firms/{firm_id}/decisions", json={"decision": "admit"}, headers=admin)
    assert admitted.status_code == 200, admitted.text

    token = await _cookie_sign_in(client, "firm71")
    record = {
        "project": "浈江区某道路修缮工程",
        "owner_name": "韶关市浈江区住房和城乡建设局",
        "contract_value": "1250000.00",
        "completed_on": "2025-06-30",
        "field_code": "housing_municipal",
    }
    path = f"/api/firms/{firm_id}/track-records"
    as_text = await client.post(
        path, content=str(record), headers={"Content-Type": "text/plain", **CROSS_SITE}
    )
    as_form = await client.post(path, data=record, headers=CROSS_SITE)
    assert (as_text.status_code, as_form.status_code) == (403, 403)
    # with the token, a form body is still not JSON
    form_with_token = await client.post(path, data={**record, "_csrf_token": token})
    assert form_with_token.status_code == 415, form_with_token.text

    client.cookies.clear()
    firm = await client.get(f"/api/firms/{firm_id}", headers=admin)
    assert firm.status_code == 200 and firm.json()["track_records"] == []


async def test_json_endpoints_refuse_other_content_types_with_415_for_every_caller(
    client: Client, make_user: Any
) -> None:
    await make_user("admin.csrf", Role.ADMIN)
    victim = await make_user("owner.csrf", Role.OWNER)
    bearer = await sign_in(client, "admin.csrf")

    response = await client.post(
        f"/api/users/{victim}/roles",
        content='{"role":"admin"}',
        headers={**bearer, "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "send Content-Type: application/json" in response.json()["detail"]
    assert "text/plain" in response.json()["detail"]

    # login takes JSON only, so a cross-site form cannot sign a victim into an account (login CSRF)
    login = await client.post(
        "/api/auth/login", data={"username": "admin.csrf", "password": PASSWORD}, headers=CROSS_SITE
    )
    assert login.status_code == 415 and "set-cookie" not in login.headers
    # a charset parameter and the +json suffix are still JSON
    charset = await client.post(
        f"/api/users/{victim}/roles",
        content='{"role":"supervisor"}',
        headers={**bearer, "Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 200, charset.text
    assert await _roles(client, bearer, victim) == ["owner", "supervisor"]


def _policy(headers: Any) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in headers["content-security-policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def _assert_hardened(response: Any) -> None:
    policy = _policy(response.headers)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "http" not in response.headers["content-security-policy"]  # no third-party origin
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in response.headers  # served over http


async def test_every_kind_of_answer_carries_the_security_headers(client: Client, make_user: Any) -> None:
    await make_user("owner.csrf", Role.OWNER)
    bearer = await sign_in(client, "owner.csrf")

    page = await client.get("/", headers={"Accept": "text/html"})
    api = await client.get("/api/auth/me", headers=bearer)
    error = await client.get("/api/no-such-thing")
    error_page = await client.get("/firms/999999", headers={"Accept": "text/html"})
    static = await client.get("/static/site.css")
    schema = await client.get("/schema/openapi.json")
    login = await client.post("/api/auth/login", json={"username": "owner.csrf", "password": PASSWORD})
    statuses = [r.status_code for r in (page, api, error, error_page, static, schema, login)]
    assert statuses == [200, 200, 404, 404, 200, 200, 200]
    for response in (page, api, error, error_page, static, schema, login):
        _assert_hardened(response)
    for signed_in_or_personal in (api, login, page, error):
        assert signed_in_or_personal.headers["cache-control"] == "no-store"
    assert "no-store" not in static.headers.get("cache-control", "")


async def test_the_verify_form_carries_its_token_and_works_for_a_signed_in_browser(
    client: Client, make_user: Any
) -> None:
    """The upload check is public; a signed-in browser's cookie makes it a cookie-signed POST,
    so the page's form sends the token as a hidden field."""
    await make_user("admin.csrf", Role.ADMIN)  # free-form documents: administrators
    await _cookie_sign_in(client, "admin.csrf")
    data = json.loads(canonical_json(sample_document(DocumentKind.RESULT_NOTICE)))["data"]
    token = client.cookies[CSRF_COOKIE]
    issued = await client.post(
        "/api/documents", json={"kind": "result_notice", "data": data}, headers={"X-CSRFToken": token}
    )
    assert issued.status_code == 201, issued.text
    document_id = issued.json()["id"]

    page = await client.get(f"/verify/{document_id}", headers={"Accept": "text/html"})
    hidden = re.search(r'<input type="hidden" name="_csrf_token" value="([^"]+)">', page.text)
    assert hidden is not None and hidden.group(1) == token
    upload = {"file": ("copy.pdf", b"%PDF-1.7 not the document", "application/pdf")}
    refused = await client.post(f"/verify/{document_id}", files=upload, headers={"Accept": "text/html"})
    assert refused.status_code == 403 and "刷新页面" in refused.text
    checked = await client.post(
        f"/verify/{document_id}",
        files=upload,
        data={"_csrf_token": hidden.group(1)},
        headers={"Accept": "text/html"},
    )
    assert checked.status_code == 200, checked.text
    assert 'id="result"' in checked.text


@pytest.fixture
async def https_client(fresh_database: ClonedDatabase, tmp_path: Path) -> AsyncIterator[Client]:
    settings = Settings(
        home=tmp_path,
        database_url=fresh_database.url,
        public_url="https://jy.shaoguan.example",
        auth=AuthSettings(),
    )
    async with AsyncTestClient(app=create_app(settings, clock=FixedClock(), background=False)) as test_client:
        yield test_client


async def test_an_https_platform_sends_hsts_and_secure_cookies(https_client: Client, make_user: Any) -> None:
    await make_user("owner.tls", Role.OWNER)
    response = await https_client.post(
        "/api/auth/login", json={"username": "owner.tls", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    cookies = {c.split("=", 1)[0]: c.lower() for c in response.headers.get_list("set-cookie")}
    assert set(cookies) == {"market_session", CSRF_COOKIE}
    assert all("; secure" in c for c in cookies.values()), cookies
    assert "httponly" in cookies["market_session"] and "httponly" not in cookies[CSRF_COOKIE]
    assert all("samesite=strict" in c for c in cookies.values())
    page = await https_client.get("/", headers={"Accept": "text/html"})
    assert page.headers["strict-transport-security"] == "max-age=31536000"


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, False),
        ({"MARKET_PUBLIC_URL": "https://jy.shaoguan.example"}, True),
        ({"MARKET_PUBLIC_URL": "https://jy.shaoguan.example", "MARKET_COOKIE_SECURE": "0"}, False),
        ({"MARKET_COOKIE_SECURE": "1"}, True),
    ],
)
def test_cookies_are_secure_by_default_exactly_when_the_public_url_is_https(
    env: dict[str, str], secure: bool
) -> None:
    assert Settings.from_env(env).secure_cookies is secure


async def test_the_api_explorer_runs_from_the_platforms_own_files(client: Client) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _assert_hardened(page)
    html = page.text
    assert "<style" not in html and " style=" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 2 and all(
        ' src="/static/' in attrs and not body.strip() for attrs, body in scripts
    )
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html))  # nothing from elsewhere
    # each vendored file matches the integrity the page pins, as the browser will check
    for url, integrity in re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', html):
        served = await client.get(url)
        assert served.status_code == 200, url
        algorithm, _, expected = integrity.partition("-")
        assert base64.b64encode(hashlib.new(algorithm, served.content).digest()).decode() == expected, url
    assert (await client.get("/schema/openapi.json")).json()["openapi"].startswith("3.")
