"""Procurements as readers find them, on real PostgreSQL: the public list never shows a draft
and filters by kind, field, division, status, deadline window and text (wildcards are
literal); an organisation sees its own drafts; one procurement with its versions; and the
eligibility count with the reasons the others are kept out."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from market.db import Database
from market.errors import InvalidInput, NotFound
from market.procurement import listing, service
from market.procurement.draft import Avoidance
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind
from tests.integration.test_procurements import (
    CALENDARS,
    NOW,
    TERMS,
    _draft,
    _owner,
    _published,
    acting,
)
from tests.registry_data import VOCABULARY, admitted_firm, intermediary, uscc
from tests.unit.procurement.conftest import at, service_draft, works_draft


async def test_the_public_list_has_no_drafts_and_filters(database: Database) -> None:
    owner = await _owner(database, "韶关市交通运输局")
    draft_id = await _draft(database, owner, terms_json(service_draft(title="尚未发布的草稿项目")))
    consulting = await _published(database, owner, terms_json(service_draft(title="道路造价咨询 100%_完成")))
    works = await _published(database, owner, terms_json(works_draft(division="440204")))
    async with database.unit_of_work() as uow:
        everything = await listing.search_public(uow, listing.SearchFilters())
        assert [p.id for p in everything.items] == [works.id, consulting.id]
        assert everything.total == 2 and draft_id not in {p.id for p in everything.items}
        assert everything.items[0].owner_name == "韶关市交通运输局"

        async def ids(**filters: object) -> list[int]:
            found = await listing.search_public(uow, listing.SearchFilters(**filters))  # type: ignore[arg-type]
            return [p.id for p in found.items]

        assert await ids(kind=ProcurementKind.SMALL_WORKS) == [works.id]
        assert await ids(service_type="cost_consulting") == [consulting.id]
        assert await ids(work_field="transport") == [works.id]
        assert await ids(division="440204") == [works.id]
        assert await ids(status=ProcurementStatus.CANCELLED) == []
        assert await ids(text="草稿") == []  # the draft's title is not searchable
        assert await ids(text="100%_") == [consulting.id]
        assert await ids(text="1%完") == []  # "%" is a character, not a wildcard
        assert await ids(text="工程量清单") == [consulting.id]  # in the description
        assert await ids(text="sgxe-2026") == [works.id]  # the reference
        # the consulting bids close 11-09 10:00, the works draw is 11-09 10:00 too
        assert await ids(deadline_from=at(2026, 11, 9, 10, 0), deadline_to=at(2026, 11, 9, 10, 0)) == [
            works.id,
            consulting.id,
        ]
        assert await ids(deadline_to=at(2026, 11, 9, 9, 59)) == []
        with pytest.raises(InvalidInput, match="drafts"):
            await listing.search_public(uow, listing.SearchFilters(status=ProcurementStatus.DRAFT))
        with pytest.raises(InvalidInput, match="at most"):
            await listing.search_public(uow, listing.SearchFilters(text="长" * 101))
        with pytest.raises(InvalidInput, match="per_page"):
            await listing.search_public(uow, listing.SearchFilters(), per_page=101)
        paged = await listing.search_public(uow, listing.SearchFilters(), page=2, per_page=1)
        assert [p.id for p in paged.items] == [consulting.id] and paged.pages == 2


async def test_an_organisation_lists_its_own_drafts_and_nobody_else_does(database: Database) -> None:
    owner = await _owner(database, "韶关市水务局")
    other = await _owner(database, "韶关市教育局")
    draft_id = await _draft(database, owner)
    published = await _published(database, owner)
    async with database.unit_of_work() as uow:
        mine = await listing.of_organisation(uow, owner)
        assert {p.id for p in mine.items} == {draft_id, published.id}
        drafts = await listing.of_organisation(uow, owner, status=ProcurementStatus.DRAFT)
        assert [p.id for p in drafts.items] == [draft_id]
        assert (await listing.of_organisation(uow, other)).total == 0
        with pytest.raises(NotFound):
            await listing.detail(uow, other, draft_id)
        with pytest.raises(NotFound):
            await listing.detail(uow, None, draft_id)
        own = await listing.detail(uow, owner, draft_id)
        assert own.summary.status is ProcurementStatus.DRAFT and own.versions == ()


async def test_the_detail_shows_every_version_with_its_diff(database: Database) -> None:
    owner = await _owner(database, "韶关市林业局")
    published = await _published(database, owner)
    async with database.unit_of_work() as uow:
        calendar = await CALENDARS.current(uow)
        await service.amend(
            uow,
            acting(owner),
            owner,
            published.id,
            terms_json(service_draft(ceiling=Decimal("170000.00"))),
            NOW + timedelta(days=4),
            calendar,
            TERMS,
            reason="调整最高限价",
            vocabulary=VOCABULARY,
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        shown = await listing.detail(uow, None, published.id)
    assert [v.sequence for v in shown.versions] == [1, 2]
    assert shown.versions[1].reason == "调整最高限价"
    assert shown.versions[1].diff["ceiling"] == {"old": "180000.00", "new": "170000.00"}
    assert shown.versions[1].terms_sha256 == service.terms_digest(shown.terms)
    assert shown.terms.ceiling == Decimal("170000.00") and shown.bids_valid_from == 2


async def test_eligibility_now_counts_the_firms_and_the_reasons_of_the_others(database: Database) -> None:
    for serial in (1, 2):
        await admitted_firm(database, intermediary(serial))
    await admitted_firm(database, intermediary(3, practitioners=2))
    await admitted_firm(database, intermediary(4, service_types=["supervision"]))
    avoided = await admitted_firm(database, intermediary(5))
    draft = service_draft(
        requirements={"min_practitioners": 5, "licences": ["cost_consulting_cert"]},
        avoidance=(),
    )
    async with database.unit_of_work() as uow:
        count = await listing.eligibility_now(uow, VOCABULARY, TERMS, draft, NOW)
        assert (count.eligible, count.published, count.needed) == (3, 5, 2)
        assert count.refusals == {"too-few-practitioners": 1, "wrong-service": 1}
        assert count.enough and count.refusals_complete and count.judged == 2
        avoiding = service_draft(
            requirements={"min_practitioners": 5},
            avoidance=(Avoidance(uscc(5), "关联关系"),),
        )
        count = await listing.eligibility_now(uow, VOCABULARY, TERMS, avoiding, NOW)
        assert count.eligible == 2 and count.refusals["avoided"] == 1 and avoided
        unreadable = service_draft(service_type="火箭发射", requirements={"licences": ["nonsense"]})
        count = await listing.eligibility_now(uow, VOCABULARY, TERMS, unreadable, NOW)
        assert not count.counted and not count.enough
        assert {p.field for p in count.problems} == {"service_type", "requirements.licences[0]"}
        # contractors are another registry: no intermediary counts for small works
        works = await listing.eligibility_now(uow, VOCABULARY, TERMS, works_draft(), NOW)
        assert (works.eligible, works.published) == (0, 0)
