"""The platform issues an award's notices for the owner organisation (issue 13): the result
notice (成交结果公示) once the award opens, the selection notice (中选通知书) once it is
awarded — each sealed, bound to the procurement's reference, built only from stored data
(the same data again when rebuilt), reproducible from its stored inputs, issued once, and
tried again on the next pass when it cannot be issued yet."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import contracts
from market import audit_checkpoints, documents
from market.award import documents as award_documents
from market.clock import local_day
from market.db import Database
from market.document_office import DocumentOffice
from market.errors import PermissionDenied
from market.models import AuditCheckpoint, AuditEntry, Award, IssuedDocument, Organisation
from market.settings import Settings
from tests.award_data import OWNER_NAME, awarded, current, identify_owner, selected_service
from tests.bid_data import TERMS
from tests.issued_pdf import checked, stored
from tests.registry_data import VOCABULARY

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 20, tzinfo=UTC)  # only dates the log lines


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentOffice]:
    office = DocumentOffice(Settings(home=tmp_path_factory.mktemp("award-docs"), render_workers=1))
    try:
        yield office  # type: ignore[misc]
    finally:
        office.close()


async def _issue(database: Database, office: DocumentOffice) -> int:
    return await award_documents.issue_pending(database, office, NOW, terms=TERMS, vocabulary=VOCABULARY)


async def test_the_result_and_selection_notices_are_issued_for_the_owner_from_stored_data(
    database: Database, office: DocumentOffice
) -> None:
    selected = await selected_service(database)
    award = await current(database, selected.procurement_id)
    assert award.result_notice_id is None  # never inside the selection's transaction

    assert await _issue(database, office) == 1
    assert await _issue(database, office) == 0  # issued once
    award = await current(database, selected.procurement_id)
    assert award.result_notice_id is not None and award.selection_notice_id is None
    text = await checked(database, office, award.result_notice_id, selected.reference)
    row, _ = await stored(database, award.result_notice_id)
    async with database.sessions() as session:
        winner = await session.scalar(select(Organisation.name).where(Organisation.uscc == award.uscc))
        bidders = list(
            await session.scalars(
                select(Organisation.name).where(
                    Organisation.id.in_([b.organisation_id for b in selected.bidders])
                )
            )
        )
    assert winner is not None and len(bidders) == 3
    assert "成交结果公示" in text and winner in text and OWNER_NAME in text
    assert f"{award.amount:,.2f}" in text
    for name in bidders:  # every respondent is named
        assert name in text
    assert row.document_number == f"{selected.reference}-GS-1" and row.kind == "result_notice"
    assert row.issuer_organisation_id == selected.owner.organisation_id
    assert row.data["selection"]["candidates"] == 3
    # no representative on the organisation's record: the procurement's contact person
    assert row.data["owner"]["representative"] == "王工" == row.data["owner"]["contact"]
    # issue 14: the notice prints the audit chain's checkpoint published at the selection,
    # and the chain still contains it
    checkpoint = row.data["checkpoint"]
    async with database.sessions() as session:
        published = (
            await session.execute(
                select(AuditCheckpoint.seq, AuditCheckpoint.hash, AuditCheckpoint.reason).where(
                    AuditCheckpoint.object_type == "procurement",
                    AuditCheckpoint.object_id == str(selected.procurement_id),
                )
            )
        ).one()
    assert published.reason == "selection"
    assert (checkpoint["seq"], checkpoint["hash"]) == (published.seq, published.hash)
    assert "审计链检查点" in text and f"{published.seq}:{published.hash}" in text
    held = await audit_checkpoints.verify(database, [audit_checkpoints.parse(f"{published.seq}:{published.hash}")])
    assert held.intact, held.problems

    # rebuilt from the stored rows, the notice's data is the data that was issued
    async with database.unit_of_work() as uow:
        stored_award = await uow.session.get(Award, award.id)
        assert stored_award is not None
        facts = await award_documents.load_facts(uow, stored_award, terms=TERMS, vocabulary=VOCABULARY)
    rebuilt = json.loads(
        contracts.canonical_json(award_documents.build(contracts.DocumentKind.RESULT_NOTICE, facts))
    )
    assert rebuilt["data"] == row.data

    # the publicity ends with no objection: awarded, and the selection notice follows
    award = await awarded(database, selected)
    assert award.awarded_at is not None and award.contract_due_at is not None
    assert await _issue(database, office) == 1
    award = await current(database, selected.procurement_id)
    assert award.selection_notice_id is not None
    text = await checked(database, office, award.selection_notice_id, selected.reference)
    notice, _ = await stored(database, award.selection_notice_id)
    assert "中选通知书" in text and winner in text
    assert notice.document_number == f"{selected.reference}-TZ-1"
    assert notice.data["contract_deadline"] == local_day(award.contract_due_at).isoformat()
    assert notice.party_usccs == sorted({award.uscc, row.data["owner"]["uscc"]})
    async with database.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "document:issued").order_by(AuditEntry.id)
            )
        )
    assert [e.payload["kind"] for e in entries] == ["result_notice", "selection_notice"]
    assert {e.payload["issuer_organisation_id"] for e in entries} == {selected.owner.organisation_id}
    assert {e.payload["procurement"] for e in entries} == {selected.reference}


async def test_a_notice_that_cannot_be_issued_yet_is_logged_and_issued_on_a_later_pass(
    database: Database, office: DocumentOffice, caplog: pytest.LogCaptureFixture
) -> None:
    selected = await selected_service(database, identified=False)
    with caplog.at_level(logging.WARNING, logger="market.award.documents"):
        assert await _issue(database, office) == 0
    assert "has no USCC" in caplog.text
    assert (await current(database, selected.procurement_id)).result_notice_id is None
    async with database.sessions() as session:
        assert await session.scalar(select(IssuedDocument.id)) is None  # nothing half-written

    assert selected.owner.organisation_id is not None
    await identify_owner(database, selected.owner.organisation_id, representative="李四")
    assert await _issue(database, office) == 1
    award = await current(database, selected.procurement_id)
    assert award.result_notice_id is not None
    row, _ = await stored(database, award.result_notice_id)
    assert row.data["owner"]["representative"] == "李四"  # the organisation's own, when it has one


async def test_a_platform_reference_is_never_issued_for_another_organisation(
    database: Database, office: DocumentOffice
) -> None:
    selected = await selected_service(database)
    assert await _issue(database, office) == 1
    award = await current(database, selected.procurement_id)
    async with database.unit_of_work() as uow:
        stored = await uow.session.get(Award, award.id)
        assert stored is not None
        facts = await award_documents.load_facts(uow, stored, terms=TERMS, vocabulary=VOCABULARY)
        other = await uow.session.scalar(
            select(Organisation.id).where(Organisation.id != selected.owner.organisation_id).limit(1)
        )
    assert other is not None
    notice = award_documents.build(contracts.DocumentKind.RESULT_NOTICE, facts)
    with pytest.raises(PermissionDenied, match="belongs to another organisation"):
        async with database.unit_of_work() as uow:
            await documents.issue_for_procurement(uow, award_documents.ISSUER, office, notice, other)
    async with database.sessions() as session:
        assert list(await session.scalars(select(IssuedDocument.id))) == [award.result_notice_id]
