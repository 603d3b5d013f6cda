"""A planted cartel for the demo's collusion screens (围串标筛查, issue 14), and the honest
procurements around it.

The second demo owner (``owner2``, 韶关市交通运输局) bought cost consulting eleven times in the
last three months, every time by lowest price, and every procurement ran its whole course
through the services: drafting, publication with the owner's commitment, sealed bids, the
opening, the reveal and the selection. Eight of them were rigged by four firms (accounts
``agent6``–``agent9``):

- ``agent6``, ``agent7`` and ``agent8`` bid in all eight and take turns to win (agent6 four
  times, the other two twice each): the *rotation* screen and the three *pair* flags;
- ``agent9`` bids only in the four agent6 wins and always loses: a *cover* bidder;
- the losers place their quotes 4.0–4.6 % above the agreed winner, close together: each
  procurement's quotes have a small coefficient of variation and a large relative distance
  (the *quote* screen).

The three honest procurements draw their bidders from four other firms (``agent10``–
``agent13``), whose quotes spread as independent estimates do; the screens flag none of them,
nor any of the other demo procurements. Quotes and winners are fixed here, so the demo's
flags are the same on every install. Loaded once: recognised by a procurement of ``owner2``'s
organisation.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from market.db import Database
from market.demo_procurements import (
    Plan,
    demo_draft,
    demo_principal,
    firm_accounts,
    publish_draft,
    run_past,
    submit_quote,
)
from market.models import Procurement
from market.procurement.eligibility_count import requirements_of
from market.procurement.terms import ProcurementTerms
from market.registry.eligibility import eligible_firms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from market.settings import AuthSettings

OWNER = "owner2"
CARTEL = ("agent6", "agent7", "agent8", "agent9")  # A, B, C take turns; D covers for A
HONEST = ("agent10", "agent11", "agent12", "agent13")
FIRST = timedelta(days=90)  # the first procurement was published this long before now
STEP = timedelta(days=7)  # and each next one a week later
OPEN_FOR = timedelta(days=14)  # publication to bid deadline: at least 3 working days, holidays or not

#: The rigged procurements: who wins (an index into CARTEL), the winning quote, and whether
#: the cover bidder D bids too (only when A wins).
RIGGED: tuple[tuple[int, int], ...] = (
    (0, 138_600),
    (1, 151_200),
    (0, 142_800),
    (2, 147_500),
    (0, 135_900),
    (1, 149_300),
    (0, 140_700),
    (2, 153_800),
)
COVER_MARKUPS = (Decimal("1.040"), Decimal("1.043"), Decimal("1.046"))  # the losers' quotes ÷ the winner's
#: The honest procurements: each bidder (an index into HONEST) and its quote.
FAIR: tuple[tuple[tuple[int, int], ...], ...] = (
    ((0, 128_000), (1, 149_500), (2, 163_000), (3, 171_200)),
    ((1, 137_800), (2, 118_400), (3, 158_900)),
    ((0, 166_300), (2, 142_100), (3, 125_700), (1, 174_000)),
)
ROADS = (
    "国道 G106",
    "省道 S248",
    "县道 X321",
    "乡道 Y105",
    "国道 G323",
    "省道 S250",
    "县道 X335",
    "乡道 Y118",
)


def rigged_quotes(winner: int, amount: int) -> list[tuple[int, Decimal]]:
    """(bidder index into CARTEL, quote) of one rigged procurement: the winner's quote, the
    two other members' and, when A wins, the cover bidder's just above it."""
    losers = [member for member in (0, 1, 2) if member != winner] + ([3] if winner == 0 else [])
    quotes = [(winner, Decimal(amount))]
    for member, markup in zip(losers, COVER_MARKUPS, strict=False):
        quotes.append((member, (amount * markup).quantize(Decimal(100))))
    return quotes


async def load_demo_cartel(
    database: Database,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
    bid_key: KeyEncryptionKey,
    now: datetime,
    auth: AuthSettings,
    password: str,
) -> bool:
    """The planted cartel and the honest procurements around it, unless ``owner2``'s
    organisation has procurements already; whether they were loaded."""
    first = now - FIRST
    async with database.unit_of_work() as uow:
        owner = await demo_principal(uow, OWNER)
        if owner is None:
            return False
        present = await uow.session.scalar(
            select(Procurement.id).where(Procurement.owner_organisation_id == owner.organisation_id).limit(1)
        )
        if present is not None:
            return False
        # firms eligible from the first bid on; the last of the pool, whose first firms are
        # the bidders of the other demo procurements
        requirements = requirements_of(vocabulary, terms, demo_draft(Plan("", None, timedelta(0), 0), first))
        still = set((await eligible_firms(uow, vocabulary, requirements, now)).firm_ids)
        pool = [
            f for f in (await eligible_firms(uow, vocabulary, requirements, first)).firm_ids if f in still
        ]
        usernames = CARTEL + HONEST
        accounts_of = list(zip(usernames, pool[-len(usernames) :], strict=False))
        made = await firm_accounts(uow, auth, password, accounts_of, "造价咨询 ")
        await uow.commit()
    if len(made) < len(usernames):
        return False  # a registry too small for the demo's market
    cartel, honest = made[: len(CARTEL)], made[len(CARTEL) :]
    plans: list[tuple[str, list[tuple[int, Decimal]], bool]] = []
    for n, (winner, winning) in enumerate(RIGGED):
        quotes = rigged_quotes(winner, winning)
        plans.append((f"【演示】{ROADS[n]} 公路养护工程造价咨询", quotes, True))
        if n % 3 == 1:  # an honest procurement every three weeks or so, in between
            fair = FAIR[n // 3]
            title = f"【演示】公路桥梁定期检查费用造价咨询（第{n // 3 + 1}批）"
            plans.append((title, [(index, Decimal(quote)) for index, quote in fair], False))
    rows = []
    for n, (title, quotes, rigged) in enumerate(plans):
        at = first + STEP * n
        draft = dataclasses.replace(
            demo_draft(Plan(title, None, timedelta(0), 0), at + OPEN_FOR),
            division="440204",
            contact_name="王芳",
            contact_phone="0751-8880002",
        )
        row = await publish_draft(
            database, owner, draft, at, publish=True, vocabulary=vocabulary, terms=terms, bid_key=bid_key
        )
        bidders = cartel if rigged else honest
        for index, amount in quotes:
            await submit_quote(
                database,
                bidders[index],
                row.id,
                amount,
                at + timedelta(days=1, hours=index),
                bid_key=bid_key,
                vocabulary=vocabulary,
                terms=terms,
            )
        rows.append((row, True))
    await run_past(database, owner, rows, bid_key=bid_key, vocabulary=vocabulary, terms=terms)
    return True
