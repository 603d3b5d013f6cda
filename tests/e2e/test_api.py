"""The HTTP API, through the real app on a real database."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from market.models import Role
from tests.e2e.conftest import PASSWORD, sign_in

PROBLEM = "application/problem+json"


async def test_healthz_reports_database_ok(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_openapi_schema_documents_every_route(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for expected in ("/healthz", "/api/auth/login", "/api/users", "/api/audit/verify"):
        assert expected in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_every_route_has_a_role_guard_or_is_marked_public(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from litestar.routes import HTTPRoute

    from market.settings import Settings
    from web.app import create_app

    app = create_app(Settings(home=tmp_path, database_url="postgresql+asyncpg://u@127.0.0.1:1/none"))
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/schema"):
            continue
        for handler in route.route_handlers:
            if handler.http_methods == {"OPTIONS"}:  # Litestar's automatic CORS preflight
                continue
            guarded = bool(handler.resolve_guards())
            public = handler.opt.get("public") is True
            assert guarded != public, (
                f"{route.path} {handler.handler_name}: guarded={guarded} public={public}"
            )
            checked += 1
    assert checked >= 10


async def test_login_gives_a_bearer_token_and_an_http_only_cookie(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    response = await client.post("/api/auth/login", json={"username": "owner.li", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["user"]["roles"] == ["owner"]
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    # the cookie alone signs the pages in
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "owner.li"
    # and the bearer token the API
    client.cookies.clear()
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


async def test_logout_ends_the_session(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    headers = await sign_in(client, "owner.li")
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 200
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_wrong_password_is_a_401_problem(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    response = await client.post(
        "/api/auth/login", json={"username": "owner.li", "password": "wrong password!"}
    )
    assert response.status_code == 401
    problem = response.json()
    assert response.headers["content-type"].startswith(PROBLEM)
    assert problem["status"] == 401 and "wrong user name or password" in problem["detail"]
    assert "set-cookie" not in response.headers


async def test_repeated_failures_get_429_with_retry_after(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    for _ in range(5):
        await client.post("/api/auth/login", json={"username": "owner.li", "password": "wrong password!"})
    response = await client.post("/api/auth/login", json={"username": "owner.li", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) == 900
    assert "too many failed logins" in response.json()["detail"]


async def test_malformed_json_is_a_400_problem(client: AsyncTestClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "JSON" in response.json()["detail"]


async def test_missing_field_is_named(client: AsyncTestClient) -> None:
    response = await client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 400
    assert "password" in response.json()["detail"]


async def test_unknown_route_and_wrong_method_are_problems(client: AsyncTestClient) -> None:
    response = await client.get("/api/no-such-thing")
    assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
    assert "/api/no-such-thing" in response.json()["detail"]
    response = await client.delete("/healthz")
    assert response.status_code == 405 and response.headers["content-type"].startswith(PROBLEM)


async def test_guards_answer_401_unsigned_and_403_wrong_role(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("owner.li", Role.OWNER)
    assert (await client.get("/api/users")).status_code == 401
    headers = await sign_in(client, "owner.li")
    response = await client.get("/api/users", headers=headers)
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
    assert (await client.get("/api/audit/entries", headers=headers)).status_code == 403


async def test_admin_creates_a_user_and_bad_input_writes_nothing(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("root.admin", Role.ADMIN)
    headers = await sign_in(client, "root.admin")
    new = {
        "username": "agent.zhang",
        "display_name": "张伟",
        "password": "ten chars ok",
        "roles": ["intermediary"],
    }

    for bad, status, field in (
        ({**new, "roles": ["boss"]}, 422, "role"),
        ({**new, "password": "short"}, 422, "password"),
        ({**new, "username": "a b"}, 400, "username"),
        ({**new, "surprise": 1}, 400, "surprise"),
    ):
        response = await client.post("/api/users", json=bad, headers=headers)
        assert response.status_code == status, response.text
        assert field in response.text
    users = (await client.get("/api/users", headers=headers)).json()
    assert [u["username"] for u in users] == ["root.admin"]

    created = await client.post("/api/users", json=new, headers=headers)
    assert created.status_code == 201, created.text
    duplicate = await client.post("/api/users", json={**new, "username": "AGENT.ZHANG"}, headers=headers)
    assert duplicate.status_code == 409
    assert "already taken" in duplicate.json()["detail"]

    user_id = created.json()["id"]
    granted = await client.post(f"/api/users/{user_id}/roles", json={"role": "contractor"}, headers=headers)
    assert granted.json()["roles"] == ["contractor", "intermediary"]


async def test_supervisor_reads_and_verifies_the_audit_log(client: AsyncTestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("sup.chen", Role.SUPERVISOR)
    await client.post("/api/auth/login", json={"username": "nobody", "password": "whatever it is"})
    headers = await sign_in(client, "sup.chen")
    verify = await client.get("/api/audit/verify", headers=headers)
    assert verify.status_code == 200 and verify.json()["intact"] is True
    entries = (
        await client.get("/api/audit/entries", params={"action": "login:refused"}, headers=headers)
    ).json()
    assert entries and entries[0]["payload"] == {"reason": "unknown user"}
    assert entries[0]["hash"] is not None


async def test_home_page_speaks_chinese_and_redirects_document_lookups(client: AsyncTestClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "电子文件核验" in page.text and 'lang="zh-CN"' in page.text
    redirect = await client.get("/verify", params={"id": "0123456789abcdef"}, follow_redirects=False)
    assert redirect.status_code in (301, 302, 303, 307) and redirect.headers["location"] == "/verify/0123456789abcdef"
    bad = await client.get("/verify", params={"id": "../etc"}, follow_redirects=False)
    assert bad.status_code == 422  # a query value out of its pattern, like any bad parameter


async def test_browsers_get_errors_on_pages_as_a_chinese_page_and_the_api_stays_json(client: AsyncTestClient) -> None:
    page = await client.get("/verify/0123456789abcdef", headers={"accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "未找到" in page.text and "0123456789abcdef" in page.text
    api = await client.get("/api/documents/0123456789abcdef", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"].startswith(PROBLEM)


async def test_healthz_is_503_with_the_reason_when_the_database_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket

    from market.settings import Settings
    from web.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(home=tmp_path, database_url=f"postgresql+asyncpg://x:y@127.0.0.1:{port}/none")
    async with AsyncTestClient(app=create_app(settings, background=False)) as down:
        response = await down.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert "cannot reach PostgreSQL" in response.json()["database"]


async def test_an_organisation_code_written_in_groups_is_stored_in_the_one_form(
    client: AsyncTestClient, make_user  # type: ignore[no-untyped-def]
) -> None:
    # The schema used to demand exactly 18 characters, so "9144 0200 …" was refused here
    # while a firm's application took it: the one check (contracts.uscc) now decides both.
    await make_user("admin.zhao", Role.ADMIN)
    headers = await sign_in(client, "admin.zhao")
    body = {"kind": "owner", "name": "韶关市某局", "uscc": "1144 0200 mb2c 1234 0d"}
    created = await client.post("/api/organisations", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["uscc"] == "11440200MB2C12340D"
    wrong = await client.post("/api/organisations", json=body | {"uscc": "11440200MB2C12341D"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["field"] == "uscc"
    assert "check character" in wrong.json()["detail"]
