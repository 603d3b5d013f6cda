"""The registry API over real HTTP: apply, review, browse, edit, eligibility; bad input is a
4xx naming the field and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from market.clock import FixedClock
from market.models import AuditEntry, Firm, Organisation, Role, User
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import contractor, intermediary

Client = AsyncTestClient  # type: ignore[type-arg]


def application(raw: dict[str, Any], username: str) -> dict[str, Any]:
    return {"firm": raw, "account": {"username": username, "display_name": "经办人", "password": PASSWORD}}


async def _counts(db: ClonedDatabase) -> tuple[int, int, int, int]:
    async with db.database.sessions() as session:
        return tuple(  # type: ignore[return-value]
            [
                int(await session.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Organisation, Firm, User, AuditEntry)
            ]
        )


async def _apply(client: Client, raw: dict[str, Any], username: str) -> int:
    response = await client.post("/api/registry/applications", json=application(raw, username))
    assert response.status_code == 201, response.text
    return int(response.json()["firm_id"])


async def _admin(client: Client, make_user: Any) -> dict[str, str]:
    await make_user("admin1", Role.ADMIN)
    return await sign_in(client, "admin1")


async def _admit(client: Client, admin: dict[str, str], firm_id: int) -> None:
    response = await client.post(f"/api/firms/{firm_id}/decisions", json={"decision": "admit"}, headers=admin)
    assert response.status_code == 200, response.text


async def test_vocabulary_is_public(client: Client) -> None:
    body = (await client.get("/api/registry/vocabulary")).json()
    assert {d["name"] for d in body["region"]["divisions"]} >= {"浈江区", "乳源瑶族自治县"}
    assert [f["name"] for f in body["work_fields"]] == ["房屋建筑和市政工程", "交通公路", "水利", "能源电力"]


async def test_a_firm_applies_is_admitted_and_appears_in_the_directory(
    client: Client, make_user: Any
) -> None:
    firm_id = await _apply(client, contractor(1, contact_phone="0751-1234567"), "firm1")
    assert (await client.get(f"/api/firms/{firm_id}")).status_code == 404  # not published yet
    own = await sign_in(client, "firm1")
    mine = (await client.get(f"/api/firms/{firm_id}", headers=own)).json()
    assert mine["status"] == "applied" and mine["licences"][0]["status"] == "pending"
    admin = await _admin(client, make_user)
    await _admit(client, admin, firm_id)
    public = (await client.get(f"/api/firms/{firm_id}")).json()
    assert public["status"] == "admitted" and public["licences"][0]["status"] == "approved"
    assert "contact" not in public and "history" not in public
    listing = (await client.get("/api/firms", params={"kind": "contractor", "q": "测试建筑"})).json()
    assert [item["id"] for item in listing["items"]] == [firm_id]
    history = (await client.get(f"/api/firms/{firm_id}", headers=admin)).json()["history"]
    assert [h["to"] for h in history] == ["applied", "admitted"]


async def test_directory_pages_and_sorts(client: Client, make_user: Any) -> None:
    admin = await _admin(client, make_user)
    ids = [await _apply(client, contractor(10 + n), f"firm{10 + n}") for n in range(5)]
    for firm_id in ids:
        await _admit(client, admin, firm_id)
    await client.post(
        f"/api/firms/{ids[3]}/credit/adjustments", json={"delta": "5", "reason": "表彰"}, headers=admin
    )
    first = (await client.get("/api/firms", params={"per_page": 2, "sort": "credit"})).json()
    assert first["total"] == 5 and first["pages"] == 3 and first["items"][0]["id"] == ids[3]
    third = (await client.get("/api/firms", params={"per_page": 2, "page": 3, "sort": "id"})).json()
    assert [i["id"] for i in third["items"]] == [ids[4]]
    bad = await client.get("/api/firms", params={"sort": "random"})
    assert bad.status_code == 422 and bad.json()["field"] == "sort"
    for name, value in (("min_credit", "Infinity"), ("min_credit", "NaN"), ("page", "99999999999999999999")):
        refused = await client.get("/api/firms", params={name: value})
        assert refused.status_code in (400, 422) and name in refused.text, (name, refused.text)
    hidden = await client.get("/api/firms", params={"status": "applied"})
    assert hidden.status_code == 422


async def test_bad_applications_name_the_field_and_write_nothing(
    client: Client, fresh_database: ClonedDatabase
) -> None:
    await _apply(client, contractor(20), "firm20")
    before = await _counts(fresh_database)
    wrong_check = contractor(21)
    wrong_check["uscc"] = wrong_check["uscc"][:-1] + ("0" if wrong_check["uscc"][-1] != "0" else "1")
    response = await client.post("/api/registry/applications", json=application(wrong_check, "firm21"))
    assert response.status_code == 422
    assert response.json()["field"] == "uscc" and "check character" in response.json()["detail"]
    short = await client.post(
        "/api/registry/applications", json=application(contractor(22, uscc="91440200123"), "f22")
    )
    assert short.status_code == 422 and "18 characters" in short.json()["detail"]
    unknown = await client.post(
        "/api/registry/applications", json=application(contractor(23, work_fields=["航空航天"]), "firm23")
    )
    problem = unknown.json()
    assert unknown.status_code == 422 and problem["field"] == "work_fields"
    assert "housing_municipal (房屋建筑和市政工程)" in problem["problems"][0]["message"]
    dates = contractor(24)
    dates["licences"][0].update(issued_on="2026-06-01", valid_until="2026-05-01")
    backwards = await client.post("/api/registry/applications", json=application(dates, "firm24"))
    assert backwards.status_code == 422
    assert backwards.json()["problems"][0]["field"] == "licences[0].valid_until"
    duplicate = await client.post("/api/registry/applications", json=application(contractor(20), "firm25"))
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "uscc"
    taken = await client.post("/api/registry/applications", json=application(contractor(26), "firm20"))
    assert taken.status_code == 409
    assert await _counts(fresh_database) == before


async def test_a_firm_edits_itself_but_not_another(client: Client, make_user: Any) -> None:
    mine = await _apply(client, contractor(30), "firm30")
    theirs = await _apply(client, contractor(31), "firm31")
    own = await sign_in(client, "firm30")
    version = (await client.get(f"/api/firms/{mine}", headers=own)).json()["version"]
    ok = await client.patch(
        f"/api/firms/{mine}", json={"version": version, "contact_phone": "13900000000"}, headers=own
    )
    assert ok.status_code == 200 and ok.json()["contact"]["phone"] == "13900000000"
    stale = await client.patch(
        f"/api/firms/{mine}", json={"version": version, "introduction": "x"}, headers=own
    )
    assert stale.status_code == 409
    current = ok.json()["version"]
    renamed = await client.patch(
        f"/api/firms/{mine}", json={"version": current, "name": "韶关市新名建筑工程有限公司"}, headers=own
    )
    assert renamed.json()["version"] == current + 1  # the organisation's name counts as a change
    lost = await client.patch(
        f"/api/firms/{mine}", json={"version": current, "address": "韶关市"}, headers=own
    )
    assert lost.status_code == 409
    other = await client.patch(f"/api/firms/{theirs}", json={"version": 1, "introduction": "x"}, headers=own)
    assert other.status_code == 403
    licence = {
        "licence_type": "safety_permit",
        "number": "S-1",
        "issuer": "广东省住房和城乡建设厅",
        "valid_until": "2029-01-01",
    }
    assert (await client.post(f"/api/firms/{theirs}/licences", json=licence, headers=own)).status_code == 403
    admin = await _admin(client, make_user)
    await _admit(client, admin, mine)
    submitted = await client.post(f"/api/firms/{mine}/licences", json=licence, headers=own)
    assert submitted.status_code == 201 and submitted.json()["status"] == "pending"
    queue = (await client.get("/api/registry/licences/pending", headers=admin)).json()
    assert queue["total"] == 1 and [q["licence_id"] for q in queue["items"]] == [
        submitted.json()["licence_id"]
    ]
    assert (await client.get("/api/registry/licences/pending", headers=own)).status_code == 403
    review = await client.post(
        f"/api/licences/{submitted.json()['licence_id']}/review", json={"approve": True}, headers=admin
    )
    assert review.json()["status"] == "approved"


async def test_eligibility_lists_and_explains(client: Client, make_user: Any, clock: FixedClock) -> None:
    admin = await _admin(client, make_user)
    good = await _apply(client, contractor(40), "firm40")
    low = contractor(41)
    low["licences"][0]["valid_until"] = (clock.now().date() + timedelta(days=5)).isoformat()
    expiring = await _apply(client, low, "firm41")
    agency = await _apply(client, intermediary(42), "firm42")
    for firm_id in (good, expiring, agency):
        await _admit(client, admin, firm_id)
    await make_user("buyer", Role.OWNER)
    owner = await sign_in(client, "buyer")
    requirements = {
        "kind": "contractor",
        "work_field": "房屋建筑和市政工程",
        "licences": ["building_gc"],
        "min_grade": "三级",
        "local_only": True,
    }
    now = (
        await client.post("/api/registry/eligibility", json={"requirements": requirements}, headers=owner)
    ).json()
    assert now["count"] == 2
    later_at = (clock.now() + timedelta(days=10)).isoformat()
    later = await client.post(
        "/api/registry/eligibility", json={"requirements": requirements, "at": later_at}, headers=owner
    )
    assert [f["id"] for f in later.json()["firms"]] == [good]
    why = await client.post(
        f"/api/registry/eligibility/{expiring}",
        json={"requirements": requirements, "at": later_at},
        headers=owner,
    )
    assert why.json()["eligible"] is False and why.json()["reasons"][0]["code"] == "licence-expired"
    expiring_list = (await client.get("/api/registry/licences/expiring", headers=admin)).json()
    assert expiring_list["total"] == 1 and [e["firm_id"] for e in expiring_list["items"]] == [expiring]
    bad = await client.post(
        "/api/registry/eligibility",
        json={"requirements": {"kind": "contractor", "work_field": "航天"}},
        headers=owner,
    )
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "work_field"
    firm_user = await sign_in(client, "firm40")
    refused = await client.post(
        "/api/registry/eligibility", json={"requirements": requirements}, headers=firm_user
    )
    assert refused.status_code == 403


async def test_severe_misconduct_suspends_at_once(client: Client, make_user: Any) -> None:
    admin = await _admin(client, make_user)
    firm_id = await _apply(client, contractor(50), "firm50")
    await _admit(client, admin, firm_id)
    await make_user("watcher", Role.SUPERVISOR)
    supervisor = await sign_in(client, "watcher")
    recorded = await client.post(
        f"/api/firms/{firm_id}/misconduct",
        json={
            "severity": "severe",
            "description": "出借资质",
            "occurred_on": "2026-11-01",
            "reference": "韶建罚〔2026〕12号",
        },
        headers=supervisor,
    )
    assert recorded.status_code == 201 and recorded.json()["suspended_until"]
    public = (await client.get(f"/api/firms/{firm_id}")).json()
    assert public["status"] == "suspended" and public["misconduct"][0]["description"] == "出借资质"
    statement = (await client.get(f"/api/firms/{firm_id}/credit", headers=supervisor)).json()
    assert [e["cause"] for e in statement["events"]] == ["base", "misconduct"] and statement["consistent"]
    stranger = await _apply(client, contractor(51), "firm51")
    other = await sign_in(client, "firm51")
    assert (await client.get(f"/api/firms/{firm_id}/credit", headers=other)).status_code == 403
    assert stranger


async def test_refused_transitions_are_409_with_the_reason(client: Client, make_user: Any) -> None:
    admin = await _admin(client, make_user)
    firm_id = await _apply(client, contractor(60), "firm60")
    await _admit(client, admin, firm_id)
    again = await client.post(f"/api/firms/{firm_id}/decisions", json={"decision": "admit"}, headers=admin)
    assert again.status_code == 409 and again.json()["firm_status"] == "admitted"
    assert "cannot become admitted" in again.json()["detail"]
    reinstate = await client.post(
        f"/api/firms/{firm_id}/decisions", json={"decision": "reinstate"}, headers=admin
    )
    assert reinstate.status_code == 422 and reinstate.json()["field"] == "decision"
    for decision, status in (("suspend", "suspended"), ("reinstate", "admitted")):
        done = await client.post(
            f"/api/firms/{firm_id}/decisions", json={"decision": decision, "reason": "检查"}, headers=admin
        )
        assert done.status_code == 200 and done.json()["status"] == status
    removed = await client.post(
        f"/api/firms/{firm_id}/decisions", json={"decision": "remove", "reason": "出借资质"}, headers=admin
    )
    assert removed.status_code == 200
    own = await sign_in(client, "firm60")
    edit = await client.patch(f"/api/firms/{firm_id}", json={"version": 99, "introduction": "x"}, headers=own)
    assert edit.status_code == 409
    resubmit = await client.post(f"/api/firms/{firm_id}/resubmit", json={}, headers=own)
    assert resubmit.status_code == 409
    far = await client.post(
        f"/api/registry/eligibility/{firm_id}",
        json={"requirements": {"kind": "contractor"}, "at": "9999-12-31T23:59:59-12:00"},
        headers=admin,
    )
    assert far.status_code == 422 and far.json()["field"] == "at"


async def test_owners_do_not_learn_about_applicants(client: Client, make_user: Any) -> None:
    firm_id = await _apply(client, contractor(61), "firm61")
    await make_user("buyer2", Role.OWNER)
    owner = await sign_in(client, "buyer2")
    asked = await client.post(
        f"/api/registry/eligibility/{firm_id}", json={"requirements": {"kind": "contractor"}}, headers=owner
    )
    assert asked.status_code == 404
    own = await sign_in(client, "firm61")
    mine = await client.post(
        f"/api/registry/eligibility/{firm_id}",
        json={"requirements": {"kind": "contractor", "licences": ["building_gc"]}},
        headers=own,
    )
    assert [r["code"] for r in mine.json()["reasons"]] == ["not-admitted", "licence-pending"]


async def test_firm_and_licence_changes_are_audited_with_the_client_address(
    client: Client, make_user: Any, fresh_database: ClonedDatabase
) -> None:
    firm_id = await _apply(client, contractor(62), "firm62")
    own = await sign_in(client, "firm62")
    version = (await client.get(f"/api/firms/{firm_id}", headers=own)).json()["version"]
    changed = await client.patch(
        f"/api/firms/{firm_id}", json={"version": version, "introduction": "专业施工"}, headers=own
    )
    assert changed.status_code == 200, changed.text
    licence = {
        "licence_type": "safety_permit",
        "number": "S-62",
        "issuer": "广东省住房和城乡建设厅",
        "valid_until": "2029-01-01",
    }
    submitted = await client.post(f"/api/firms/{firm_id}/licences", json=licence, headers=own)
    assert submitted.status_code == 201, submitted.text
    async with fresh_database.database.sessions() as session:
        rows = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.actor_label, AuditEntry.client_address).where(
                    AuditEntry.action.in_(["firm:changed", "licence:submitted"])
                )
            )
        ).all()
    # the test client connects from "testclient", as the application audit entry shows
    assert sorted(tuple(r) for r in rows) == [
        ("firm:changed", "firm62", "testclient"),
        ("licence:submitted", "firm62", "testclient"),
    ]


async def test_a_firms_unpublished_details_and_its_application_are_its_own(
    client: Client, make_user: Any
) -> None:
    mine = await _apply(client, contractor(63), "firm63")
    theirs = await _apply(client, contractor(64), "firm64")
    await make_user("buyer3", Role.OWNER)
    own = await sign_in(client, "firm63")
    owner = await sign_in(client, "buyer3")
    for reader, firm_id, status in ((own, mine, 200), (own, theirs, 403), (owner, mine, 403)):
        assert (await client.get(f"/api/firms/{firm_id}/credit", headers=reader)).status_code == status
        expiring = await client.get(f"/api/firms/{firm_id}/licences/expiring", headers=reader)
        assert expiring.status_code == status
    assert (await client.post(f"/api/firms/{theirs}/resubmit", json={}, headers=own)).status_code == 403
    assert (await client.post(f"/api/firms/{mine}/resubmit", json={}, headers=own)).status_code == 409


async def test_a_firms_division_is_division_code_when_applying_as_when_updating(client: Client) -> None:
    firm_id = await _apply(client, contractor(60, division_code="乐昌市"), "firm60")
    own = await sign_in(client, "firm60")
    mine = (await client.get(f"/api/firms/{firm_id}", headers=own)).json()
    assert (mine["division_code"], mine["division"]) == ("440281", "乐昌市")
    update = {"version": mine["version"], "division_code": "浈江区"}
    updated = await client.patch(f"/api/firms/{firm_id}", json=update, headers=own)
    assert updated.status_code == 200, updated.text
    assert (await client.get(f"/api/firms/{firm_id}", headers=own)).json()["division_code"] == "440204"
    wrong = await client.post(
        "/api/registry/applications", json=application(contractor(61, division_code="火星"), "firm61")
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "division_code"


async def test_the_old_name_division_is_still_read_when_applying(client: Client) -> None:
    raw = contractor(62)
    raw["division"] = raw.pop("division_code")
    firm_id = await _apply(client, raw, "firm62")
    own = await sign_in(client, "firm62")
    assert (await client.get(f"/api/firms/{firm_id}", headers=own)).json()["division_code"] == "440204"
