"""Who may do what: every route of the app × every kind of principal, with the status a
procurement platform should answer.

The cells come from the app's own route list, so a route added without an entry here fails.
Requests are minimal but real: they address real objects, and a request that changes
something is prepared so that every cell starts from the same state (a fresh licence to
withdraw, a document made valid again before a revoke).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import select, update

from market.models import DocumentStatus, Firm, IssuedDocument
from market.settings import Settings
from tests.conftest import PgServer
from tests.e2e import (
    access_award,
    access_bidder_pages,
    access_bids,
    access_checkpoints,
    access_contract,
    access_delivery,
    access_draw,
    access_draw_pages,
    access_objections,
    access_offers,
    access_owner_pages,
    access_procurements,
    access_review,
    access_rounds,
    access_supervision,
)
from tests.e2e.access_cells import OFFICIALS, SIGNED_IN, Build, Expect, everyone, only, request
from tests.e2e.access_world import (
    ADMIN,
    ANONYMOUS,
    APPLICANT,
    CONTRACTOR_P,
    INTERMEDIARY_P,
    OTHER_OWNER,
    OWNER_P,
    PASSWORD,
    PRINCIPALS,
    USERNAMES,
    World,
    application,
    build_world,
)
from tests.registry_data import contractor, uscc
from web.app import create_app

PROBLEM = "application/problem+json"


# -- requests that prepare their own state --------------------------------------------------
async def _logout(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    if who != ANONYMOUS:  # a throw-away session, so the principal's own token survives the cell
        token = await world.sign_in(USERNAMES[who])
        return "POST", "/api/auth/logout", {"headers": token}
    return "POST", "/api/auth/logout", {}


async def _new_user(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    body = {
        "username": f"m.new{world.serial(who)}",
        "display_name": "新用户",
        "password": PASSWORD,
        "roles": ["owner"],
    }
    return "POST", "/api/users", {"json": body}


async def _grant_role(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    user = await world.ok("GET", f"/api/users/{world.target_user}")
    if "intermediary" in user["roles"]:
        await world.ok("DELETE", f"/api/users/{world.target_user}/roles/intermediary")
    return "POST", f"/api/users/{world.target_user}/roles", {"json": {"role": "intermediary"}}


async def _revoke_role(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    user = await world.ok("GET", f"/api/users/{world.target_user}")
    if "contractor" not in user["roles"]:
        await world.ok("POST", f"/api/users/{world.target_user}/roles", json={"role": "contractor"})
    return "DELETE", f"/api/users/{world.target_user}/roles/contractor", {}


async def _new_organisation(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    body = {"kind": "owner", "name": f"测试单位{world.serial(who)}", "uscc": uscc(world.serial(who))}
    return "POST", "/api/organisations", {"json": body}


async def _change_organisation(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    current = await world.ok("GET", f"/api/organisations/{world.spare_org}")
    body = {"version": current["version"], "address": f"韶关市{who}"}
    return "PATCH", f"/api/organisations/{world.spare_org}", {"json": body}


async def _revoke_document(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    async with world.database.unit_of_work() as uow:
        await uow.session.execute(
            update(IssuedDocument)
            .where(IssuedDocument.id == world.document)
            .values(status=DocumentStatus.VALID, revoked_reason=None)
        )
        await uow.commit()
    return "POST", f"/api/documents/{world.document}/revoke", {"json": {"reason": "签约主体信息有误"}}


async def _apply(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    serial = world.serial(who)
    return "POST", "/api/registry/applications", {"json": application(contractor(serial), f"m.apply{serial}")}


async def _change_firm(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    async with world.database.sessions() as session:
        version = await session.scalar(select(Firm.version).where(Firm.id == world.contractor_firm))
    body = {"version": version, "contact_name": f"联系人{who}"}
    return "PATCH", f"/api/firms/{world.contractor_firm}", {"json": body}


def licence(number: int) -> dict[str, str]:
    return {
        "licence_type": "building_gc",
        "grade": "二级",
        "number": f"D2440{number:06d}",
        "issuer": "韶关市住房和城乡建设管理局",
        "valid_until": "2029-12-31",
    }


async def _fresh_licence(world: World) -> int:
    body = licence(world.serial(CONTRACTOR_P))
    created = await world.ok("POST", f"/api/firms/{world.contractor_firm}/licences", CONTRACTOR_P, json=body)
    return int(created["licence_id"])


async def _submit_licence(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/api/firms/{world.contractor_firm}/licences", {"json": licence(world.serial(who))}


async def _withdraw_licence(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    return "DELETE", f"/api/firms/{world.contractor_firm}/licences/{await _fresh_licence(world)}", {}


async def _review_licence(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    body = {"approve": False, "reason": "证书编号与电子证照不符"}
    return "POST", f"/api/licences/{await _fresh_licence(world)}/review", {"json": body}


TRACK_RECORD = {
    "project": "浈江区道路维修工程",
    "owner_name": "韶关市浈江区交通运输局",
    "contract_value": "850000.00",
    "completed_on": "2024-06-30",
    "field_code": "housing_municipal",
}


async def _remove_track_record(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    path = f"/api/firms/{world.contractor_firm}/track-records"
    record = await world.ok("POST", path, CONTRACTOR_P, json=TRACK_RECORD)
    return "DELETE", f"{path}/{record['track_record_id']}", {}


async def _resubmit(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    firm = await world.ok("GET", f"/api/firms/{world.applicant_firm}")
    if firm["status"] != "returned":
        body = {"decision": "return", "reason": "请补充资质证书扫描件"}
        await world.ok("POST", f"/api/firms/{world.applicant_firm}/decisions", json=body)
    return "POST", f"/api/firms/{world.applicant_firm}/resubmit", {"json": {"note": "已补充"}}


async def _import(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
    header = "库别,统一社会信用代码,企业名称,法定代表人,注册地址,注册地,工程领域\n"
    row = f"小额工程企业库,{uscc(world.serial(who))},韶关市导入测试建筑有限公司{who},王五,韶关市浈江区,浈江区,房屋建筑和市政工程\n"
    files = {"file": ("firms.csv", (header + row).encode(), "text/csv")}
    return "POST", "/api/registry/imports", {"files": files, "data": {"status": "applied"}}


def _upload(path: str) -> Build:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        return "POST", path.format(w=world), {"files": {"file": ("copy.pdf", world.pdf, "application/pdf")}}

    return build


REQUIREMENTS = {"requirements": {"kind": "contractor", "work_field": "房屋建筑和市政工程"}}
CALENDAR_2026 = (Path(__file__).parents[2] / "docs/examples/calendar/2026.toml").read_bytes()

# -- the matrix: route (as the app names it) -> (request, expected status per principal) ----
MATRIX: dict[str, tuple[Build, dict[str, Expect]]] = {
    "GET /": (request("GET", "/"), everyone(200)),
    "GET /verify": (request("GET", "/verify?id={w.document}", follow_redirects=False), everyone(302)),
    "GET /healthz": (request("GET", "/healthz"), everyone(200)),
    "POST /api/auth/login": (
        request("POST", "/api/auth/login", json={"username": "m.target", "password": PASSWORD}),
        everyone(200),
    ),
    "POST /api/auth/logout": (_logout, only(*SIGNED_IN)),
    "GET /api/auth/me": (request("GET", "/api/auth/me"), only(*SIGNED_IN)),
    "GET /api/users": (request("GET", "/api/users"), only(ADMIN)),
    "POST /api/users": (_new_user, only(ADMIN, ok=201)),
    "GET /api/users/{user_id:int}": (request("GET", "/api/users/{w.target_user}"), only(ADMIN)),
    "PATCH /api/users/{user_id:int}": (
        request("PATCH", "/api/users/{w.target_user}", json={"display_name": "目标用户"}),
        only(ADMIN),
    ),
    "POST /api/users/{user_id:int}/roles": (_grant_role, only(ADMIN)),
    "DELETE /api/users/{user_id:int}/roles/{role:str}": (_revoke_role, only(ADMIN)),
    "GET /api/organisations": (
        request("GET", "/api/organisations"),
        only(*SIGNED_IN, applicant=403),  # an applicant sees its application and nothing else
    ),
    "POST /api/organisations": (_new_organisation, only(ADMIN, ok=201)),
    "GET /api/organisations/{organisation_id:int}": (
        request("GET", "/api/organisations/{w.owner_org}"),
        only(*SIGNED_IN, applicant=403),  # an applicant sees its application and nothing else
    ),
    "PATCH /api/organisations/{organisation_id:int}": (_change_organisation, only(ADMIN)),
    "GET /api/audit/entries": (request("GET", "/api/audit/entries?limit=5"), only(*OFFICIALS)),
    "GET /api/audit/verify": (request("GET", "/api/audit/verify"), only(*OFFICIALS)),
    "GET /api/documents/{document_id:str}": (request("GET", "/api/documents/{w.document}"), everyone(200)),
    "POST /api/documents/{document_id:str}/check": (
        _upload("/api/documents/{w.document}/check"),
        everyone(200),
    ),
    "GET /api/documents/{document_id:str}/pdf": (
        request("GET", "/api/documents/{w.document}/pdf"),
        only(
            OWNER_P,
            INTERMEDIARY_P,
            *OFFICIALS,
            # private documents go to the parties named in them, supervisors and administrators
            other_owner=403,
            contractor=403,
            applicant=403,
        ),
    ),
    # issuing renders for seconds; the guard is what this cell checks, so the kind is refused
    # after it (issuing itself: test_documents.py). Free-form data is for administrators: a
    # procurement's own documents are issued by the platform from its stored data
    "POST /api/documents": (
        request("POST", "/api/documents", json={"kind": "no_such_kind", "data": {}}),
        only(ADMIN, ok=422),
    ),
    "GET /api/documents/{document_id:str}/reproduce": (
        request("GET", "/api/documents/{w.document}/reproduce", timeout=120),
        only(*OFFICIALS),
    ),
    "POST /api/documents/{document_id:str}/revoke": (
        _revoke_document,
        # the issuing organisation, administrators, and supervisors (who void a notice or a
        # contract after a complaint: 投诉处理, 中选无效)
        only(OWNER_P, *OFFICIALS),
    ),
    "GET /verify/{document_id:str}": (request("GET", "/verify/{w.document}"), everyone(200)),
    "POST /verify/{document_id:str}": (_upload("/verify/{w.document}"), everyone(200)),
    "GET /api/templates": (request("GET", "/api/templates"), only(ADMIN)),
    "POST /api/templates": (
        request(
            "POST",
            "/api/templates",
            json={"kind": "result_notice", "name": "matrix", "source": "<p>{{ winner.name }}</p>"},
        ),
        only(ADMIN, ok=201),
    ),
    "GET /api/templates/{template_id:int}": (request("GET", "/api/templates/{w.template}"), only(ADMIN)),
    "GET /api/registry/vocabulary": (request("GET", "/api/registry/vocabulary"), everyone(200)),
    "GET /api/firms": (request("GET", "/api/firms?q=韶关"), everyone(200)),
    "GET /api/firms/{firm_id:int}": (request("GET", "/api/firms/{w.contractor_firm}"), everyone(200)),
    "POST /api/registry/applications": (_apply, everyone(201)),
    "PATCH /api/firms/{firm_id:int}": (_change_firm, only(CONTRACTOR_P, ADMIN)),
    "POST /api/firms/{firm_id:int}/licences": (_submit_licence, only(CONTRACTOR_P, ADMIN, ok=201)),
    "DELETE /api/firms/{firm_id:int}/licences/{licence_id:int}": (
        _withdraw_licence,
        only(CONTRACTOR_P, ADMIN),
    ),
    "POST /api/firms/{firm_id:int}/track-records": (
        request("POST", "/api/firms/{w.contractor_firm}/track-records", json=TRACK_RECORD),
        only(CONTRACTOR_P, ADMIN, ok=201),
    ),
    "DELETE /api/firms/{firm_id:int}/track-records/{record_id:int}": (
        _remove_track_record,
        only(CONTRACTOR_P, ADMIN),
    ),
    "POST /api/firms/{firm_id:int}/resubmit": (_resubmit, only(APPLICANT, ADMIN)),
    "GET /api/firms/{firm_id:int}/credit": (
        request("GET", "/api/firms/{w.contractor_firm}/credit"),
        only(CONTRACTOR_P, *OFFICIALS),
    ),
    "GET /api/firms/{firm_id:int}/licences/expiring": (
        request("GET", "/api/firms/{w.contractor_firm}/licences/expiring"),
        only(CONTRACTOR_P, *OFFICIALS),
    ),
    "GET /api/registry/licences/expiring": (
        request("GET", "/api/registry/licences/expiring"),
        only(*OFFICIALS),
    ),
    "GET /api/registry/licences/pending": (request("GET", "/api/registry/licences/pending"), only(ADMIN)),
    "POST /api/firms/{firm_id:int}/decisions": (
        request(
            "POST", "/api/firms/{w.spare_firm}/decisions", json={"decision": "return", "reason": "材料不全"}
        ),
        only(ADMIN),
    ),
    "POST /api/licences/{licence_id:int}/review": (_review_licence, only(ADMIN)),
    "POST /api/firms/{firm_id:int}/misconduct": (
        request(
            "POST",
            "/api/firms/{w.contractor_firm}/misconduct",
            json={"severity": "minor", "description": "未按时提交资料", "occurred_on": "2025-01-10"},
        ),
        only(*OFFICIALS, ok=201),
    ),
    "POST /api/firms/{firm_id:int}/credit/adjustments": (
        request(
            "POST",
            "/api/firms/{w.contractor_firm}/credit/adjustments",
            json={"delta": "0.5", "reason": "更正"},
        ),
        only(ADMIN, ok=201),
    ),
    "POST /api/registry/eligibility": (
        request("POST", "/api/registry/eligibility", json=REQUIREMENTS),
        only(OWNER_P, OTHER_OWNER, *OFFICIALS),
    ),
    "POST /api/registry/eligibility/{firm_id:int}": (
        request("POST", "/api/registry/eligibility/{w.contractor_firm}", json=REQUIREMENTS),
        only(OWNER_P, OTHER_OWNER, CONTRACTOR_P, *OFFICIALS),
    ),
    "POST /api/registry/imports": (_import, only(ADMIN)),
    "GET /firms": (request("GET", "/firms"), everyone(200)),
    # the operator's Prometheus holds its own token; no user session reads the metrics
    "GET /metrics": (request("GET", "/metrics"), everyone(401)),
    "GET /api/calendar/years": (request("GET", "/api/calendar/years"), only(*SIGNED_IN)),
    "GET /api/calendar/years/{year:int}": (request("GET", "/api/calendar/years/2026"), only(*SIGNED_IN)),
    "POST /api/calendar/years": (
        request(
            "POST",
            "/api/calendar/years",
            content=CALENDAR_2026,
            headers_extra={"Content-Type": "application/toml"},
        ),
        only(ADMIN, ok=201),
    ),
    "GET /firms/{firm_id:int}": (request("GET", "/firms/{w.contractor_firm}"), everyone(200)),
}
# each area's rows live beside it, with the objects they need (issue 11 onwards)
ROW_MODULES = (
    access_procurements,
    access_bids,
    access_owner_pages,
    access_bidder_pages,
    access_draw,
    access_draw_pages,
    access_review,
    access_offers,
    access_rounds,
    access_checkpoints,
    access_supervision,
    access_objections,
    access_delivery,
    access_contract,
    access_award,
)
for _module in ROW_MODULES:
    assert not set(_module.ROWS) & set(MATRIX), f"{_module.__name__} repeats a row"
    MATRIX.update(_module.ROWS)


def app_routes() -> list[tuple[str, str]]:
    """(key, OpenAPI path) of every operation the app serves, from its own route list."""
    app = create_app(
        Settings(home=Path("/nonexistent"), database_url="postgresql+asyncpg://u@127.0.0.1:1/none")
    )
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/schema", "/static")):
            continue
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            found.append((f"{method} {route.path}", route.path_format))
    return found


ROUTES = app_routes()


def _cells() -> list[Any]:
    cells = []
    for key, openapi_path in ROUTES:
        for who in PRINCIPALS:
            cells.append(pytest.param(key, openapi_path, who, id=f"{key}-{who}"))
    return cells


@pytest.fixture(scope="module")
async def world(test_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    started = time.perf_counter()
    async for world in build_world(test_server, tmp_path_factory.mktemp("matrix")):
        for module in ROW_MODULES:
            await module.setup(world)
        print(f"access matrix world ready in {time.perf_counter() - started:.1f} s")
        yield world


def test_every_entry_names_a_route_and_every_principal() -> None:
    keys = {key for key, _ in ROUTES}
    assert set(MATRIX) - keys == set(), "entries for routes the app no longer has"
    for key, (_, expected) in MATRIX.items():
        assert set(expected) == set(PRINCIPALS), key


@pytest.mark.parametrize(("key", "openapi_path", "who"), _cells())
async def test_access(world: World, key: str, openapi_path: str, who: str) -> None:
    assert key in MATRIX, f"{key} has no entry in the access matrix: say who may call it"
    build, expected = MATRIX[key]
    want = expected[who]
    method, path, kwargs = await build(world, who)
    headers = kwargs.pop("headers", world.auth(who)) | kwargs.pop("headers_extra", {})
    response = await world.client.request(method, path, headers=headers, **kwargs)
    world.client.cookies.clear()
    assert response.status_code == want, (
        f"{who}: {method} {path} -> {response.status_code} {response.text[:300]}"
    )
    if want >= 400:
        assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
        if openapi_path not in world.openapi["paths"]:  # /metrics is the operator's, not the API's
            return
        operation = world.openapi["paths"][openapi_path][method.lower()]
        assert str(want) in operation["responses"], f"{want} is not documented for {key}"
