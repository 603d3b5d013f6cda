"""The demo's small works (小额工程): drawn from the contractor pool two hours ago and now
waiting for the drawn contractor's answer (``confirming``), so that the offer chain shows on
its page and the drawn firm's users find it under 我的抽取通知.

Like :mod:`market.demo_procurements` everything goes through the services and the lifecycle
at the times they would have run: publication with the owner's commitment, the pool's freeze,
the owner's reveal, the draw. The draw is not steered: which firm of the housing pool
(builder1's field of work) is asked is the record's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from market import lifecycle
from market.audit import Actor
from market.calendar_years import Calendars
from market.db import Database, UnitOfWork
from market.draw import service as draw
from market.draw.declaration import AUDIT_HEAD, ROUND
from market.models import Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import terms_json
from market.procurement.eligibility_count import eligibility_now
from market.procurement.publication import pool_freeze_time
from market.procurement.terms import ProcurementKind, ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from selection.ceremony import commitment

TITLE = "【演示】浈江区老旧小区雨污分流改造小额工程（待确认）"
DRAWN_AGO = timedelta(hours=2)
PUBLISHED_AGO = timedelta(days=10)


def works_draft(selection_time: datetime) -> DraftTerms:
    return DraftTerms(
        kind=ProcurementKind.SMALL_WORKS,
        title=TITLE,
        description="小区内雨污管道分流改造约 800 米，含检查井及路面恢复。",
        division="440204",
        work_field="housing_municipal",
        budget=Decimal("860000.00"),
        ceiling=Decimal("820000.00"),
        method="random",
        winners=1,
        alternates=2,
        selection_time=selection_time,
        contact_name="李华",
        contact_phone="0751-8880001",
    )


async def publish_demo(
    uow: UnitOfWork,
    actor: Actor,
    owner: Principal,
    row: Procurement,
    draft: DraftTerms,
    at: datetime,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    bid_key: KeyEncryptionKey,
    secret_of: Callable[[str], str],
) -> Procurement:
    """Publish the demo owner's draft ``row`` at ``at`` as an owner would: the reference
    reserved, the commitment made over it with the demo secret, the chain head as beacon."""
    reference = await service.reserve_reference(uow, actor, owner, row.id, at, terms)
    count = await eligibility_now(uow, vocabulary, terms, draft, at)
    return await service.publish(
        uow,
        actor,
        owner,
        row.id,
        at,
        await Calendars().current(uow),
        terms,
        vocabulary=vocabulary,
        eligible_count=count.eligible,
        bid_key=bid_key,
        owner_commitment=commitment(reference, ROUND, "owner", secret_of(reference)),
        beacon=AUDIT_HEAD,
    )


async def load_demo_works(
    database: Database,
    owner: Principal,
    actor: Actor,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    bid_key: KeyEncryptionKey,
    now: datetime,
    secret_of: Callable[[str], str],
) -> None:
    """Publish, freeze, reveal and draw the demo small works; it ends ``confirming``.
    ``secret_of`` gives the demo owner's secret of a reference."""
    draft = works_draft(now - DRAWN_AGO)
    at = now - PUBLISHED_AGO
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, actor, owner, terms_json(draft), at)
        row = await publish_demo(uow, actor, owner, row, draft, at, vocabulary, terms, bid_key, secret_of)
        await uow.commit()
    assert row.reference is not None
    reference = row.reference
    frozen_at = pool_freeze_time(row.selection_time, terms.of(row.kind))
    await lifecycle.advance(database, bid_key, frozen_at, vocabulary=vocabulary, terms=terms)
    async with database.unit_of_work() as uow:
        await draw.reveal(
            uow, actor, owner, row.id, "owner", secret_of(reference), frozen_at + timedelta(minutes=10)
        )
        await uow.commit()
    await lifecycle.advance(database, bid_key, row.selection_time, vocabulary=vocabulary, terms=terms)
