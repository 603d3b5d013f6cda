"""Demo procurements for ``market serve --demo``: one in each state, dated relative to now,
and two whose bid deadline falls a few minutes after the start, so that one can watch the
platform close the bidding, open the bids and freeze the draw by itself (with
MARKET_TIME_ACCELERATION the selection follows within minutes too).

Everything goes through the services — drafting, publication with the owner's commitment,
bids, the reveal, the lifecycle for the ones already past their times — so the demo's
audit log and records are what a real procurement leaves. Loaded once: recognised by a
procurement of the demo owner's organisation.

The demo owner's secrets are derived from the reference (:func:`demo_owner_secret`), so that
the person trying the demo can reveal them on the reveal page; a real owner makes a random
secret outside the platform and keeps it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from market import accounts, lifecycle
from market.audit import Actor
from market.bidding import service as bids
from market.db import Database, UnitOfWork
from market.demo_works import load_demo_works, publish_demo
from market.draw import service as draw
from market.models import Organisation, Procurement, Role
from market.principal import Principal
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import terms_json
from market.procurement.eligibility_count import requirements_of
from market.procurement.terms import ProcurementKind, ProcurementTerms, QuoteMode
from market.registry.eligibility import eligible_firms
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import Quote
from market.sealed.keys import KeyEncryptionKey
from market.settings import AuthSettings

ADDRESS = "127.0.0.1"


def demo_owner_secret(reference: str) -> str:
    """The demo owner's secret for ``reference`` (demo installs only)."""
    return hashlib.sha256(f"market-demo-owner/{reference}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Plan:
    title: str
    published: timedelta | None  # before now; None: a draft
    deadline: timedelta  # from now
    bidders: int  # how many of the demo bidders bid
    cancelled: bool = False


PLANS = [
    Plan("【演示】浈江区市政道路改造工程造价咨询（草稿）", None, timedelta(days=10), 0),
    Plan("【演示】武江区学校维修工程造价咨询", timedelta(days=10), timedelta(days=7), 1),
    Plan("【演示】曲江区农田水利工程造价咨询（3 分钟后截止）", timedelta(days=14), timedelta(minutes=3), 3),
    Plan("【演示】乐昌市供水管网工程造价咨询（10 分钟后截止）", timedelta(days=14), timedelta(minutes=10), 1),
    Plan("【演示】仁化县道路养护造价咨询（已截止，待揭示）", timedelta(days=20), -timedelta(minutes=30), 3),
    Plan("【演示】始兴县卫生院改造造价咨询（已选取）", timedelta(days=30), -timedelta(days=3), 3),
    Plan("【演示】翁源县文化站修缮造价咨询（流标）", timedelta(days=30), -timedelta(days=2), 1),
    Plan(
        "【演示】南雄市广场改造造价咨询（已终止）", timedelta(days=12), timedelta(days=5), 1, cancelled=True
    ),
]
GAP = timedelta(hours=2)  # selection after the deadline: the reveal window and the beacon's gap


def demo_draft(plan: Plan, deadline: datetime) -> DraftTerms:
    return DraftTerms(
        kind=ProcurementKind.INTERMEDIARY_SERVICE,
        title=plan.title,
        description="编制工程量清单及招标控制价，提交成果报告。",
        division="440203",
        service_type="cost_consulting",
        budget=Decimal("200000.00"),
        ceiling=Decimal("180000.00"),
        floor=Decimal("100000.00"),
        quote_mode=QuoteMode.AMOUNT,
        method="lowest_price",
        winners=1,
        alternates=1,
        bid_deadline=deadline,
        selection_time=deadline + GAP,
        contact_name="李华",
        contact_phone="0751-8880001",
    )


async def demo_principal(uow: UnitOfWork, username: str) -> Principal | None:
    user = await accounts.find_user(uow, username)
    if user is None:
        return None
    uscc = await uow.session.scalar(select(Organisation.uscc).where(Organisation.id == user.organisation_id))
    roles = frozenset(Role(r.role) for r in user.roles)
    return Principal(user.id, user.username, user.display_name, roles, user.organisation_id, uscc)


#: agent1's firm and two cost-consulting firms of the demo pool, whose accounts are made here:
#: a draw needs at least three bids
BIDDERS = ("agent1", "agent4", "agent5")


async def _bidders(
    uow: UnitOfWork,
    auth: AuthSettings,
    password: str,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    now: datetime,
) -> list[Principal]:
    agent1 = await demo_principal(uow, BIDDERS[0])
    if agent1 is None:
        return []
    pool = await eligible_firms(
        uow, vocabulary, requirements_of(vocabulary, terms, demo_draft(PLANS[0], now)), now
    )
    firms = [firm for firm in pool.firm_ids if firm != agent1.organisation_id][: len(BIDDERS) - 1]
    pairs = list(zip(BIDDERS[1:], firms, strict=False))
    made = await firm_accounts(uow, auth, password, pairs, "造价咨询 演示")
    return [agent1, *made]


async def firm_accounts(
    uow: UnitOfWork, auth: AuthSettings, password: str, accounts_of: list[tuple[str, int]], label: str
) -> list[Principal]:
    """An intermediary account for each (username, firm id) unless the username exists (its
    display name ``label`` and the username's number), as principals in the same order."""
    for username, firm in accounts_of:
        if await accounts.find_user(uow, username) is None:
            await accounts.create_user(
                uow,
                Actor.system("demo-loader"),
                username=username,
                display_name=f"{label}{username.removeprefix('agent')}",
                password=password,
                roles=[Role.INTERMEDIARY],
                organisation_id=firm,
                auth=auth,
            )
    await uow.session.flush()
    found = [await demo_principal(uow, name) for name, _ in accounts_of]
    return [p for p in found if p is not None]


def _acting(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.username, ADDRESS)


async def publish_draft(
    database: Database,
    owner: Principal,
    draft: DraftTerms,
    at: datetime,
    *,
    publish: bool,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    bid_key: KeyEncryptionKey,
) -> Procurement:
    """The owner's draft of ``draft`` made at ``at``, and published then when ``publish``."""
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, _acting(owner), owner, terms_json(draft), at)
        if publish:
            row = await publish_demo(
                uow, _acting(owner), owner, row, draft, at, vocabulary, terms, bid_key, demo_owner_secret
            )
        await uow.commit()
        return row


async def submit_quote(
    database: Database,
    bidder: Principal,
    procurement_id: int,
    amount: Decimal,
    at: datetime,
    *,
    bid_key: KeyEncryptionKey,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> None:
    """``bidder``'s sealed bid of ``amount`` yuan at ``at``, through the bidding service."""
    async with database.unit_of_work() as uow:
        await bids.submit(
            uow,
            _acting(bidder),
            bidder,
            bid_key,
            procurement_id,
            Quote("amount", amount),
            at,
            vocabulary=vocabulary,
            terms=terms,
        )
        await uow.commit()


async def run_past(
    database: Database,
    owner: Principal,
    rows: Sequence[tuple[Procurement, bool]],
    *,
    bid_key: KeyEncryptionKey,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> None:
    """The past of published procurements (each with whether its selection is past too, or
    it stays frozen in its reveal window): the lifecycle runs at the times it would have, in
    time order across all of them (a pass takes every procurement due by its time, and a
    freeze stands once made), and the owner reveals right after each freeze."""
    moments = sorted(
        {row.bid_deadline for row, _ in rows if row.bid_deadline is not None}
        | {row.selection_time for row, selected in rows if selected and row.selection_time is not None}
    )
    for moment in moments:
        await lifecycle.advance(database, bid_key, moment, vocabulary=vocabulary, terms=terms)
        for row, selected in rows:
            if row.bid_deadline != moment or not selected:
                continue  # not frozen now, or its reveal window is open now: left to the visitor
            assert row.reference is not None
            async with database.unit_of_work() as uow:
                stored = await uow.session.get(Procurement, row.id)
                if stored is not None and stored.status.value == "frozen":
                    secret = demo_owner_secret(row.reference)
                    reveal_at = row.bid_deadline + timedelta(minutes=10)
                    await draw.reveal(uow, _acting(owner), owner, row.id, "owner", secret, reveal_at)
                    await uow.commit()


async def load_demo_procurements(
    database: Database,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    bid_key: KeyEncryptionKey,
    now: datetime,
    auth: AuthSettings,
    password: str,
) -> list[str]:
    """The demo procurements, unless the demo owner has some already; the references of
    those still to be revealed or watched (empty when nothing was loaded). The second
    owner's market with its planted cartel (:mod:`market.demo_cartel`) comes first: it is
    older."""
    from market.demo_cartel import load_demo_cartel  # it builds on this module's helpers

    await load_demo_cartel(
        database, vocabulary=vocabulary, terms=terms, bid_key=bid_key, now=now, auth=auth, password=password
    )
    async with database.unit_of_work() as uow:
        owner = await demo_principal(uow, "owner")
        if owner is None:
            return []
        present = await uow.session.scalar(
            select(Procurement.id).where(Procurement.owner_organisation_id == owner.organisation_id).limit(1)
        )
        if present is not None:
            return []
        bidders = await _bidders(uow, auth, password, vocabulary, terms, now)
        await uow.commit()
    rows = []
    for n, plan in enumerate(PLANS):
        row = await publish_draft(
            database,
            owner,
            demo_draft(plan, now + plan.deadline),
            now - (plan.published or timedelta(days=1)),
            publish=plan.published is not None,
            vocabulary=vocabulary,
            terms=terms,
            bid_key=bid_key,
        )
        rows.append((plan, row))
        if plan.published is None:
            continue
        bid_at = now - plan.published + timedelta(days=1)
        for k, bidder in enumerate(bidders[: plan.bidders]):
            amount = Decimal(150_000 + 7_000 * k + 1_000 * n)
            await submit_quote(
                database, bidder, row.id, amount, bid_at, bid_key=bid_key, vocabulary=vocabulary, terms=terms
            )
        if plan.cancelled:
            async with database.unit_of_work() as uow:
                await service.cancel(
                    uow, _acting(owner), owner, row.id, bid_at, reason="项目资金未落实（演示）"
                )
                await uow.commit()
    past = [
        (row, plan.deadline <= -GAP)
        for plan, row in rows
        if plan.deadline < timedelta(0) and plan.published is not None and row.bid_deadline is not None
    ]
    await run_past(database, owner, past, bid_key=bid_key, vocabulary=vocabulary, terms=terms)
    await load_demo_works(
        database,
        owner,
        _acting(owner),
        vocabulary=vocabulary,
        terms=terms,
        bid_key=bid_key,
        now=now,
        secret_of=demo_owner_secret,
    )
    return [
        row.reference for plan, row in rows if row.reference and -GAP < plan.deadline < timedelta(hours=1)
    ]
