"""A procurement under contract (``contracted``) with its award and a confirmed contract, for
the delivery, acceptance and evaluation tests.

Stand-in until the contract confirmation (H4) is merged: the status, the award and the
``contract_signing`` row are written directly here, instead of being reached through the
draw, the publicity and both parties' confirmations; the integrator switches the end-to-end
test to the real path. Everything after ``contracted`` is the real services'.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from market import accounts
from market.audit import Actor
from market.award import delivery, evaluation
from market.calendar_years import Calendars
from market.clock import local
from market.db import Database
from market.models import Award, ContractSigning, Firm, Organisation, Procurement, User, UserSession
from market.passwords import hash_password
from market.principal import Principal
from market.procurement import service as procurements
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from tests import draw_data
from tests.bid_data import PUBLISHED_AT, TERMS, bidder, owner, published
from tests.unit.procurement.conftest import at, works_draft
from tests.works_flow import contractors, published_works

CONTRACTED_AT = at(2026, 11, 30, 10, 0)  # a Monday
TERM_END = "2026-12-31"
PDF = b"%PDF-1.7\n% the service result\n"


@dataclass(frozen=True, slots=True)
class Contracted:
    procurement_id: int
    reference: str
    award_id: int
    buyer: Principal
    firm: Principal  # a user of the awarded firm

    @property
    def firm_id(self) -> int:
        assert self.firm.organisation_id is not None
        return self.firm.organisation_id


async def contracted(
    database: Database,
    *,
    works: bool = False,
    serial: int = 900,
    term_end: str | None = TERM_END,
    buyer: Principal | None = None,
) -> Contracted:
    """A published procurement of ``buyer`` (a new owner by default) put under contract with
    a freshly admitted firm (an intermediary, or a contractor for ``works``)."""
    buyer = buyer or await owner(database, f"韶关市交通运输局{serial}")
    if works:
        [firm] = await contractors(database, 1, first=serial)
        row = await published_works(database, buyer)
    else:
        firm = await bidder(database, serial)
        row = await published(database, buyer)
    assert firm.organisation_id is not None and firm.organisation_uscc is not None
    async with database.unit_of_work() as uow:
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        award = Award(
            procurement_id=row.id,
            round=1,
            rank=1,
            firm_id=firm.organisation_id,
            uscc=firm.organisation_uscc,
            amount=Decimal("150000.00"),
            selected_at=PUBLISHED_AT + timedelta(days=7),
            publicity_ends_at=PUBLISHED_AT + timedelta(days=10),
            awarded_at=PUBLISHED_AT + timedelta(days=10),
            contract_due_at=PUBLISHED_AT + timedelta(days=40),
        )
        uow.session.add(award)
        await uow.session.flush()
        confirmed = CONTRACTED_AT - timedelta(hours=1)
        uow.session.add(
            ContractSigning(
                procurement_id=row.id,
                award_id=award.id,
                sequence=1,
                kind="works_contract" if works else "service_contract",
                data={"term": {"start": "2026-12-01", "end": term_end}} if term_end else {},
                digest="0" * 64,
                drafted_at=confirmed - timedelta(days=1),
                owner_confirmed_at=confirmed - timedelta(hours=1),
                firm_confirmed_at=confirmed,
            )
        )
        stored.status = ProcurementStatus.CONTRACTED
        stored.next_check = None
        await uow.commit()
        return Contracted(row.id, row.reference or "", award.id, buyer, firm)


async def score_of(database: Database, firm_id: int) -> Decimal:
    async with database.sessions() as session:
        firm = await session.get(Firm, firm_id, populate_existing=True)
        assert firm is not None
        return firm.credit_score


def later(days: float) -> datetime:
    return CONTRACTED_AT + timedelta(days=days)


async def bearer(database: Database, principal: Principal) -> dict[str, str]:
    """A session of ``principal`` opened as a login opens one (the helpers' users have no
    password to log in with)."""
    token = secrets.token_urlsafe(32)
    async with database.unit_of_work() as uow:
        uow.session.add(
            UserSession(
                token_hash=accounts.token_digest(token),
                user_id=principal.user_id,
                expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
        await uow.commit()
    return {"Authorization": f"Bearer {token}"}


async def with_password(database: Database, principal: Principal, password: str) -> str:
    """Give ``principal`` a password to sign in with in a browser; its user name."""
    async with database.unit_of_work() as uow:
        user = await uow.session.get(User, principal.user_id)
        assert user is not None
        user.password_hash = hash_password(password)
        await uow.commit()
    return principal.username


STAGES = ("contracted", "delivered", "accepted", "evaluated", "objected")
SCORES = {"quality": 4, "timeliness": 4, "attitude": 5, "compliance": 4}


async def works_at_stage(
    database: Database,
    buyer: Principal,
    builder: Principal,
    stage: str,
    *,
    now: datetime,
    vocabulary: Vocabulary,
    bid_key: KeyEncryptionKey,
) -> dict[str, int]:
    """A fresh small works of ``buyer`` under contract with ``builder``'s firm (the same
    stand-in for the contract as :func:`contracted`), taken to ``stage`` by the services
    themselves; its ids by name (procurement, award, delivery, evaluation)."""
    assert builder.organisation_id is not None
    selection = local(now + timedelta(days=21)).replace(hour=10, minute=0, second=0, microsecond=0)
    raw = terms_json(works_draft(work_field="housing_municipal", selection_time=selection))
    by_buyer, by_builder = Actor(buyer.user_id, buyer.username), Actor(builder.user_id, builder.username)
    step = STAGES.index(stage)
    async with database.unit_of_work() as uow:
        row = await procurements.create_draft(uow, by_buyer, buyer, raw, now)
        row = await draw_data.publish(
            uow, by_buyer, buyer, row.id, now, await Calendars().current(uow), TERMS,
            vocabulary=vocabulary, eligible_count=5, bid_key=bid_key,
        )  # fmt: skip
        uscc = await uow.session.scalar(
            select(Organisation.uscc).where(Organisation.id == builder.organisation_id)
        )
        assert uscc is not None
        award = Award(
            procurement_id=row.id, round=1, rank=1, firm_id=builder.organisation_id, uscc=uscc,
            amount=Decimal("80000.00"), selected_at=now, publicity_ends_at=now, awarded_at=now,
            contract_due_at=now + timedelta(days=30),
        )  # fmt: skip
        uow.session.add(award)
        await uow.session.flush()
        uow.session.add(
            ContractSigning(
                procurement_id=row.id, award_id=award.id, sequence=1, kind="works_contract",
                data={"term": {"start": "2026-12-01", "end": "2099-12-31"}}, digest="0" * 64,
                drafted_at=now, owner_confirmed_at=now, firm_confirmed_at=now,
            )
        )  # fmt: skip
        stored = await uow.session.get(Procurement, row.id)
        assert stored is not None
        stored.status, stored.next_check = ProcurementStatus.CONTRACTED, None
        ids = {"procurement": row.id, "award": award.id}
        if step >= 1:
            made = await delivery.deliver(
                uow, by_builder, builder, row.id, note="已竣工", files=[], now=now, terms=TERMS
            )
            ids["delivery"] = made.id
        if step >= 2:
            await delivery.accept(uow, by_buyer, buyer, ids["delivery"], now=now, terms=TERMS)
        if step >= 3:
            evaluated = await evaluation.evaluate(
                uow, by_buyer, buyer, row.id, scores=SCORES, comment="", now=now, terms=TERMS,
                policy_=vocabulary.credit,
            )  # fmt: skip
            ids["evaluation"] = evaluated.id
        if step >= 4:
            await evaluation.object_to(
                uow, by_builder, builder, ids["evaluation"], grounds="评分有误", now=now, terms=TERMS
            )
        await uow.commit()
    return ids
