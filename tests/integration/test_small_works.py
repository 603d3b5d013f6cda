"""The small-works draw on real PostgreSQL with an injected time: the pool frozen at its
freeze with avoidance and rotation in the record, the draw, the offer chain (decline, lapse,
confirm), the failure when nobody confirms, and each refused answer leaving nothing written."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from market.db import Database
from market.draw import offer_views
from market.draw.offer_rules import CONFIRMED, DECLINED, OfferClosed
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import AuditEntry, ContractorOffer, DrawRound, SelectionRecordRow
from market.procurement import service as procurements
from market.procurement.draft import Avoidance
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from selection.verify import verify_text
from tests.bid_data import CALENDARS, TERMS, acting, owner
from tests.conftest import ClonedDatabase
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import works_draft
from tests.works_flow import (
    NEXT_DAY,
    POOL_FREEZE,
    SELECTION,
    answer,
    contractors,
    drawn,
    offers_of,
    published_works,
    reload,
    reveal_owner,
    run,
)


async def _actions(database: Database, procurement_id: int) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "procurement", AuditEntry.object_id == str(procurement_id))
            .order_by(AuditEntry.id)
        )
        return list(rows)


async def test_the_pool_is_frozen_before_the_reveals_and_the_drawn_contractor_confirms(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    firms = await contractors(database, 5)
    kept_out = firms[4].organisation_uscc
    assert kept_out is not None
    row = await published_works(
        database, buyer, alternates=2, avoidance=(Avoidance(kept_out, "与业主存在关联关系"),)
    )
    assert row.next_check == POOL_FREEZE
    await run(database, POOL_FREEZE - timedelta(microseconds=1))
    assert (await reload(database, row.id)).status is ProcurementStatus.PUBLISHED
    await run(database, POOL_FREEZE)
    frozen = await reload(database, row.id)
    assert frozen.status is ProcurementStatus.FROZEN and frozen.next_check == SELECTION
    async with database.sessions() as session:
        draw = await session.get(DrawRound, (row.id, 1))
        assert draw is not None and draw.frozen_documents is not None
        candidates = draw.frozen_documents["candidates"]["candidates"]
        assert candidates == sorted(f.organisation_uscc for f in firms)
        assert draw.frozen_documents["configuration"]["rules"]["avoid"] == [
            {"id": kept_out, "reason": "与业主存在关联关系"}
        ]
    selected = await drawn(database, buyer, frozen)
    assert selected.status is ProcurementStatus.CONFIRMING
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow).where(SelectionRecordRow.procurement_id == row.id)
        )
        assert stored is not None and stored.outcome == "selected"
    assert verify_text(stored.record, frozen=draw.freeze_digests) is None
    record = json.loads(stored.record)
    assert kept_out not in record["winners"] + record["alternates"]
    assert {"id": kept_out, "rule": "avoidance", "reason": "与业主存在关联关系"} in record["exclusions"]
    first, *_ = await offers_of(database, row.id)
    assert (first.rank, first.uscc, first.answer) == (1, record["winners"][0], None)
    assert first.due_at == NEXT_DAY and selected.offer_due_at == NEXT_DAY and selected.next_check == NEXT_DAY
    by_uscc = {f.organisation_uscc: f for f in firms}
    await answer(
        database,
        by_uscc[first.uscc],
        first.id,
        DECLINED,
        SELECTION + timedelta(hours=1),
        "设备检修，无法进场",
    )
    second = (await offers_of(database, row.id))[1]
    assert (second.rank, second.uscc) == (2, record["alternates"][0])
    await run(database, second.due_at)  # silence: it lapses and the third is asked
    chain = await offers_of(database, row.id)
    assert [o.answer for o in chain] == [DECLINED, "lapsed", None]
    assert chain[2].uscc == record["alternates"][1]
    await answer(
        database, by_uscc[chain[2].uscc], chain[2].id, CONFIRMED, chain[2].offered_at + timedelta(hours=2)
    )
    done = await reload(database, row.id)
    assert done.status is ProcurementStatus.SELECTED and done.offer_due_at is None
    assert done.next_check == done.publicity_ends_at is not None  # the award, after publicity
    assert await _actions(database, row.id) == [
        "procurement:created",
        "procurement:reference_reserved",
        "draw:committed",
        "procurement:published",
        "procurement:frozen",
        "draw:revealed",
        "draw:revealed",
        "procurement:offered",  # rank 1, with the record
        "procurement:offered",  # rank 2 after the decline
        "procurement:offered",  # rank 3 after the lapse
        "procurement:confirmed",
        "award:opened",  # its result is published (issue 13)
    ]


async def test_nobody_confirming_fails_the_procurement(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    firms = await contractors(database, 3, first=720)
    row = await drawn(database, buyer, await published_works(database, buyer, alternates=1))
    first = (await offers_of(database, row.id))[0]
    by_uscc = {f.organisation_uscc: f for f in firms}
    await answer(database, by_uscc[first.uscc], first.id, DECLINED, SELECTION, "资质年检中")
    second = (await offers_of(database, row.id))[1]
    await run(database, second.due_at)
    failed = await reload(database, row.id)
    assert failed.status is ProcurementStatus.FAILED and failed.next_check is None
    async with database.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.object_id == str(row.id), AuditEntry.action == "procurement:failed"
            )
        )
        assert entry is not None and entry.payload["failure"] == {"code": "no_contractor_confirmed"}


async def test_refused_answers_name_the_problem_and_write_nothing(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    firms = await contractors(database, 3, first=740)
    row = await drawn(database, buyer, await published_works(database, buyer, alternates=1))
    first = (await offers_of(database, row.id))[0]
    mine = next(f for f in firms if f.organisation_uscc == first.uscc)
    other = next(f for f in firms if f.organisation_uscc != first.uscc)

    async def entries() -> int:
        async with database.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    before = await entries()
    with pytest.raises(NotFound):
        await answer(database, other, first.id, CONFIRMED, SELECTION)
    with pytest.raises(PermissionDenied):
        await answer(database, buyer, first.id, CONFIRMED, SELECTION)
    with pytest.raises(InvalidInput) as empty:
        await answer(database, mine, first.id, DECLINED, SELECTION, "   ")
    assert empty.value.field == "reason"
    with pytest.raises(InvalidInput):
        await answer(database, mine, first.id, DECLINED, SELECTION, "长" * 501)
    with pytest.raises(OfferClosed, match="the offer lapsed at 2026-11-10 10:00"):
        await answer(database, mine, first.id, CONFIRMED, NEXT_DAY)
    assert await entries() == before
    assert [o.answer for o in await offers_of(database, row.id)] == [None]
    await answer(database, mine, first.id, CONFIRMED, SELECTION)
    with pytest.raises(OfferClosed, match="confirmed already"):
        await answer(database, mine, first.id, DECLINED, SELECTION, "改变主意")
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ContractorOffer)) == 1


async def test_a_firm_that_confirmed_recently_is_left_out_by_rotation(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    firms = await contractors(database, 5, first=760)
    first = await drawn(database, buyer, await published_works(database, buyer))
    offer = (await offers_of(database, first.id))[0]
    winner = next(f for f in firms if f.organisation_uscc == offer.uscc)
    await answer(database, winner, offer.id, CONFIRMED, SELECTION + timedelta(hours=1))

    later = SELECTION + timedelta(days=7)
    second = await published_works(database, buyer, selection_time=later)
    freeze = later - timedelta(minutes=60 + 120)
    await run(database, freeze)
    await reveal_owner(database, buyer, second, freeze + timedelta(minutes=10))
    await run(database, later)
    async with database.sessions() as session:
        stored = await session.scalar(
            select(SelectionRecordRow.record).where(SelectionRecordRow.procurement_id == second.id)
        )
        draw = await session.get(DrawRound, (second.id, 1))
    assert stored is not None and draw is not None
    assert verify_text(stored, frozen=draw.freeze_digests) is None
    record = json.loads(stored)
    assert record["rules"]["rotation"] == {
        "reference_date": "2026-11-16",
        "recent_days": 30,
        "max_wins": 3,
        "period_start": "2025-11-16",
    }
    assert record["rules"]["win_history"] == [{"id": offer.uscc, "date": "2026-11-09"}]
    assert record["exclusions"] == [
        {
            "id": offer.uscc,
            "rule": "rotation_recent",
            "reason": "won on 2026-11-09, within 30 days before 2026-11-16",
        }
    ]
    assert offer.uscc not in record["winners"] + record["alternates"]


async def test_an_offer_of_a_cancelled_procurement_cannot_be_answered(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    firms = await contractors(database, 3, first=780)
    row = await drawn(database, buyer, await published_works(database, buyer))
    async with database.unit_of_work() as uow:
        await procurements.cancel(uow, acting(buyer), buyer, row.id, SELECTION, reason="项目取消（测试）")
        await uow.commit()
    cancelled = await reload(database, row.id)
    assert cancelled.status is ProcurementStatus.CANCELLED and cancelled.next_check is None
    offer = (await offers_of(database, row.id))[0]
    # the open offer is closed by the cancellation, audited, and no list shows it waiting
    assert (offer.answer, offer.answered_at) == ("withdrawn", SELECTION)
    async with database.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "offer:withdrawn"))
    assert entry is not None and entry.payload["offer"] == offer.id
    mine = next(f for f in firms if f.organisation_uscc == offer.uscc)
    with pytest.raises(OfferClosed, match="已终止"):
        await answer(database, mine, offer.id, CONFIRMED, SELECTION + timedelta(minutes=5))
    async with database.unit_of_work() as uow:
        [line] = await offer_views.firm_offers(uow, mine)
    assert not line.open_at(SELECTION + timedelta(minutes=5))


async def test_an_amendment_once_the_pool_is_due_to_be_fixed_is_refused(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database
    buyer = await owner(database)
    await contractors(database, 3, first=800)
    row = await published_works(database, buyer)
    changed = terms_json(works_draft(work_field="housing_municipal", description="补充：含路面恢复。"))
    async with database.unit_of_work() as uow:
        calendar = await CALENDARS.current(uow)
        with pytest.raises(Conflict, match="the contractor pool was fixed at 2026-11-09 07:00"):
            await procurements.amend(
                uow, acting(buyer), buyer, row.id, changed, POOL_FREEZE, calendar, TERMS,
                reason="补充说明", vocabulary=VOCABULARY,
            )  # fmt: skip
    assert (await reload(database, row.id)).version == row.version
