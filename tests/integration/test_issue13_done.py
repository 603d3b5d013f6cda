"""Issue 13, "Done when": a service procurement and a small-works procurement taken from
publication to evaluation on real PostgreSQL with an injected clock, through the services
the API calls and the real lifecycle:

- the service procurement's objection is upheld: round 2 is drawn from round 1's frozen
  inputs less the disqualified firm, into a second record verified on its own; the small
  works' objection is dismissed and the award follows;
- the result notice, the selection notice and the contract (both confirmations printed) are
  issued by the platform for the owner, opened and checked — text, page count, seal,
  re-rendered from their stored inputs — and belong to their procurement;
- the delivery is accepted and evaluated, and the winner's credit moves by exactly the
  policy's amounts for the rating and the punctuality.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from market.award import contract, delivery, evaluation
from market.award import documents as award_documents
from market.award.case_files import Upload
from market.db import Database
from market.document_office import DocumentOffice
from market.lifecycle.runner import advance
from market.models import Award, DrawRound, Firm, SelectionRecordRow
from market.principal import Principal
from market.procurement.states import ProcurementStatus as S
from market.settings import Settings
from selection.verify import verify_text
from tests import objection_flow as flow
from tests.award_data import identify_owner
from tests.bid_data import BID_KEY, TERMS, acting, owner
from tests.issued_pdf import checked
from tests.registry_data import VOCABULARY
from tests.works_flow import CONFIRMED, answer, contractors, drawn, offers_of, published_works

pytestmark = pytest.mark.slow
PDF = b"%PDF-1.7\n%result\n" + b"0" * 400
SERVICE_TERMS: dict[str, Any] = {
    "term": {"start": "2026-12-01", "end": "2027-05-31"},
    "scope": "1．编制施工图预算；\n2．竣工结算审核。",
    "payments": [
        {"description": "合同签订后", "percent": "30"},
        {"description": "成果验收后", "percent": "70"},
    ],
    "deliverables": "施工图预算审核报告、竣工结算审核报告。",
}
WORKS_TERMS: dict[str, Any] = {
    "term": {"start": "2026-12-01", "end": "2027-04-30"},
    "scope": "村道硬底化约1.2公里，含排水沟。",
    "site": "韶关市浈江区犁市镇",
    "project_manager": "邓国华",
    "payments": [{"description": "竣工验收合格后", "percent": "100"}],
}
ALL_FIVE = {c.code: 5 for c in TERMS.after.criteria}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocumentOffice]:
    made = DocumentOffice(Settings(home=tmp_path_factory.mktemp("issue13"), render_workers=1))
    try:
        yield made
    finally:
        made.close()


async def _run(database: Database, now: datetime) -> list[str]:
    done = await advance(database, BID_KEY, now, vocabulary=VOCABULARY, terms=TERMS)
    return [s.action for s in done.steps]


async def _current(database: Database, procurement_id: int) -> Award:
    async with database.sessions() as session:
        award = await session.scalar(
            select(Award).where(Award.procurement_id == procurement_id, Award.ended_at.is_(None))
        )
    assert award is not None
    return award


@dataclass
class Parties:
    owner: Principal
    firm: Principal
    firm_id: int


async def _through_evaluation(
    database: Database, office: DocumentOffice, parties: Parties, procurement_id: int, reference: str, *,
    terms_given: dict[str, Any], files: list[Upload], note: str,
) -> None:  # fmt: skip
    """From the result's publicity to the evaluation, every document checked on the way."""
    owner, firm = parties.owner, parties.firm
    award = await _current(database, procurement_id)
    now = award.selected_at + timedelta(minutes=30)
    await award_documents.issue_pending(database, office, now, terms=TERMS, vocabulary=VOCABULARY)
    award = await _current(database, procurement_id)
    result = await checked(database, office, award.result_notice_id, reference)
    assert "成交结果公示" in result

    assert await _run(database, award.publicity_ends_at) == ["award"]
    await award_documents.issue_pending(
        database, office, award.publicity_ends_at, terms=TERMS, vocabulary=VOCABULARY
    )
    award = await _current(database, procurement_id)
    assert award.awarded_at is not None and award.contract_due_at is not None
    notice = await checked(database, office, award.selection_notice_id, reference)
    assert "中选通知书" in notice

    at = award.awarded_at + timedelta(days=1)
    async with database.unit_of_work() as uow:
        drafted = await contract.draft(
            uow, acting(owner), owner, procurement_id, terms_given, at, vocabulary=VOCABULARY
        )
        digest = drafted.digest
        await uow.commit()
    async with database.unit_of_work() as uow:
        await contract.confirm(
            uow, acting(owner), owner, procurement_id, digest, at + timedelta(hours=1), office=office
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        signed = await contract.confirm(
            uow, acting(firm), firm, procurement_id, digest, at + timedelta(hours=2), office=office
        )
        document_id = signed.document_id
        await uow.commit()
    assert (await flow.reload(database, procurement_id)).status is S.CONTRACTED
    text = await checked(database, office, document_id, reference)
    assert "电子确认" in text and digest[:16] in text

    before = await _score(database, parties.firm_id)
    at += timedelta(days=20)
    async with database.unit_of_work() as uow:
        made = await delivery.deliver(
            uow, acting(firm), firm, procurement_id, note=note, files=files, now=at, terms=TERMS
        )
        delivery_id = made.id
        await uow.commit()
    async with database.unit_of_work() as uow:
        await delivery.accept(uow, acting(owner), owner, delivery_id, now=at + timedelta(days=1), terms=TERMS)
        await uow.commit()
    async with database.unit_of_work() as uow:
        evaluated = await evaluation.evaluate(
            uow, acting(owner), owner, procurement_id, scores=ALL_FIVE, comment="按期交付，质量好",
            now=at + timedelta(days=2), terms=TERMS, policy_=VOCABULARY.credit,
        )  # fmt: skip
        rating, on_time = evaluated.rating, evaluated.on_time
        await uow.commit()
    assert (rating, on_time) == (5, True)
    assert (await flow.reload(database, procurement_id)).status is S.EVALUATED
    moved = VOCABULARY.credit.evaluation[5] + VOCABULARY.credit.on_time
    assert await _score(database, parties.firm_id) == min(Decimal(100), before + moved)


async def _score(database: Database, firm_id: int) -> Decimal:
    async with database.sessions() as session:
        firm = await session.get(Firm, firm_id, populate_existing=True)
    assert firm is not None
    return firm.credit_score


def _parties(owner: Principal, principals: list[Principal], uscc: str) -> Parties:
    """The owner and the users of the awarded firm (found by its USCC)."""
    firm = next(p for p in principals if p.organisation_uscc == uscc)
    assert firm.organisation_id is not None
    return Parties(owner, firm, firm.organisation_id)


async def test_a_service_procurement_with_an_upheld_objection_goes_to_its_evaluation(
    database: Database, office: DocumentOffice
) -> None:
    picked = await flow.selected(database)
    row = picked.row
    assert row.reference is not None and picked.owner.organisation_id is not None
    await identify_owner(database, picked.owner.organisation_id, representative="王建国")
    first = await _current(database, row.id)
    objector = next(f for f in picked.firms if f.organisation_uscc != first.uscc)
    at = first.selected_at + timedelta(hours=1)
    made = await flow.lodge(database, objector, row, at)
    await flow.answer(database, picked.owner, made.id, "upheld", at + timedelta(hours=1))
    voided = await flow.reload(database, row.id)
    assert voided.status is S.REDRAWING and voided.redraw_freeze_at is not None
    secret = await flow.owner_commits(database, picked.owner, row, 2, at + timedelta(hours=2))
    assert await _run(database, voided.redraw_freeze_at) == ["freeze"]
    await flow.reveal(database, picked.owner, row, secret, voided.redraw_freeze_at + timedelta(minutes=5))
    assert await _run(database, voided.selection_time) == ["select"]

    async with database.sessions() as session:
        two = await session.get(DrawRound, (row.id, 2))
        records = list(
            await session.scalars(
                select(SelectionRecordRow)
                .where(SelectionRecordRow.procurement_id == row.id)
                .order_by(SelectionRecordRow.round)
            )
        )
    assert two is not None and [r.round for r in records] == [1, 2]
    assert verify_text(records[1].record, frozen=two.freeze_digests) is None  # the second record on its own
    assert first.uscc not in two.frozen_documents["candidates"]["candidates"]  # type: ignore[index]
    second = await _current(database, row.id)
    assert (second.round, second.rank) == (2, 1) and second.uscc != first.uscc

    parties = _parties(picked.owner, picked.firms, second.uscc)
    await _through_evaluation(
        database, office, parties, row.id, row.reference,
        terms_given=SERVICE_TERMS, files=[Upload("审核报告.pdf", PDF, "application/pdf")], note="最终成果",
    )  # fmt: skip


async def test_a_small_works_with_a_dismissed_objection_goes_to_its_evaluation(
    database: Database, office: DocumentOffice
) -> None:
    buyer = await owner(database)
    assert buyer.organisation_id is not None
    await identify_owner(database, buyer.organisation_id, representative="王建国")
    pool = await contractors(database, 5)
    row = await published_works(database, buyer, alternates=1)
    assert row.reference is not None
    selected = await drawn(database, buyer, row)
    [offered, *_] = await offers_of(database, row.id)
    by_uscc = {f.organisation_uscc: f for f in pool}
    await answer(
        database, by_uscc[offered.uscc], offered.id, CONFIRMED, offered.offered_at + timedelta(hours=1)
    )
    assert (await flow.reload(database, selected.id)).status is S.SELECTED

    award = await _current(database, row.id)
    objector = next(f for f in pool if f.organisation_uscc != award.uscc)
    at = award.selected_at + timedelta(hours=1)
    made = await flow.lodge(database, objector, row, at)
    await flow.answer(database, buyer, made.id, "dismissed", at + timedelta(hours=1))
    assert (await flow.reload(database, row.id)).objections_open == 0

    parties = _parties(buyer, pool, award.uscc)
    await _through_evaluation(
        database, office, parties, row.id, row.reference,
        terms_given=WORKS_TERMS, files=[], note="工程已竣工，请验收。",
    )  # fmt: skip
