"""The OpenAPI document lists each operation's error answers as problem details, so clients
and fuzzers can rely on it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from market.settings import Settings
from web.app import create_app

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # the document is built from the routes alone: no database is reached
    settings = Settings(
        home=tmp_path_factory.mktemp("openapi"), database_url="postgresql+asyncpg://u@127.0.0.1:1/none"
    )
    with TestClient(create_app(settings, background=False)) as client:
        response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_the_problem_schema_has_the_rfc_9457_members(openapi: dict[str, Any]) -> None:
    problem = openapi["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(problem["properties"])
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem.get("additionalProperties", True) is not False  # extras carry the error's data


def test_every_error_answer_of_every_operation_is_problem_json(openapi: dict[str, Any]) -> None:
    operations = _operations(openapi)
    assert len(operations) >= 40
    for method, path, operation in operations:
        errors = {int(s): r for s, r in operation["responses"].items() if int(s) >= 400}
        assert errors, f"{method} {path} documents no error answer"
        for status, response in errors.items():
            if path == "/healthz" and status == 503:
                continue  # the health check answers its own body, for monitors
            content = response.get("content", {})
            assert list(content) == [PROBLEM], f"{method} {path} {status}: {list(content)}"
            assert content[PROBLEM]["schema"] == {"$ref": PROBLEM_REF}, f"{method} {path} {status}"
            assert response["description"]


def test_statuses_follow_what_each_operation_can_give(openapi: dict[str, Any]) -> None:
    for method, path, operation in _operations(openapi):
        statuses = {int(s) for s in operation["responses"]}
        guarded = path.startswith(("/api/users", "/api/audit", "/api/templates"))
        guarded = guarded and not path.startswith("/api/audit/checkpoints")  # published for anyone
        if guarded:
            assert {401, 403} <= statuses, f"{method} {path}"
        if "{" in path:
            assert 404 in statuses, f"{method} {path}"
        if "requestBody" in operation:
            assert {400, 413, 415, 422} <= statuses, f"{method} {path}"
        if method in {"POST", "PATCH", "DELETE"} and path.startswith("/api/") and path != "/api/auth/login":
            assert 409 in statuses, f"{method} {path}"
    responses = openapi["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"401", "422", "429"} <= set(responses)
    assert "429" in openapi["paths"]["/api/registry/applications"]["post"]["responses"]
    # a public read with nothing to refuse and no input documents no 401/403/404
    assert set(openapi["paths"]["/api/registry/vocabulary"]["get"]["responses"]) == {"200", "503"}
