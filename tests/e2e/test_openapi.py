"""The OpenAPI document describes every answer: each JSON success answer has a schema with
named fields, and what the registry API really answers conforms to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from litestar.testing import AsyncTestClient

from market.clock import FixedClock
from market.models import Role
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import contractor, intermediary

Client = AsyncTestClient  # type: ignore[type-arg]
METHODS = ("get", "post", "put", "patch", "delete")
# answers that are files or pages, documented by their media type and not as JSON
NOT_JSON = (
    "application/pdf",
    "text/html",
    "application/vnd.openxmlformats-officedocument",
    "application/octet-stream",  # a procurement attachment: PDF, DOCX, XLSX or ZIP
    "text/csv",  # the supervisors' tables exported
)


async def _openapi(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The named object a success answer is, or the items of a list of them; None when the
    answer is anonymous (a free-form object, a bare string...)."""
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    ref = schema.get("$ref", "")
    if not ref.startswith("#/components/schemas/"):
        return None
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return found


async def test_every_json_success_answer_has_a_schema_with_named_fields(client: Client) -> None:
    document = await _openapi(client)
    missing, checked = [], set()
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            for code, response in item[method]["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                content = response.get("content") or {}
                if not content:
                    missing.append(f"{method.upper()} {path} {code}: no content documented")
                for media, body in content.items():
                    if media.startswith(NOT_JSON):
                        continue
                    component = _component(document, body.get("schema", {}))
                    if component is None or not component.get("properties"):
                        missing.append(f"{method.upper()} {path} {code} {media}: {body.get('schema')}")
                    checked.add(f"{method.upper()} {path}")
    assert not missing, "answers without a schema:\n" + "\n".join(missing)
    registry = {op for op in checked if "/firms" in op or "/registry" in op or "/licences/" in op}
    assert len(registry) >= 20, sorted(registry)  # the walk did reach the registry


class Answers:
    """Calls the API and checks each JSON answer against the schema OpenAPI gives for it."""

    def __init__(self, client: Client, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.seen: set[str] = set()

    async def __call__(
        self, method: str, template: str, status: int, *, headers: Any = None, json: Any = None, **path: Any
    ) -> Any:
        response = await self.client.request(
            method, template.format(**path), headers=headers, json=json, params=path.pop("params", None)
        )
        assert response.status_code == status, (template, response.text)
        operation = self.document["paths"][template][method.lower()]
        schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
        validator = Draft202012Validator(schema | {"components": self.document["components"]})
        problems = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(response.json())
        ]
        assert not problems, f"{method} {template} answers outside its schema: {problems}"
        self.seen.add(f"{method} {template}")
        return response.json()


def _application(raw: dict[str, Any], username: str) -> dict[str, Any]:
    return {"firm": raw, "account": {"username": username, "display_name": "经办人", "password": PASSWORD}}


async def test_registry_answers_conform_to_their_schemas_and_keep_their_shape(
    client: Client, make_user: Any, clock: FixedClock
) -> None:
    call = Answers(client, await _openapi(client))
    raw = contractor(1, contact_phone="0751-1234567")
    raw["track_records"] = [
        {
            "project": "解放路改造",
            "owner_name": "韶关市浈江区住房和城乡建设局",
            "contract_value": "1250000",
            "completed_on": "2025-06-30",
            "field_code": "housing_municipal",
        }
    ]
    soon = contractor(2)
    soon["licences"][0]["valid_until"] = (clock.now().date() + timedelta(days=5)).isoformat()
    apply = "/api/registry/applications"
    first = (await call("POST", apply, 201, json=_application(raw, "firm1")))["firm_id"]
    second = (await call("POST", apply, 201, json=_application(soon, "firm2")))["firm_id"]
    agency = (await call("POST", apply, 201, json=_application(intermediary(3), "firm3")))["firm_id"]
    returned = (await call("POST", apply, 201, json=_application(contractor(4), "firm4")))["firm_id"]
    await make_user("admin1", Role.ADMIN)
    admin = await sign_in(client, "admin1")
    await make_user("buyer", Role.OWNER)
    owner = await sign_in(client, "buyer")
    own = await sign_in(client, "firm1")

    await call("GET", "/api/registry/vocabulary", 200)
    decide = "/api/firms/{firm_id}/decisions"
    for firm_id in (first, second, agency):
        await call("POST", decide, 200, headers=admin, json={"decision": "admit"}, firm_id=firm_id)
    await call(
        "POST", decide, 200, headers=admin, json={"decision": "return", "reason": "补正"}, firm_id=returned
    )
    resubmit = "/api/firms/{firm_id}/resubmit"
    await call("POST", resubmit, 200, headers=await sign_in(client, "firm4"), json={}, firm_id=returned)

    # one firm's record: the same fields for everyone, contact details for members, the
    # status reason and history for the firm itself and officials; never an empty stand-in
    record = "/api/firms/{firm_id}"
    public = await call("GET", record, 200, firm_id=first)
    member = await call("GET", record, 200, headers=owner, firm_id=first)
    mine = await call("GET", record, 200, headers=own, firm_id=first)
    official = await call("GET", record, 200, headers=admin, firm_id=first)
    assert set(member) - set(public) == {"contact"}
    assert set(mine) - set(public) == set(official) - set(public) == {"contact", "status_reason", "history"}
    assert public["credit_score"] == "80.00" and public["kind"] == "contractor"
    assert public["track_records"][0]["contract_value"] == "1250000.00"
    assert public["licences"][0]["valid_until"] == "2028-12-31" and public["licences"][0]["expired"] is False
    assert datetime.fromisoformat(public["admitted_at"]) == clock.now()
    assert [(h["from"], h["to"]) for h in official["history"]] == [(None, "applied"), ("applied", "admitted")]
    assert member["contact"] == {"name": "", "phone": "0751-1234567", "email": ""}

    await call("GET", "/api/firms", 200, params={"sort": "id"})
    changed = await call(
        "PATCH",
        record,
        200,
        headers=own,
        json={"version": mine["version"], "introduction": "简介"},
        firm_id=first,
    )
    assert changed["introduction"] == "简介" and "history" in changed

    licence = {
        "licence_type": "safety_permit",
        "number": "S-1",
        "issuer": "广东省住房和城乡建设厅",
        "valid_until": "2029-01-01",
    }
    licences = "/api/firms/{firm_id}/licences"
    submitted = await call("POST", licences, 201, headers=own, json=licence, firm_id=first)
    await call("GET", "/api/registry/licences/pending", 200, headers=admin)
    review = "/api/licences/{licence_id}/review"
    await call("POST", review, 200, headers=admin, json={"approve": True}, licence_id=submitted["licence_id"])
    again = await call("POST", licences, 201, headers=own, json=licence | {"number": "S-2"}, firm_id=first)
    withdraw = "/api/firms/{firm_id}/licences/{licence_id}"
    await call("DELETE", withdraw, 200, headers=own, firm_id=first, licence_id=again["licence_id"])

    track = {
        "project": "桥梁维修",
        "owner_name": "业主",
        "contract_value": "30000.5",
        "completed_on": "2026-01-02",
        "field_code": "housing_municipal",
    }
    added = await call(
        "POST", "/api/firms/{firm_id}/track-records", 201, headers=own, json=track, firm_id=first
    )
    remove = "/api/firms/{firm_id}/track-records/{record_id}"
    await call("DELETE", remove, 200, headers=own, firm_id=first, record_id=added["track_record_id"])

    misconduct = "/api/firms/{firm_id}/misconduct"
    minor = {"severity": "minor", "description": "迟到", "occurred_on": "2026-11-01"}
    recorded = await call("POST", misconduct, 201, headers=admin, json=minor, firm_id=first)
    assert recorded["deduction"] == "-2.00" and recorded["suspended_until"] is None
    severe = minor | {"severity": "severe", "description": "出借资质"}
    suspended = await call("POST", misconduct, 201, headers=admin, json=severe, firm_id=second)
    assert datetime.fromisoformat(suspended["suspended_until"]) > clock.now()
    adjustment = {"delta": "-2.5", "reason": "纠正"}
    adjusted = await call(
        "POST", "/api/firms/{firm_id}/credit/adjustments", 201, headers=admin, json=adjustment, firm_id=first
    )
    assert adjusted["score_after"] == "75.50"
    statement = await call("GET", "/api/firms/{firm_id}/credit", 200, headers=own, firm_id=first)
    assert statement["score"] == statement["recomputed"] == "75.50" and statement["consistent"] is True
    await call("GET", "/api/registry/licences/expiring", 200, headers=admin)
    await call("GET", "/api/firms/{firm_id}/licences/expiring", 200, headers=admin, firm_id=second)
    await call("GET", record, 200, headers=admin, firm_id=second)  # a suspended firm, with its deadline

    requirements = {
        "kind": "contractor",
        "licences": ["building_gc"],
        "min_grade": "三级",
        "min_credit": "50",
    }
    eligible = await call(
        "POST", "/api/registry/eligibility", 200, headers=owner, json={"requirements": requirements}
    )
    assert eligible["requirements"]["min_credit"] == "50" and eligible["firms"][0]["credit_score"] == "75.50"
    why = "/api/registry/eligibility/{firm_id}"
    await call("POST", why, 200, headers=owner, json={"requirements": requirements}, firm_id=second)

    document = call.document
    json_operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        if path.startswith(("/api/firms", "/api/registry", "/api/licences"))
        and path != "/api/registry/imports"
        for method in METHODS
        if method in item
    }
    assert call.seen == json_operations
