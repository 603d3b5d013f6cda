"""Procurements on real PostgreSQL: drafts, publication with reference numbers from the
per-year counter, refusals that list every problem and write nothing, access, stale
versions, amendments kept as versions, cancellation, and the audit entries."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import SHANGHAI
from market.db import Database, UnitOfWork
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import (
    AuditEntry,
    Organisation,
    OrganisationKind,
    Procurement,
    ProcurementSequence,
    ProcurementVersion,
    User,
)
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.draft_input import terms_json
from market.procurement.problems import ProcurementRefused
from market.procurement.states import ProcurementStatus
from market.procurement.terms import load_procurement_terms
from market.sealed.keys import KeyEncryptionKey
from tests import draw_data
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import at, service_draft, works_draft

TERMS = load_procurement_terms()
CALENDARS = Calendars()
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # Monday; the drafts close Mon 11-09 10:00


async def _owner(database: Database, name: str) -> Principal:
    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.OWNER, name=name)
        uow.session.add(org)
        await uow.session.flush()
        user = User(
            username=f"owner-{org.id}", display_name="经办人", password_hash="x", organisation_id=org.id
        )
        uow.session.add(user)
        await uow.session.flush()
        await uow.commit()
        return Principal(user.id, user.username, user.display_name, frozenset({Role.OWNER}), org.id)


BID_KEY = KeyEncryptionKey(bytes(range(32)))


def acting(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.username, "192.0.2.9")


async def _draft(database: Database, owner: Principal, raw: dict[str, Any] | None = None) -> int:
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, acting(owner), owner, raw or terms_json(service_draft()), NOW)
        await uow.commit()
        return row.id


async def _publish(uow: UnitOfWork, owner: Principal, procurement_id: int, **kw: Any) -> Procurement:
    options: dict[str, Any] = {"vocabulary": VOCABULARY, "eligible_count": 5, "bid_key": BID_KEY, **kw}
    calendar = await CALENDARS.current(uow)
    return await draw_data.publish(uow, acting(owner), owner, procurement_id, NOW, calendar, TERMS, **options)


async def _published(database: Database, owner: Principal, raw: dict[str, Any] | None = None) -> Procurement:
    procurement_id = await _draft(database, owner, raw)
    async with database.unit_of_work() as uow:
        row = await _publish(uow, owner, procurement_id)
        await uow.commit()
        return row


async def _audit(database: Database, action: str) -> list[AuditEntry]:
    async with database.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_drafts_publish_with_consecutive_references_a_first_version_and_audit(
    database: Database,
) -> None:
    owner = await _owner(database, "韶关市交通运输局")
    first = await _published(database, owner)
    second = await _published(database, owner)
    works = await _published(database, owner, terms_json(works_draft()))
    assert (first.reference, second.reference, works.reference) == (
        "SGZJ-2026-0001",
        "SGZJ-2026-0002",
        "SGXE-2026-0001",
    )
    assert first.status is ProcurementStatus.PUBLISHED and first.published_at == NOW
    assert first.next_check == at(2026, 11, 9, 10, 0)  # the bid deadline
    async with database.sessions() as session:
        version = await session.scalar(
            select(ProcurementVersion).where(ProcurementVersion.procurement_id == first.id)
        )
        assert version is not None and version.sequence == 1 and version.terms == first.terms
    published = {e.object_id: e.payload for e in await _audit(database, "procurement:published")}
    digest = service.terms_digest(service.stored_terms(first))
    assert published[str(first.id)] == {
        "reference": "SGZJ-2026-0001",
        "kind": "intermediary_service",
        "terms_sha256": digest,
        "version": 1,
    }
    assert len(await _audit(database, "procurement:created")) == 3


async def test_a_refused_publication_lists_every_problem_and_writes_nothing(database: Database) -> None:
    owner = await _owner(database, "韶关市水务局")
    raw = terms_json(
        service_draft(
            ceiling=Decimal("250000.00"),  # above the budget
            division="火星区",
            bid_deadline=at(2026, 11, 3, 10, 0),  # one working day
            selection_time=at(2026, 11, 3, 15, 0),
            requirements={"min_practitioners": "many"},
        )
    )
    procurement_id = await _draft(database, owner, raw)
    with pytest.raises(ProcurementRefused) as refused:
        async with database.unit_of_work() as uow:
            await _publish(uow, owner, procurement_id, eligible_count=1, refusals={"licence_missing": 7})
    fields = {p.field for p in refused.value.problems}
    assert {"ceiling", "division", "bid_deadline", "requirements.min_practitioners", "requirements"} <= fields
    shortage = next(p for p in refused.value.problems if p.field == "requirements")
    assert "1 firms are eligible now" in shortage.message and "licence_missing: 7" in shortage.message
    async with database.sessions() as session:
        row = await session.get(Procurement, procurement_id)
        assert row is not None and row.status is ProcurementStatus.DRAFT and row.reference is None
        assert await session.scalar(select(func.count()).select_from(ProcurementSequence)) == 0
        assert await session.scalar(select(func.count()).select_from(ProcurementVersion)) == 0
    assert await _audit(database, "procurement:published") == []
    # no number was used up: the next publication is the year's first
    assert (await _published(database, owner)).reference == "SGZJ-2026-0001"


async def test_drafts_are_their_organisations_alone(database: Database) -> None:
    owner = await _owner(database, "韶关市住建局")
    other = await _owner(database, "韶关市教育局")
    procurement_id = await _draft(database, owner)
    raw = terms_json(service_draft(title="别人的草稿改一改"))
    async with database.unit_of_work() as uow:
        with pytest.raises(NotFound):  # a draft of another organisation does not exist for it
            await service.update_draft(
                uow, acting(other), other, procurement_id, raw, NOW, expected_version=None
            )
        with pytest.raises(NotFound):
            await _publish(uow, other, procurement_id)
        with pytest.raises(NotFound):
            await service.load(uow, None, procurement_id)
    published = await _published(database, owner)
    async with database.unit_of_work() as uow:
        assert (await service.load(uow, None, published.id)).reference == "SGZJ-2026-0001"
        calendar = await CALENDARS.current(uow)
        with pytest.raises(PermissionDenied):
            await service.amend(
                uow,
                acting(other),
                other,
                published.id,
                raw,
                NOW,
                calendar,
                TERMS,
                reason="改",
                vocabulary=VOCABULARY,
            )
        with pytest.raises(PermissionDenied):
            await service.cancel(uow, acting(other), other, published.id, NOW, reason="不要了")
    async with database.sessions() as session:
        row = await session.get(Procurement, published.id)
        assert (
            row is not None and row.status is ProcurementStatus.PUBLISHED and row.version == published.version
        )


async def test_a_stale_version_is_a_conflict_naming_the_current_one(database: Database) -> None:
    owner = await _owner(database, "韶关市林业局")
    procurement_id = await _draft(database, owner)
    raw = terms_json(service_draft(title="修改后的项目名称"))
    async with database.unit_of_work() as uow:
        row = await service.update_draft(
            uow, acting(owner), owner, procurement_id, raw, NOW, expected_version=1
        )
        await uow.commit()
        assert row.version == 2 and row.title == "修改后的项目名称"
    async with database.unit_of_work() as uow:
        with pytest.raises(Conflict) as stale:
            await service.update_draft(
                uow, acting(owner), owner, procurement_id, raw, NOW, expected_version=1
            )
        assert stale.value.details["current_version"] == 2
        with pytest.raises(Conflict):
            await _publish(uow, owner, procurement_id, expected_version=1)
    assert [e.payload["changed"] for e in await _audit(database, "procurement:updated")] == [["title"]]


async def test_an_amendment_moves_the_deadline_and_keeps_both_versions(database: Database) -> None:
    owner = await _owner(database, "韶关市自然资源局")
    published = await _published(database, owner)
    friday = at(2026, 11, 6, 10, 0)  # 3 working days later is Wednesday 11-11
    raw = terms_json(service_draft(ceiling=Decimal("170000.00")))
    async with database.unit_of_work() as uow:
        calendar = await CALENDARS.current(uow)
        amended = await service.amend(
            uow,
            acting(owner),
            owner,
            published.id,
            raw,
            friday,
            calendar,
            TERMS,
            reason="调整最高限价",
            vocabulary=VOCABULARY,
            expected_version=published.version,
        )
        await uow.commit()
    row = amended.procurement
    assert amended.sequence == 2 and amended.effect.deadline_moved and amended.effect.reconfirm_bids
    assert amended.procurement.bids_valid_from == 2  # bids confirmed against version 1 no longer count
    assert row.bid_deadline == at(2026, 11, 11, 10, 0) and row.selection_time == at(2026, 11, 11, 15, 0)
    assert row.ceiling == Decimal("170000.00") and row.next_check == row.bid_deadline
    async with database.sessions() as session:
        versions = list(
            await session.scalars(
                select(ProcurementVersion)
                .where(ProcurementVersion.procurement_id == row.id)
                .order_by(ProcurementVersion.sequence)
            )
        )
    assert [v.sequence for v in versions] == [1, 2]
    assert versions[0].terms["ceiling"] == "180000.00" and versions[1].terms["ceiling"] == "170000.00"
    assert versions[1].diff["ceiling"] == {"old": "180000.00", "new": "170000.00"}
    assert set(versions[1].diff) == {"ceiling", "bid_deadline", "selection_time"}
    assert versions[1].reason == "调整最高限价" and versions[0].diff == {}
    [entry] = await _audit(database, "procurement:amended")
    assert entry.payload["deadline_moved"] is True and entry.payload["version"] == 2
    assert entry.payload["changed"] == ["bid_deadline", "ceiling", "selection_time"]


async def test_an_amendment_after_the_deadline_or_without_change_is_refused(database: Database) -> None:
    owner = await _owner(database, "韶关市卫健局")
    published = await _published(database, owner)
    same = terms_json(service_draft())
    async with database.unit_of_work() as uow:
        calendar = await CALENDARS.current(uow)
        with pytest.raises(ProcurementRefused, match="changes nothing"):
            await service.amend(
                uow,
                acting(owner),
                owner,
                published.id,
                same,
                NOW,
                calendar,
                TERMS,
                reason="无",
                vocabulary=VOCABULARY,
            )
        with pytest.raises(Conflict, match="bidding closed"):
            await service.amend(
                uow,
                acting(owner),
                owner,
                published.id,
                same,
                at(2026, 11, 9, 10, 0),
                calendar,
                TERMS,
                reason="太晚",
                vocabulary=VOCABULARY,
            )


async def test_cancellation_needs_a_reason_and_is_final(database: Database) -> None:
    owner = await _owner(database, "韶关市文广旅体局")
    published = await _published(database, owner)
    later = NOW + timedelta(days=1)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="reason"):
            await service.cancel(uow, acting(owner), owner, published.id, later, reason="  ")
    async with database.unit_of_work() as uow:
        row = await service.cancel(uow, acting(owner), owner, published.id, later, reason="项目资金未落实")
        await uow.commit()
    assert row.status is ProcurementStatus.CANCELLED and row.cancelled_at == later
    assert row.cancel_reason == "项目资金未落实" and row.next_check is None
    async with database.unit_of_work() as uow:
        with pytest.raises(Conflict, match="cancelled"):
            await service.cancel(uow, acting(owner), owner, published.id, later, reason="再次终止")
        calendar = await CALENDARS.current(uow)
        with pytest.raises(Conflict):
            await service.amend(
                uow,
                acting(owner),
                owner,
                published.id,
                terms_json(service_draft(title="终止后再变更")),
                later,
                calendar,
                TERMS,
                reason="变更",
                vocabulary=VOCABULARY,
            )
    [entry] = await _audit(database, "procurement:cancelled")
    assert entry.payload == {
        "reference": "SGZJ-2026-0001",
        "previous": "published",
        "reason": "项目资金未落实",
    }
    assert entry.actor_id == owner.user_id and entry.client_address == "192.0.2.9"


async def test_only_owner_accounts_draft(database: Database) -> None:
    firm_user = Principal(4242, "firm", "中介", frozenset({Role.INTERMEDIARY}), None)
    async with database.unit_of_work() as uow:
        with pytest.raises(PermissionDenied):
            await service.create_draft(uow, acting(firm_user), firm_user, terms_json(service_draft()), NOW)
        with pytest.raises(ProcurementRefused):
            owner = Principal(4243, "o", "业主", frozenset({Role.OWNER}), 1)
            await service.create_draft(uow, acting(owner), owner, {"kind": "barter"}, NOW)
