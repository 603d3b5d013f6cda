"""The procurement API over HTTP through the app: an owner drafts, edits, publishes (every
problem at once), amends and cancels; retries with an Idempotency-Key get the first answer;
attachments are checked by type, size and content; the public list never shows a draft; bad
input is a 4xx that writes nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market import accounts
from market.audit import Actor
from market.clock import FixedClock
from market.models import OrganisationKind, Procurement, ProcurementAttachment, Role
from market.procurement.draft_input import terms_json
from market.settings import AuthSettings
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import admitted_firm, contractor, intermediary
from tests.unit.procurement.conftest import at, service_draft, works_draft

Client = AsyncTestClient  # type: ignore[type-arg]
URL = "/api/procurements"
PDF = b"%PDF-1.7\n" + b"0" * 200
TERMS = terms_json(service_draft(avoidance=()))


async def _owner(fresh_database: ClonedDatabase, client: Client, name: str) -> dict[str, str]:
    """Signs in a new owner account of a new organisation; its user name is ``owner<org id>``."""
    async with fresh_database.database.unit_of_work() as uow:
        org = await accounts.create_organisation(
            uow, Actor.system("test"), kind=OrganisationKind.OWNER, name=name
        )
        await accounts.create_user(
            uow,
            Actor.system("test"),
            username=f"owner{org.id}",
            display_name="经办人",
            password=PASSWORD,
            roles=[Role.OWNER],
            organisation_id=org.id,
            auth=AuthSettings(),
        )
        await uow.commit()
    return await sign_in(client, f"owner{org.id}")


async def _firms(fresh_database: ClonedDatabase, *serials: int) -> None:
    for serial in serials:
        await admitted_firm(fresh_database.database, intermediary(serial))


async def _count(fresh_database: ClonedDatabase, model: Any) -> int:
    async with fresh_database.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _draft(client: Client, owner: dict[str, str], terms: dict[str, Any] = TERMS) -> dict[str, Any]:
    response = await client.post(URL, json=terms, headers=owner)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _declared(
    client: Client, owner: dict[str, str], procurement_id: int, **more: Any
) -> dict[str, Any]:
    """The publish body with the draw's declaration, over the reference reserved now."""
    reserved = await client.post(f"{URL}/{procurement_id}/reference", headers=owner)
    assert reserved.status_code == 200, reserved.text
    return draw_data.publish_json(reserved.json()["reference"], **more)


async def test_an_owner_drafts_edits_publishes_amends_and_cancels(
    client: Client, fresh_database: ClonedDatabase, clock: FixedClock
) -> None:
    owner = await _owner(fresh_database, client, "韶关市交通运输局")
    await _firms(fresh_database, 1, 2)
    draft = await _draft(client, owner)
    assert draft["status"] == "draft" and draft["reference"] is None and draft["version"] == 1
    path = f"{URL}/{draft['id']}"
    edited = await client.put(
        path, json={**TERMS, "title": "改过的项目名称"}, headers=owner | {"If-Match": '"1"'}
    )
    assert edited.status_code == 200 and edited.headers["etag"] == '"2"'
    stale = await client.put(path, json={**TERMS, "title": "过时的修改"}, headers=owner | {"If-Match": '"1"'})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    eligibility = (await client.get(f"{path}/eligibility", headers=owner)).json()
    assert (eligibility["eligible"], eligibility["needed"], eligibility["enough"]) == (2, 2, True)

    body = await _declared(client, owner, draft["id"], expected_version=2)
    published = await client.post(f"{path}/publish", json=body, headers=owner)
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["reference"] == "SGZJ-2026-0001" and body["status"] == "published"
    assert body["terms"]["title"] == "改过的项目名称" and [v["sequence"] for v in body["versions"]] == [1]
    public = (await client.get(URL)).json()
    assert [p["reference"] for p in public["items"]] == ["SGZJ-2026-0001"]

    clock.current = at(2026, 11, 6, 10, 0)  # Friday: three working days on is Wednesday 11-11
    owner = await sign_in(client, f"owner{body['owner_organisation_id']}")  # the old session has expired
    amendment = {
        "terms": {**TERMS, "title": "改过的项目名称", "ceiling": "170000.00"},
        "reason": "调整最高限价",
        "expected_version": body["version"],
    }
    amended = await client.post(f"{path}/amendments", json=amendment, headers=owner)
    assert amended.status_code == 201, amended.text
    change = amended.json()
    assert change["sequence"] == 2 and change["diff"]["ceiling"] == {"old": "180000.00", "new": "170000.00"}
    assert change["deadline_moved"] and change["reconfirm_bids"] and change["bids_valid_from"] == 2
    assert datetime.fromisoformat(change["bid_deadline"]) == at(2026, 11, 11, 10, 0)
    versions = (await client.get(f"{path}/versions")).json()["versions"]
    assert [v["sequence"] for v in versions] == [1, 2] and versions[1]["reason"] == "调整最高限价"
    second = (await client.get(f"{path}/versions/2")).json()
    assert Decimal(second["terms"]["ceiling"]) == Decimal("170000.00")
    assert (await client.get(f"{path}/versions/3")).status_code == 404

    cancelled = await client.post(f"{path}/cancel", json={"reason": "项目资金未落实"}, headers=owner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(
        f"{path}/amendments", json={**amendment, "expected_version": None}, headers=owner
    )
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    assert (await client.get(path)).json()["cancel_reason"] == "项目资金未落实"


async def test_a_refused_publication_lists_every_problem_and_the_eligibility(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    owner = await _owner(fresh_database, client, "韶关市水务局")
    await _firms(fresh_database, 1)
    terms = terms_json(
        service_draft(
            avoidance=(),
            ceiling=Decimal("250000.00"),  # above the budget
            bid_deadline=at(2026, 11, 3, 10, 0),  # one working day
            selection_time=at(2026, 11, 3, 15, 0),
            requirements={"min_practitioners": 50},
        )
    )
    draft = await _draft(client, owner, terms)
    refused = await client.post(f"{URL}/{draft['id']}/publish", headers=owner)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert {"ceiling", "bid_deadline", "requirements"} <= {p["field"] for p in problem["problems"]}
    shortage = next(p for p in problem["problems"] if p["field"] == "requirements")
    assert (
        "0 firms are eligible now" in shortage["message"]
        and "too-few-practitioners: 1" in shortage["message"]
    )
    assert problem["eligibility"]["eligible"] == 0
    assert problem["eligibility"]["refusals"] == [{"code": "too-few-practitioners", "firms": 1}]
    shown = (await client.get(f"{URL}/{draft['id']}", headers=owner)).json()
    assert shown["status"] == "draft" and shown["reference"] is None


async def test_retries_with_an_idempotency_key_get_the_first_answer(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    owner = await _owner(fresh_database, client, "韶关市林业局")
    await _firms(fresh_database, 1, 2)
    keyed = owner | {"Idempotency-Key": "create-7f3a"}
    first = await client.post(URL, json=TERMS, headers=keyed)
    retry = await client.post(URL, json=TERMS, headers=keyed)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
    other = await client.post(URL, json={**TERMS, "title": "另一个项目名称"}, headers=keyed)
    assert other.status_code == 409 and "create-7f3a" in other.json()["detail"]
    assert await _count(fresh_database, Procurement) == 1
    bad_key = await client.post(URL, json=TERMS, headers=owner | {"Idempotency-Key": "k" * 201})
    assert bad_key.status_code == 422 and bad_key.json()["field"] == "Idempotency-Key"
    assert await _count(fresh_database, Procurement) == 1

    publish = f"{URL}/{first.json()['id']}/publish"
    keyed = owner | {"Idempotency-Key": "publish-1"}
    body = await _declared(client, owner, first.json()["id"])
    done = await client.post(publish, json=body, headers=keyed)
    replay = await client.post(publish, json=body, headers=keyed)
    assert done.status_code == replay.status_code == 200 and replay.json() == done.json()
    unkeyed = await client.post(publish, json=body, headers=owner)  # without the key it is a second act
    assert unkeyed.status_code == 409


async def test_attachments_are_checked_by_type_size_and_content(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    owner = await _owner(fresh_database, client, "韶关市教育局")
    other = await _owner(fresh_database, client, "韶关市卫健局")
    await _firms(fresh_database, 1, 2)
    draft = await _draft(client, owner)
    files = f"{URL}/{draft['id']}/attachments"

    async def upload(name: str, content: bytes, media: str = "application/pdf", who: Any = owner) -> Any:
        return await client.post(files, files={"file": (name, content, media)}, headers=who)

    added = await upload("招标文件.pdf", PDF)
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["size"] == len(PDF) and len(entry["sha256"]) == 64 and entry["added_in_version"] is None
    refusals = {
        "renamed": await upload("setup.pdf", b"MZ\x90\x00" + b"0" * 100),
        "type": await upload("setup.exe", b"MZ\x90\x00", "application/octet-stream"),
        "declared": await upload("清单.xlsx", b"PK\x03\x04" + b"0" * 100, "application/pdf"),
        "empty": await upload("空.pdf", b""),
        "large": await upload("大.pdf", b"%PDF-" + bytes(20 * 1024 * 1024)),
    }
    for why, response in refusals.items():
        assert response.status_code in (413, 422), (why, response.text)
    assert "not a PDF" in refusals["renamed"].json()["detail"]
    assert (await upload("别人的.pdf", PDF, who=other)).status_code == 404  # a draft of another org
    assert (await client.get(files)).status_code == 404  # nor for the anonymous
    assert await _count(fresh_database, ProcurementAttachment) == 1

    spare = (await upload("多余.zip", b"PK\x03\x04zip", "application/zip")).json()
    removed = await client.delete(f"{files}/{spare['id']}", headers=owner)
    assert removed.status_code == 200 and [a["id"] for a in removed.json()["attachments"]] == [entry["id"]]

    body = await _declared(client, owner, draft["id"])
    assert (await client.post(f"{URL}/{draft['id']}/publish", json=body, headers=owner)).status_code == 200
    download = await client.get(f"{files}/{entry['id']}")  # public now, anonymous
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-sha256"] == entry["sha256"]
    assert (
        "filename*=UTF-8''%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6.pdf" in download.headers["content-disposition"]
    )
    listed = (await client.get(files)).json()["attachments"]
    assert [a["added_in_version"] for a in listed] == [1]
    late = await upload("补充.pdf", PDF)
    assert late.status_code == 409 and "amendment" in late.json()["detail"]
    assert (await client.delete(f"{files}/{entry['id']}", headers=owner)).status_code == 409


async def test_the_public_list_filters_and_never_shows_a_draft(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    owner = await _owner(fresh_database, client, "韶关市住建局")
    other = await _owner(fresh_database, client, "韶关市文广旅体局")
    await _firms(fresh_database, 1, 2)
    await admitted_firm(fresh_database.database, contractor(3, work_fields=["transport"]))
    draft = await _draft(client, owner, {**TERMS, "title": "保密的草稿项目"})
    consulting = await _draft(client, owner)
    works = await _draft(client, owner, terms_json(works_draft()))
    for made in (consulting, works):
        body = await _declared(client, owner, made["id"])
        response = await client.post(f"{URL}/{made['id']}/publish", json=body, headers=owner)
        assert response.status_code == 200, response.text

    async def ids(query: str, who: dict[str, str] | None = None) -> list[int]:
        response = await client.get(f"{URL}?{query}", headers=who or {})
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert await ids("") == [works["id"], consulting["id"]]
    assert draft["id"] not in await ids("", owner)  # not even for its own organisation
    assert await ids("kind=small_works") == [works["id"]]
    assert await ids("service_type=工程造价咨询") == [consulting["id"]]
    assert await ids("q=保密") == []
    assert await ids("division=440203&status=published") == [works["id"], consulting["id"]]
    assert await ids("deadline_from=2026-11-09T10:00&deadline_to=2026-11-09T10:00") == [
        works["id"],
        consulting["id"],
    ]
    assert (await client.get(f"{URL}/{draft['id']}", headers=other)).status_code == 404
    assert (await client.get(f"{URL}/{draft['id']}")).status_code == 404
    mine = (await client.get(f"{URL}/mine?status=draft", headers=owner)).json()
    assert [p["id"] for p in mine["items"]] == [draft["id"]]
    assert (await client.get(f"{URL}/mine", headers=other)).json()["total"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "named"),
    [
        ("POST", URL, {**TERMS, "colour": "red"}, 422, "colour"),
        ("POST", URL, {**TERMS, "title": "长" * 201}, 422, "title"),
        ("POST", URL, {**TERMS, "budget": 1.5}, 422, "budget"),
        ("POST", URL, ["not", "an", "object"], 400, None),
        ("PUT", f"{URL}/{{id}}", {**TERMS, "expected_version": "one"}, 422, "expected_version"),
        ("PUT", f"{URL}/{{id}}", {**TERMS, "winners": 10**30}, 422, None),
        ("POST", f"{URL}/{{id}}/amendments", {"terms": TERMS, "reason": "x", "colour": 1}, 400, "colour"),
        ("POST", f"{URL}/{{id}}/cancel", {"reason": "长" * 501}, 400, "reason"),
        ("POST", f"{URL}/{{id}}/publish", {"expected_version": 0}, 400, "expected_version"),
        ("GET", f"{URL}?q={'长' * 101}", None, 422, "q"),
        ("GET", f"{URL}?status=draft", None, 422, "status"),
        ("GET", f"{URL}?per_page=1000", None, 422, "per_page"),
        ("GET", f"{URL}?deadline_from=tomorrow", None, 422, "deadline_from"),
        ("GET", f"{URL}/0", None, 404, None),
        ("GET", f"{URL}/9223372036854775808", None, 404, None),
        ("GET", f"{URL}/{{id}}/versions/0", None, 404, None),
        ("DELETE", f"{URL}/{{id}}/attachments/9223372036854775807", None, 404, None),
    ],
)
async def test_bad_input_is_a_4xx_naming_the_problem_and_writes_nothing(
    client: Client,
    fresh_database: ClonedDatabase,
    method: str,
    path: str,
    body: Any,
    status: int,
    named: str | None,
) -> None:
    owner = await _owner(fresh_database, client, "韶关市民政局")
    draft = await _draft(client, owner)
    kwargs = {} if body is None else {"json": body}
    response = await client.request(method, path.format(id=draft["id"]), headers=owner, **kwargs)
    assert response.status_code == status, response.text
    if named is not None:
        assert named in response.text
    assert await _count(fresh_database, Procurement) == 1
    shown = (await client.get(f"{URL}/{draft['id']}", headers=owner)).json()
    assert shown["version"] == 1 and shown["status"] == "draft"
