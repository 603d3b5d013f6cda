"""The sign-in, owner and public procurement pages over HTTP through the app: the sign-in
form keeps the user name and never the password, refuses a post without its CSRF token and
never sends anyone to another site; an owner's refused form comes back with each message
beside its field and what was typed; publication, amendment and cancellation show on the
public page; a draft is nobody else's business."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.models import OrganisationKind, Role
from market.settings import AuthSettings
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD
from tests.registry_data import admitted_firm, intermediary, uscc

Client = AsyncTestClient  # type: ignore[type-arg]
HTML = {"Accept": "text/html"}
# the clock of these tests: Monday 2026-11-02 09:00 in China; three working days on is Thursday
GOOD = {
    "kind": "intermediary_service",
    "title": "韶关市某道路工程造价咨询",
    "description": "编制工程量清单及招标控制价，提交成果报告。",
    "division": "440203",
    "service_type": "cost_consulting",
    "budget": "200000.00",
    "ceiling": "180000.00",
    "quote_mode": "amount",
    "bid_deadline": "2026-11-09T10:00",
    "selection_time": "2026-11-09T15:00",
    "method": "random",
    "winners": "1",
    "alternates": "0",
}


async def _owner(db: ClonedDatabase, username: str, org_name: str, serial: int) -> None:
    async with db.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name=org_name, uscc=uscc(serial),
            address="韶关市", contact_phone="",
        )  # fmt: skip
        await accounts.create_user(
            uow, Actor.system("test"), username=username, display_name="经办人", password=PASSWORD,
            roles=[Role.OWNER], organisation_id=org.id, auth=AuthSettings(),
        )  # fmt: skip
        await uow.commit()


def _csrf(client: Client) -> str:
    token = client.cookies.get("market_csrf")
    assert token, "a page hands out the CSRF cookie"
    return str(token)


async def _page_sign_in(client: Client, username: str, next_path: str = "") -> Any:
    await client.get("/login", headers=HTML)
    form = {"username": username, "password": PASSWORD, "next": next_path, "_csrf_token": _csrf(client)}
    return await client.post("/login", data=form, headers=HTML, follow_redirects=False)


def _field_errors(html: str, field: str) -> list[str]:
    block = re.search(rf'<div class="field has-error" id="field-{re.escape(field)}">(.*?)</div>', html, re.S)
    assert block, f"no error beside {field}"
    return [unescape(m) for m in re.findall(r'<p class="field-error" role="alert">(.*?)</p>', block[1], re.S)]


def _new_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    found = re.match(r"/my/procurements/(\d+)/edit", response.headers["location"])
    assert found, response.headers["location"]
    return int(found[1])


@pytest.fixture
async def owner_client(client: Client, fresh_database: ClonedDatabase, clock: FixedClock) -> Client:
    await _owner(fresh_database, "page.owner", "韶关市交通运输局", 910_001)
    for serial in (910_101, 910_102):
        await admitted_firm(fresh_database.database, intermediary(serial), now=clock.now())
    response = await _page_sign_in(client, "page.owner")
    assert response.status_code == 303 and response.headers["location"] == "/my/procurements"
    return client


async def test_a_wrong_password_shows_the_form_again_with_the_name_and_without_the_password(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    await _owner(fresh_database, "page.owner", "韶关市交通运输局", 910_001)
    await client.get("/login", headers=HTML)
    form = {"username": "page.owner", "password": "not-the-password-1", "_csrf_token": _csrf(client)}
    response = await client.post("/login", data=form, headers=HTML)
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert 'value="page.owner"' in response.text
    assert "not-the-password-1" not in response.text
    assert "market_session" not in client.cookies


async def test_the_sign_in_form_without_its_csrf_token_is_refused(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    await _owner(fresh_database, "page.owner", "韶关市交通运输局", 910_001)
    response = await client.post(
        "/login", data={"username": "page.owner", "password": PASSWORD}, headers=HTML
    )
    assert response.status_code == 403
    assert "防伪令牌" in response.text
    assert "market_session" not in client.cookies


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\tevil",
        "javascript:alert(1)",
        "evil",
    ],
)
async def test_signing_in_never_redirects_to_another_site(
    client: Client, fresh_database: ClonedDatabase, target: str
) -> None:
    await _owner(fresh_database, "page.owner", "韶关市交通运输局", 910_001)
    response = await _page_sign_in(client, "page.owner", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/procurements"


async def test_signing_in_goes_back_to_the_page_asked_for_and_signing_out_ends_the_session(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    await _owner(fresh_database, "page.owner", "韶关市交通运输局", 910_001)
    response = await client.get("/my/procurements/new", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location == "/login?next=%2Fmy%2Fprocurements%2Fnew"
    response = await _page_sign_in(client, "page.owner", next_path="/my/procurements/new")
    assert response.headers["location"] == "/my/procurements/new"
    page = await client.get("/my/procurements/new", headers=HTML)
    assert page.status_code == 200 and "经办人（page.owner）" in page.text
    without_token = await client.post("/logout", headers=HTML, follow_redirects=False)
    assert without_token.status_code == 403  # a cookie session signs out only with its token
    signed_out = await client.post("/logout", data={"_csrf_token": _csrf(client)}, follow_redirects=False)
    assert signed_out.status_code == 303 and urlsplit(signed_out.headers["location"]).path == "/"
    again = await client.get("/my/procurements", headers=HTML, follow_redirects=False)
    assert again.status_code == 303


async def test_a_refused_draft_keeps_what_was_typed_with_the_message_beside_the_field(
    owner_client: Client,
) -> None:
    client = owner_client
    typed = {**GOOD, "budget": "", "winners": "两家", "title": "道路造价咨询（测试）"}
    response = await client.post(
        "/my/procurements/new", data={**typed, "_csrf_token": _csrf(client)}, headers=HTML
    )
    assert response.status_code == 422
    assert _field_errors(response.text, "budget") == ["此项必填。"]
    assert "whole number" in _field_errors(response.text, "winners")[0]
    assert 'value="道路造价咨询（测试）"' in response.text and 'value="两家"' in response.text
    assert 'value="180000.00"' in response.text
    assert "发现 2 处问题" in response.text


async def test_publish_lists_every_problem_beside_its_field_then_the_fixed_draft_is_public(
    owner_client: Client, clock: FixedClock
) -> None:
    client = owner_client
    early = {**GOOD, "bid_deadline": "2026-11-03T10:00", "selection_time": "2026-11-03T09:00", "winners": "5"}
    created = await client.post(
        "/my/procurements/new", data={**early, "_csrf_token": _csrf(client)}, follow_redirects=False
    )
    procurement_id = _new_id(created)
    edit = await client.get(f"/my/procurements/{procurement_id}/edit", headers=HTML)
    assert "2026-11-05 09:00" in edit.text  # the earliest bid deadline: three working days on
    assert "现有 <strong>2</strong> 家企业符合条件" in edit.text
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    refused = await client.post(
        f"/my/procurements/{procurement_id}/publish",
        data={"version": version[1], "_csrf_token": _csrf(client)},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "working days" in _field_errors(refused.text, "bid_deadline")[0]
    assert "after the bid deadline" in _field_errors(refused.text, "selection_time")[0]
    assert "2 firms are eligible now" in refused.text  # the shortage, in the requirements' section

    fixed = {**GOOD, "version": version[1], "_csrf_token": _csrf(client)}
    saved = await client.post(f"/my/procurements/{procurement_id}/edit", data=fixed, follow_redirects=False)
    assert saved.status_code == 303
    public_before = await client.get(f"/procurements/{procurement_id}", headers={**HTML, "Cookie": ""})
    assert public_before.status_code == 404  # still a draft
    edit = await client.get(f"/my/procurements/{procurement_id}/edit", headers=HTML)
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    # the draw's declaration: the commitment the page makes in the browser over the reserved
    # reference, and the beacon chosen
    reserved = await client.post(
        f"/api/procurements/{procurement_id}/reference", headers={"X-CSRFToken": _csrf(client)}
    )
    assert reserved.status_code == 200, reserved.text
    declared = draw_data.publish_json(reserved.json()["reference"])
    beacon = {f"beacon_{k}": v for k, v in declared["beacon"].items()}
    published = await client.post(
        f"/my/procurements/{procurement_id}/publish",
        data={
            "version": version[1],
            "_csrf_token": _csrf(client),
            "owner_commitment": declared["owner_commitment"],
            **beacon,
        },
        follow_redirects=False,
    )
    assert published.status_code == 303, published.text
    client.cookies.clear()
    listed = await client.get("/procurements?kind=intermediary_service&q=造价", headers=HTML)
    assert "SGZJ-2026-0001" in listed.text and "韶关市某道路工程造价咨询" in listed.text
    page = await client.get(f"/procurements/{procurement_id}", headers=HTML)
    assert page.status_code == 200
    for text in ("¥180,000.00", "报价金额（元）", "随机抽取", "2026-11-09 10:00", "已发布"):
        assert text in page.text, text


async def test_a_draft_is_not_found_by_another_organisation_and_other_roles_are_refused(
    owner_client: Client, fresh_database: ClonedDatabase, make_user: Any
) -> None:
    client = owner_client
    created = await client.post(
        "/my/procurements/new", data={**GOOD, "_csrf_token": _csrf(client)}, follow_redirects=False
    )
    procurement_id = _new_id(created)
    await _owner(fresh_database, "page.owner2", "韶关市水务局", 910_002)
    await make_user("page.supervisor", Role.SUPERVISOR)
    client.cookies.clear()
    await _page_sign_in(client, "page.owner2")
    assert (await client.get(f"/my/procurements/{procurement_id}/edit", headers=HTML)).status_code == 404
    assert (await client.get(f"/procurements/{procurement_id}", headers=HTML)).status_code == 404
    client.cookies.clear()
    await _page_sign_in(client, "page.supervisor")
    refused = await client.get("/my/procurements", headers=HTML)
    assert refused.status_code == 403 and "无权操作" in refused.text
