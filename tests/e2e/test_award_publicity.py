"""The result through the app (issue 13): the public award and its notice, the procurement's
documents to each reader, the 结果公示 section of the public page (with the objection link
for a respondent during the publicity), and the binding of a platform procurement's
documents to its owner organisation — issued, superseded or revoked by it or an
administrator only; free-form issuing for administrators."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from contracts import DocumentKind, canonical_json
from contracts.samples import sample_document
from market.audit import Actor
from market.award import documents as award_documents
from market.award import succession
from market.clock import FixedClock
from market.document_office import DocumentOffice
from market.models import Award, IssuedDocument, Organisation, Procurement, Role
from market.settings import Settings
from tests.award_data import OWNER_NAME, Selected, awarded, current, give_passwords, selected_service
from tests.bid_data import TERMS
from tests.conftest import ClonedDatabase
from tests.e2e.conftest import PASSWORD, sign_in
from tests.registry_data import VOCABULARY
from web.app import create_app

pytestmark = pytest.mark.slow
Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture(scope="module")
def shared_home() -> Path:
    return Path(tempfile.mkdtemp(prefix="market-award-"))  # one development seal for the module


@pytest.fixture
async def office(shared_home: Path) -> AsyncIterator[DocumentOffice]:
    office = DocumentOffice(Settings(home=shared_home, render_workers=1))
    try:
        yield office
    finally:
        office.close()


@pytest.fixture
def app_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
async def client(
    fresh_database: ClonedDatabase, shared_home: Path, app_clock: FixedClock
) -> AsyncIterator[Client]:
    settings = Settings(home=shared_home, database_url=fresh_database.url, render_workers=1)
    # no background work: the test takes each step (the scheduler's part: test_notice_scheduling)
    async with AsyncTestClient(app=create_app(settings, clock=app_clock, background=False)) as test_client:
        yield test_client


async def _issue_pending(fresh_database: ClonedDatabase, office: DocumentOffice, clock: FixedClock) -> int:
    return await award_documents.issue_pending(
        fresh_database.database, office, clock.now(), terms=TERMS, vocabulary=VOCABULARY
    )


async def _signed_in(client: Client, fresh_database: ClonedDatabase, selected: Selected) -> dict[str, Any]:
    await give_passwords(fresh_database.database, selected.owner, *selected.bidders, password=PASSWORD)
    return {
        "owner": await sign_in(client, selected.owner.username),
        **{p.organisation_uscc: await sign_in(client, p.username) for p in selected.bidders},
    }


async def test_the_result_is_public_with_its_notice_and_each_reader_sees_its_documents(
    client: Client,
    fresh_database: ClonedDatabase,
    office: DocumentOffice,
    app_clock: FixedClock,
    make_user: Any,
) -> None:
    selected = await selected_service(fresh_database.database)
    app_clock.current = (selected.selected_at + timedelta(hours=1)).astimezone(UTC)
    path = f"/api/procurements/{selected.procurement_id}"
    before = (await client.get(f"{path}/award")).json()
    assert before["current"]["result_notice_id"] is None  # the notice follows outside the selection

    assert await _issue_pending(fresh_database, office, app_clock) == 1
    who = await _signed_in(client, fresh_database, selected)
    award = await current(fresh_database.database, selected.procurement_id)
    loser = next(p for p in selected.bidders if p.organisation_uscc != award.uscc)

    public = (await client.get(f"{path}/award")).json()
    now = public["current"]
    assert (now["uscc"], now["rank"], now["round"], now["amount"]) == (award.uscc, 1, 1, f"{award.amount}")
    assert now["verify_command"].startswith("python -S -m selection.verify --frozen configuration=")
    assert len(now["record_digest"]) == 64 and now["record_download"] == f"{path}/record"
    assert now["result_notice_id"] == award.result_notice_id and len(now["result_notice_sha256"]) == 64
    assert public["earlier"] == [] and public["objections"] == {
        "lodged": 0,
        "open": 0,
        "upheld": 0,
        "dismissed": 0,
    }
    assert public["may_object"] is False  # a visitor
    assert (await client.get(f"{path}/award", headers=who[loser.organisation_uscc])).json()["may_object"]
    assert not (await client.get(f"{path}/award", headers=who[award.uscc])).json()["may_object"]  # the winner
    pdf = await client.get(now["result_notice_pdf"])  # the result notice is public
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    page = await client.get(f"/procurements/{selected.procurement_id}")
    assert page.status_code == 200 and 'id="publicity"' in page.text and "结果公示" in page.text
    assert now["firm_name"] in page.text and now["record_digest"] in page.text
    assert now["result_notice_pdf"] in page.text and 'id="object-link"' not in page.text
    mine = await client.get(f"/procurements/{selected.procurement_id}", headers=who[loser.organisation_uscc])
    assert (
        f"/procurements/{selected.procurement_id}/objections/new" in mine.text
        and ">提出质疑</a>" in mine.text
    )

    # the publicity ends: awarded, the selection notice goes to the parties only
    await awarded(fresh_database.database, selected)
    app_clock.current = (app_clock.current + timedelta(days=7)).astimezone(UTC)
    assert await _issue_pending(fresh_database, office, app_clock) == 1
    await make_user("sup.chen", Role.SUPERVISOR)
    who = await _signed_in(client, fresh_database, selected)  # a week on: sessions anew

    async def kinds(headers: dict[str, str] | None) -> list[str]:
        if headers is not None:  # a signed-in reader, not a visitor by mistake
            assert (await client.get("/api/auth/me", headers=headers)).status_code == 200
        answer = await client.get(f"{path}/documents", headers=headers or {})
        assert answer.status_code == 200, answer.text
        return sorted(d["kind"] for d in answer.json()["items"])

    both = ["result_notice", "selection_notice"]
    assert await kinds(None) == ["result_notice"]
    assert await kinds(who[loser.organisation_uscc]) == ["result_notice"]
    assert await kinds(who[award.uscc]) == both
    assert await kinds(who["owner"]) == both
    assert await kinds(await sign_in(client, "sup.chen")) == both
    late = (await client.get(f"{path}/award", headers=who[loser.organisation_uscc])).json()
    assert late["status"] == "awarded" and late["may_object"] is False


async def test_a_platform_procurements_documents_are_its_owner_organisations(
    client: Client,
    fresh_database: ClonedDatabase,
    office: DocumentOffice,
    app_clock: FixedClock,
    make_user: Any,
) -> None:
    selected = await selected_service(fresh_database.database)
    assert await _issue_pending(fresh_database, office, app_clock) == 1
    who = await _signed_in(client, fresh_database, selected)
    await make_user("root.admin", Role.ADMIN)
    await make_user("sup.chen", Role.SUPERVISOR)
    admin, supervisor = await sign_in(client, "root.admin"), await sign_in(client, "sup.chen")
    award = await current(fresh_database.database, selected.procurement_id)
    notice = f"/api/documents/{award.result_notice_id}"

    # free-form data is for administrators, even for the procurement's own owner
    data = json.loads(canonical_json(sample_document(DocumentKind.RESULT_NOTICE)))["data"]
    data["procurement"]["reference"] = selected.reference
    by_owner = await client.post(
        "/api/documents", json={"kind": "result_notice", "data": data}, headers=who["owner"]
    )
    assert by_owner.status_code == 403
    # an administrator acts for the owner organisation, saying why; the notice stays the owner's
    silent = await client.post("/api/documents", json={"kind": "result_notice", "data": data}, headers=admin)
    assert silent.status_code == 422 and silent.json()["field"] == "reason"
    assert (await client.get(notice)).json()["status"] == "valid"  # nothing superseded
    corrected = await client.post(
        "/api/documents",
        json={"kind": "result_notice", "data": data, "reason": "业主申请更正公示内容"},
        headers=admin,
        timeout=120,
    )
    assert corrected.status_code == 201, corrected.text
    assert (await client.get(notice)).json()["status"] == "superseded"
    async with fresh_database.database.sessions() as session:
        issuer = await session.scalar(
            select(IssuedDocument.issuer_organisation_id).where(IssuedDocument.id == corrected.json()["id"])
        )
        owner_org = await session.scalar(select(Organisation.id).where(Organisation.name == OWNER_NAME))
    assert issuer == owner_org

    # revoking: the owner organisation or an administrator; not a supervisor, not a bidder
    fresh = f"/api/documents/{corrected.json()['id']}/revoke"
    for headers in (who[award.uscc], supervisor):
        refused = await client.post(fresh, json={"reason": "作废"}, headers=headers)
        assert refused.status_code == 403, refused.text
    assert "owner organisation or an administrator" in refused.json()["detail"]
    revoked = await client.post(fresh, json={"reason": "公示内容有误，重新公示"}, headers=who["owner"])
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


async def test_the_next_firm_in_line_gets_its_own_notice_and_the_ended_award_stays_listed(
    client: Client, fresh_database: ClonedDatabase, office: DocumentOffice, app_clock: FixedClock
) -> None:
    database = fresh_database.database
    selected = await selected_service(database)
    assert await _issue_pending(fresh_database, office, app_clock) == 1
    first = await current(database, selected.procurement_id)
    later = selected.selected_at + timedelta(hours=3)
    async with database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, selected.procurement_id, with_for_update=True)
        award = await uow.session.get(Award, first.id)
        assert row is not None and award is not None
        await succession.pass_to_next(
            uow,
            Actor.system("test"),
            row,
            award,
            ending="replaced",
            note="未按期确认合同",
            now=later,
            terms=TERMS,
        )
        await uow.commit()
    assert await _issue_pending(fresh_database, office, app_clock) == 1
    second = await current(database, selected.procurement_id)
    assert second.id != first.id and second.rank == 2 and second.result_notice_id is not None

    result = (await client.get(f"/api/procurements/{selected.procurement_id}/award")).json()
    assert result["current"]["id"] == second.id and result["current"]["rank"] == 2
    [ended] = result["earlier"]
    assert (ended["id"], ended["ended_reason"], ended["ended_note"]) == (
        first.id,
        "replaced",
        "未按期确认合同",
    )
    old = (await client.get(f"/api/documents/{first.result_notice_id}")).json()
    new = (await client.get(f"/api/documents/{second.result_notice_id}")).json()
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    assert new["document_number"] == f"{selected.reference}-GS-2"
    page = (await client.get(f"/procurements/{selected.procurement_id}")).text
    assert 'id="earlier-awards"' in page and "由下一候补单位递补" in page and "未按期确认合同" in page
    assert "第 1 候补单位递补" in page  # rank 2: the first alternate
