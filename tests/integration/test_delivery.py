"""Delivery (成果文件 / 竣工) and acceptance (验收) on real PostgreSQL: the awarded firm
delivers while under contract, the owner accepts or returns with reasons, each step owes its
time limit, and every refused input leaves nothing written (issue 13)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from sqlalchemy import func, select

from market.award import delivery
from market.award.case_files import Upload
from market.award.delivery_rules import DeliveryRefused
from market.db import Database
from market.errors import InvalidInput, PermissionDenied
from market.models import CaseFile, Delivery, Procurement, TimeLimit
from market.principal import Principal
from market.procurement.states import ProcurementStatus
from tests.bid_data import TERMS, acting, bidder, owner
from tests.delivery_data import CONTRACTED_AT, PDF, Contracted, contracted, later


async def _deliver(
    database: Database, c: Contracted, files: list[Upload], *, note: str = "", by: Principal | None = None,
    days: float = 1,
) -> Delivery:  # fmt: skip
    who = by or c.firm
    async with database.unit_of_work() as uow:
        made = await delivery.deliver(
            uow, acting(who), who, c.procurement_id, note=note, files=files, now=later(days), terms=TERMS
        )
        await uow.commit()
        return made


async def _status(database: Database, procurement_id: int) -> ProcurementStatus:
    async with database.sessions() as session:
        row = await session.get(Procurement, procurement_id, populate_existing=True)
        assert row is not None
        return row.status


async def _nothing_written(database: Database, c: Contracted) -> None:
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
        assert await session.scalar(select(func.count()).select_from(CaseFile)) == 0
        assert await session.scalar(select(func.count()).select_from(TimeLimit)) == 0
    assert await _status(database, c.procurement_id) is ProcurementStatus.CONTRACTED


async def test_a_service_result_is_kept_with_its_hash_and_the_owner_owes_its_acceptance(
    database: Database,
) -> None:
    c = await contracted(database)
    made = await _deliver(database, c, [Upload("咨询报告.pdf", PDF, "application/pdf")], note="最终稿")
    assert made.sequence == 1 and made.due_at is not None
    assert made.due_at.isoformat() == "2026-12-31T15:59:59.999999+00:00"  # the end day counts, China time
    assert await _status(database, c.procurement_id) is ProcurementStatus.DELIVERED
    async with database.sessions() as session:
        [stored] = list(await session.scalars(select(CaseFile)))
        [owed] = list(await session.scalars(select(TimeLimit)))
    assert (stored.subject, stored.subject_id, stored.name) == ("delivery", made.id, "咨询报告.pdf")
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.size == len(PDF)
    assert (owed.action, owed.subject, owed.party) == ("acceptance", f"delivery:{made.id}", "owner")
    assert owed.due_at > later(1 + 6)  # five working days over a weekend

    async with database.unit_of_work() as uow:
        await delivery.accept(uow, acting(c.buyer), c.buyer, made.id, now=later(3), terms=TERMS)
        await uow.commit()
    assert await _status(database, c.procurement_id) is ProcurementStatus.ACCEPTED
    async with database.sessions() as session:
        limits = {t.action: t for t in await session.scalars(select(TimeLimit))}
    assert limits["acceptance"].done_at == later(3)
    assert limits["evaluation"].subject == f"award:{c.award_id}" and limits["evaluation"].done_at is None


async def test_a_returned_delivery_goes_back_under_contract_and_is_delivered_again(
    database: Database,
) -> None:
    c = await contracted(database)
    first = await _deliver(database, c, [Upload("报告.pdf", PDF)])
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput) as empty:
            await delivery.return_delivery(uow, acting(c.buyer), c.buyer, first.id, reason="  ", now=later(2))
        assert empty.value.field == "reason"
    async with database.unit_of_work() as uow:
        await delivery.return_delivery(
            uow, acting(c.buyer), c.buyer, first.id, reason="缺少附图", now=later(2)
        )
        await uow.commit()
    assert await _status(database, c.procurement_id) is ProcurementStatus.CONTRACTED
    async with database.unit_of_work() as uow:
        with pytest.raises(DeliveryRefused, match="already returned"):
            await delivery.accept(uow, acting(c.buyer), c.buyer, first.id, now=later(2), terms=TERMS)
    second = await _deliver(database, c, [Upload("报告（修订）.pdf", PDF)], days=4)
    assert second.sequence == 2
    async with database.sessions() as session:
        lines = await delivery.deliveries(_Uow(session), c.firm, c.procurement_id)  # type: ignore[arg-type]
    assert [(line.delivery.sequence, line.delivery.decision) for line in lines] == [
        (2, None),
        (1, "returned"),
    ]
    assert lines[1].delivery.decision_reason == "缺少附图"


class _Uow:
    """Reads through a plain session, as the pages' read-only units of work do."""

    def __init__(self, session: object) -> None:
        self.session = session


async def test_small_works_are_delivered_as_a_completion_report_without_files(database: Database) -> None:
    c = await contracted(database, works=True, serial=910)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="completion report") as missing:
            await delivery.deliver(
                uow, acting(c.firm), c.firm, c.procurement_id, note=" ", files=[], now=later(1), terms=TERMS
            )
        assert missing.value.field == "note"
    await _nothing_written(database, c)
    made = await _deliver(database, c, [], note="工程已于 12 月 20 日竣工，经自检合格。")
    assert made.note.startswith("工程已于")
    assert await _status(database, c.procurement_id) is ProcurementStatus.DELIVERED


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ([], "at least one"),
        ([Upload("setup.exe", b"MZ\x90\x00")], "attachments are"),
        ([Upload("报告.pdf", b"MZ\x90\x00 not a pdf")], "is not a PDF"),
        ([Upload("报告.pdf", PDF, "image/png")], "was sent as image/png"),
        ([Upload("报告.pdf", b"")], "is empty"),
        ([Upload("报告.pdf", PDF), Upload("", PDF)], "has no name"),
    ],
)
async def test_a_service_delivery_without_an_allowed_file_is_refused_and_nothing_is_written(
    database: Database, files: list[Upload], reason: str
) -> None:
    c = await contracted(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match=reason) as refused:
            await delivery.deliver(
                uow, acting(c.firm), c.firm, c.procurement_id, note="", files=files, now=later(1), terms=TERMS
            )
        assert refused.value.field == "files"
    await _nothing_written(database, c)


async def test_a_file_over_the_size_limit_is_refused(database: Database) -> None:
    c = await contracted(database)
    small = dataclasses.replace(TERMS, attachments=dataclasses.replace(TERMS.attachments, max_bytes=64))
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="a file is at most 64"):
            await delivery.deliver(
                uow, acting(c.firm), c.firm, c.procurement_id, note="", now=later(1), terms=small,
                files=[Upload("报告.pdf", PDF + b"x" * 64)],
            )  # fmt: skip
    await _nothing_written(database, c)


async def test_only_the_awarded_firm_delivers_and_only_under_contract(database: Database) -> None:
    c = await contracted(database)
    other = await bidder(database, 920)
    files = [Upload("报告.pdf", PDF)]
    for who in (other, c.buyer):
        async with database.unit_of_work() as uow:
            with pytest.raises(PermissionDenied, match="awarded firm"):
                await delivery.deliver(
                    uow, acting(who), who, c.procurement_id, note="", files=files, now=later(1), terms=TERMS
                )
    await _nothing_written(database, c)
    await _deliver(database, c, files)
    async with database.unit_of_work() as uow:
        with pytest.raises(DeliveryRefused, match="待验收"):
            await delivery.deliver(
                uow, acting(c.firm), c.firm, c.procurement_id, note="", files=files, now=later(2), terms=TERMS
            )


async def test_only_the_owner_decides_a_delivery_and_only_once(database: Database) -> None:
    c = await contracted(database)
    made = await _deliver(database, c, [Upload("报告.pdf", PDF)])
    stranger = await owner(database, "韶关市水务局")
    for who in (stranger, c.firm):
        async with database.unit_of_work() as uow:
            with pytest.raises(PermissionDenied, match="owner's organisation"):
                await delivery.accept(uow, acting(who), who, made.id, now=later(2), terms=TERMS)
    assert await _status(database, c.procurement_id) is ProcurementStatus.DELIVERED
    async with database.unit_of_work() as uow:
        await delivery.accept(uow, acting(c.buyer), c.buyer, made.id, now=later(2), terms=TERMS)
        await uow.commit()
    async with database.unit_of_work() as uow:
        with pytest.raises(DeliveryRefused, match="already accepted"):
            await delivery.accept(uow, acting(c.buyer), c.buyer, made.id, now=later(3), terms=TERMS)


async def test_without_a_term_end_a_delivery_has_no_due_time(database: Database) -> None:
    c = await contracted(database, term_end=None)
    made = await _deliver(database, c, [Upload("报告.pdf", PDF)])
    assert made.due_at is None
    assert made.submitted_at > CONTRACTED_AT
