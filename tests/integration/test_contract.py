"""The contract both parties confirm online (issue 13): the owner drafts and confirms, the firm
confirms, and the PDF issued records both confirmations; every wrong confirmation is refused
with its reason and nothing written; a re-draft supersedes; after a missed limit the owner
awards the next alternate; supervisors list what is overdue."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from market import documents
from market.audit import Actor
from market.award import award_views, contract, reassign
from market.award.contract_rules import ContractRefused
from market.db import Database
from market.document_office import DocumentOffice
from market.errors import InvalidInput, PermissionDenied
from market.models import AuditEntry, Award, ContractSigning, IssuedDocument, Procurement, TimeLimit
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.settings import Settings
from tests.award_flow import Awarded, awarded_service, name_user
from tests.bid_data import TERMS, _user, acting, owner
from tests.integration.test_lifecycle import _advancing
from tests.registry_data import VOCABULARY

SERVICE_TERMS: dict[str, Any] = {
    "term": {"start": "2026-12-01", "end": "2027-05-31"},
    "scope": "1．编制施工图预算；\n2．全过程造价控制；\n3．竣工结算审核。",
    "payments": [
        {"description": "合同签订后十个工作日内", "percent": "30"},
        {"description": "竣工结算审核报告经甲方确认后", "percent": "70"},
    ],
    "deliverables": "施工图预算审核报告、竣工结算审核报告。",
}


@pytest.fixture(scope="module")
def office() -> Iterator[DocumentOffice]:
    home = Path(tempfile.mkdtemp(prefix="market-contract-"))
    settings = Settings(home=home, render_workers=1, public_url="https://jy.sg.example.cn")
    office = DocumentOffice(settings)
    yield office
    office.close()


@pytest.fixture
async def awarded(database: Database) -> AsyncIterator[Awarded]:
    done = await awarded_service(database)
    await name_user(database, done.buyer, "陈晓梅")
    await name_user(database, done.winner, "刘婷")
    yield done


async def _draft(
    database: Database, by: Principal, row: Procurement, at: Any, terms: Any = None
) -> ContractSigning:
    async with database.unit_of_work() as uow:
        signing = await contract.draft(
            uow, acting(by), by, row.id, terms or SERVICE_TERMS, at, vocabulary=VOCABULARY
        )
        await uow.commit()
        return signing


async def _confirm(
    database: Database, by: Principal, row: Procurement, digest: str, at: Any, office: DocumentOffice
) -> ContractSigning:
    async with database.unit_of_work() as uow:
        signing = await contract.confirm(uow, acting(by), by, row.id, digest, at, office=office)
        await uow.commit()
        return signing


async def _written(database: Database) -> tuple[int, ...]:
    """What a refused act must leave as it was: drafts, confirmations, documents, the log."""
    async with database.sessions() as session:
        counts = []
        for query in (
            select(func.count()).select_from(ContractSigning),
            select(func.count())
            .select_from(ContractSigning)
            .where(ContractSigning.owner_confirmed_at.is_not(None)),
            select(func.count())
            .select_from(ContractSigning)
            .where(ContractSigning.firm_confirmed_at.is_not(None)),
            select(func.count()).select_from(IssuedDocument),
            select(func.count()).select_from(AuditEntry),
            select(func.count()).select_from(TimeLimit).where(TimeLimit.done_at.is_not(None)),
        ):
            counts.append(int(await session.scalar(query) or 0))
        return tuple(counts)


async def test_owner_then_firm_confirm_and_the_issued_pdf_records_both(
    database: Database, awarded: Awarded, office: DocumentOffice
) -> None:
    at = awarded.awarded_at + timedelta(days=1)
    drafted = await _draft(database, awarded.buyer, awarded.row, at)
    assert drafted.sequence == 1 and drafted.data["amount"] == f"{awarded.award.amount:.2f}"
    assert drafted.data["provider"]["uscc"] == awarded.award.uscc
    await _confirm(database, awarded.buyer, awarded.row, drafted.digest, at + timedelta(hours=1), office)
    signed = await _confirm(
        database, awarded.winner, awarded.row, drafted.digest.upper(), at + timedelta(days=2), office
    )

    async with database.sessions() as session:
        row = await session.get(Procurement, awarded.row.id, populate_existing=True)
        issued = await session.get(IssuedDocument, signed.document_id)
        owed = list(
            await session.scalars(select(TimeLimit).where(TimeLimit.procurement_id == awarded.row.id))
        )
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_id == str(awarded.row.id))
                .order_by(AuditEntry.id)
            )
        )
    assert row is not None and row.status is ProcurementStatus.CONTRACTED
    assert issued is not None and issued.kind == "service_contract"
    assert issued.procurement_reference == awarded.row.reference
    assert issued.issuer_organisation_id == awarded.buyer.organisation_id
    assert sorted(issued.party_usccs) == sorted([awarded.award.uscc, "11440200MB2C12340D"])
    assert {(o.action, o.done_at is not None) for o in owed} == {
        ("contract_owner", True),
        ("contract_firm", True),
    }
    assert actions.count("contract:drafted") == 1 and actions.count("contract:confirmed") == 2
    assert actions[-1].endswith("signed") or "procurement:" in actions[-1], actions[-3:]

    async with database.unit_of_work() as uow:
        pdf = await documents.document_pdf(uow, issued.id)
    pages = PdfReader(BytesIO(pdf)).pages
    assert len(pages) == issued.page_count >= 2
    text = "".join("".join(page.extract_text().split()) for page in pages)
    assert "电子确认" in text
    assert "陈晓梅" in text and "刘婷" in text  # who confirmed, for each side
    assert text.count(drafted.digest[:8]) >= 2  # both confirmed the same digest
    assert awarded.row.reference in text
    check = await office.check(pdf)
    assert check.issued_by_platform and check.document_id == issued.id
    async with database.unit_of_work() as uow:
        again = await documents.reproduce(uow, office, issued.id)
    assert again.identical, again.detail
    assert (
        issued.data["confirmations"][0]["role"] == "甲方"
        and issued.data["confirmations"][1]["role"] == "乙方"
    )
    assert issued.data["confirmations"][0]["digest"] == drafted.digest


async def test_wrong_party_twice_firm_first_stale_and_late_are_refused_with_nothing_written(
    database: Database, awarded: Awarded, office: DocumentOffice
) -> None:
    at = awarded.awarded_at + timedelta(days=1)
    first = await _draft(database, awarded.buyer, awarded.row, at)
    other_owner = await owner(database, "韶关市武江区教育局")
    supervisor = await _user(database, awarded.buyer.organisation_id or 0, Role.SUPERVISOR)

    async def refused(by: Principal, digest: str, when: Any, error: type[Exception]) -> Exception:
        before = await _written(database)
        with pytest.raises(error) as caught:
            await _confirm(database, by, awarded.row, digest, when, office)
        assert await _written(database) == before  # nothing written
        return caught.value

    for stranger in (awarded.losers[0], other_owner, supervisor):
        await refused(stranger, first.digest, at, PermissionDenied)
    early = await refused(awarded.winner, first.digest, at, ContractRefused)
    assert "owner (甲方) confirms the contract first" in str(early)

    await _confirm(database, awarded.buyer, awarded.row, first.digest, at, office)
    twice = await refused(awarded.buyer, first.digest, at + timedelta(hours=1), ContractRefused)
    assert "already confirmed draft 1" in str(twice)

    second = await _draft(
        database,
        awarded.buyer,
        awarded.row,
        at + timedelta(hours=2),
        {**SERVICE_TERMS, "scope": "造价咨询全过程服务。"},
    )
    assert second.sequence == 2 and second.digest != first.digest
    # the owner confirms what it read: the draft it replaced is refused, naming the current one
    stale = await refused(awarded.buyer, first.digest, at + timedelta(hours=3), ContractRefused)
    assert isinstance(stale, ContractRefused) and stale.details["current_digest"] == second.digest
    # the re-draft reset the owner's confirmation: the firm waits for the owner again
    assert "confirms the contract first" in str(
        await refused(awarded.winner, second.digest, at, ContractRefused)
    )
    await _confirm(database, awarded.buyer, awarded.row, second.digest, at + timedelta(hours=4), office)
    stale = await refused(awarded.winner, first.digest, at + timedelta(hours=5), ContractRefused)
    assert "not that of the current draft 2" in str(stale)

    due = awarded.award.contract_due_at
    assert due is not None
    late = await refused(awarded.winner, second.digest, due, ContractRefused)
    assert isinstance(late, ContractRefused) and late.details["due_at"] == due
    assert "time to confirm the contract ended at" in str(late)
    async with database.sessions() as session:
        drafts = list(await session.scalars(select(ContractSigning).order_by(ContractSigning.sequence)))
    assert [(d.sequence, d.superseded_at is not None) for d in drafts] == [(1, True), (2, False)]


async def test_terms_not_the_owners_or_not_adding_up_are_refused_naming_the_field(
    database: Database, awarded: Awarded
) -> None:
    at = awarded.awarded_at + timedelta(days=1)
    for terms, field in (
        ({**SERVICE_TERMS, "site": "浈江区"}, "site"),  # a works field in a service contract
        ({**SERVICE_TERMS, "amount": "1.00"}, "amount"),  # the platform's, from the award
        ({**SERVICE_TERMS, "payments": [{"description": "一次付清", "percent": "90"}]}, "payments"),
        ({**SERVICE_TERMS, "term": {"start": "2027-01-01", "end": "2026-01-01"}}, "term.end"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await _draft(database, awarded.buyer, awarded.row, at, terms)
        assert refused.value.field == field, refused.value
    with pytest.raises(PermissionDenied):
        await _draft(database, awarded.winner, awarded.row, at)
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ContractSigning)) == 0


async def test_after_a_missed_limit_the_owner_awards_the_next_alternate(
    database: Database, awarded: Awarded
) -> None:
    due = awarded.award.contract_due_at
    assert due is not None
    early = due - timedelta(hours=1)
    async with database.unit_of_work() as uow:
        with pytest.raises(ContractRefused, match="still have time"):
            await reassign.reassign(
                uow, acting(awarded.buyer), awarded.buyer, awarded.row.id, "乙方未确认", early, terms=TERMS
            )
    async with database.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            await reassign.reassign(
                uow, acting(awarded.winner), awarded.winner, awarded.row.id, "x", due, terms=TERMS
            )

    await _advancing(database)(due + timedelta(minutes=1))  # the lifecycle flags both limits
    supervisor = await _user(
        database, (await owner(database, "韶关市公共资源交易中心")).organisation_id or 0, Role.SUPERVISOR
    )
    async with database.unit_of_work() as uow:
        lines = await award_views.overdue(
            uow, Actor(supervisor.user_id, "s"), supervisor, due + timedelta(hours=5)
        )
    assert {(line.action, line.firm_name != "") for line in lines} == {
        ("contract_owner", True),
        ("contract_firm", True),
    }
    assert all(
        line.late_by >= timedelta(hours=5) and line.reference == awarded.row.reference for line in lines
    )
    async with database.unit_of_work() as uow:
        only_firm = await award_views.overdue(
            uow, Actor(supervisor.user_id, "s"), supervisor, due, "contract_firm"
        )
    assert [line.action for line in only_firm] == ["contract_firm"]

    async with database.unit_of_work() as uow:
        new = await reassign.reassign(
            uow,
            acting(awarded.buyer),
            awarded.buyer,
            awarded.row.id,
            "中选单位逾期未确认合同",
            due + timedelta(hours=6),
            terms=TERMS,
        )
        await uow.commit()
    assert new is not None and new.rank == 2 and new.firm_id != awarded.award.firm_id
    async with database.sessions() as session:
        old = await session.get(Award, awarded.award.id, populate_existing=True)
        row = await session.get(Procurement, awarded.row.id, populate_existing=True)
        entries = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == str(awarded.row.id))
            )
        )
        open_limits = list(
            await session.scalars(
                select(TimeLimit).where(TimeLimit.cancelled_at.is_(None), TimeLimit.done_at.is_(None))
            )
        )
    assert old is not None and old.ended_reason == "replaced" and old.ended_note == "中选单位逾期未确认合同"
    assert row is not None and row.status is ProcurementStatus.SELECTED  # the next firm's publicity
    assert "award:contract_missed" in entries and "award:replaced" in entries
    assert open_limits == []  # the ended award owes nothing more
    # the overdue list no longer shows what the ended award owed
    async with database.unit_of_work() as uow:
        assert (
            await award_views.overdue(
                uow, Actor(supervisor.user_id, "s"), supervisor, due + timedelta(days=1)
            )
            == []
        )


async def test_the_overdue_list_refuses_others_and_the_refusal_is_audited(
    database: Database, awarded: Awarded
) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            await award_views.overdue(uow, acting(awarded.buyer), awarded.buyer, awarded.awarded_at)
    async with database.sessions() as session:
        refused = await session.scalar(select(AuditEntry).where(AuditEntry.action == "supervision:refused"))
    assert refused is not None and refused.actor_id == awarded.buyer.user_id


async def test_the_firm_sees_its_award_and_what_it_owes_next(
    database: Database, awarded: Awarded, office: DocumentOffice
) -> None:
    async def step() -> str:
        async with database.unit_of_work() as uow:
            [line] = await award_views.firm_awards(uow, awarded.winner)
            return line.next_step

    assert await step() == "await_draft"
    at = awarded.awarded_at + timedelta(hours=1)
    drafted = await _draft(database, awarded.buyer, awarded.row, at)
    assert await step() == "await_owner"
    await _confirm(database, awarded.buyer, awarded.row, drafted.digest, at, office)
    assert await step() == "confirm"
    async with database.unit_of_work() as uow:
        assert await award_views.firm_awards(uow, awarded.losers[0]) == []
        with pytest.raises(PermissionDenied):
            await award_views.firm_awards(uow, awarded.buyer)
