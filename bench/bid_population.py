"""Set-up of bench/bids.py, not measured: admitted intermediary firms, each with one user and
an open bearer session, an owner, and published procurements that take bids.

Firms, users and sessions go in with one INSERT … SELECT unnest(…) each: making 500 firms
through the registry's services and 500 logins through argon2 would cost more than the
measurements. The rows are the ones those services write (an admitted firm with an approved
licence, a user with the intermediary role, a session keyed by the token's SHA-256).
Procurements go through the real procurement service.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import asyncpg

from market.audit import Actor
from market.calendar_years import Calendars
from market.clock import SHANGHAI
from market.db import Database
from market.draw.declaration import BeaconDeclaration
from market.passwords import hash_password
from market.principal import Principal, Role
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import terms_json
from market.procurement.terms import ProcurementKind, QuoteMode, load_procurement_terms
from market.registry.demo_pool import pool_uscc
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from selection.ceremony import commitment

TERMS = load_procurement_terms()
CEILING = Decimal("180000.00")
FLOOR = Decimal("100000.00")
REQUIREMENTS = {"licences": ["cost_consulting_cert"], "min_credit": 60}


@dataclass(frozen=True, slots=True)
class Bidder:
    firm_id: int
    user_id: int
    uscc: str
    name: str
    token: str


async def load_bidders(dsn: str, count: int, *, today: date, session_until: datetime) -> list[Bidder]:
    """``count`` admitted cost-consulting firms of Shaoguan (a valid 乙级 licence, credit 80),
    each with an intermediary user signed in until ``session_until``."""
    names = [f"韶关市基准造价咨询有限公司{n:04d}" for n in range(1, count + 1)]
    usccs = [pool_uscc("91", "440203", f"B{n:07d}") for n in range(1, count + 1)]
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    password_hash = hash_password("bench-password-2026")  # one hash: nobody logs in with it
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            orgs = await conn.fetch(
                "INSERT INTO organisation (kind, name, uscc, address, contact_phone)"
                " SELECT 'intermediary', n, u, '韶关市浈江区解放路 1 号', '0751-8888888'"
                " FROM unnest($1::text[], $2::text[]) AS t(n, u) RETURNING id, uscc",
                names,
                usccs,
            )
            firm_of = {row["uscc"]: row["id"] for row in orgs}
            firm_ids = [firm_of[u] for u in usccs]
            await conn.execute(
                "INSERT INTO firm (id, kind, legal_representative, division_code, service_types,"
                " practitioners, status, admitted_at, credit_score)"
                " SELECT f, 'intermediary', '李四', '440203', ARRAY['cost_consulting'], 12, 'admitted',"
                " $2, 80 FROM unnest($1::bigint[]) AS t(f)",
                firm_ids,
                session_until - timedelta(days=400),
            )
            await conn.execute(
                "INSERT INTO licence (firm_id, licence_type, grade, number, issuer, issued_on,"
                " valid_until, status)"
                " SELECT f, 'cost_consulting_cert', '乙级', '粤造价乙' || f, '广东省住房和城乡建设厅',"
                " $2, $3, 'approved' FROM unnest($1::bigint[]) AS t(f)",
                firm_ids,
                today - timedelta(days=365),
                today + timedelta(days=3 * 365),
            )
            users = await conn.fetch(
                "INSERT INTO user_account (username, display_name, password_hash, organisation_id)"
                " SELECT 'bench.agent' || f, '投标经办人', $2, f FROM unnest($1::bigint[]) AS t(f)"
                " RETURNING id, organisation_id",
                firm_ids,
                password_hash,
            )
            user_of = {row["organisation_id"]: row["id"] for row in users}
            user_ids = [user_of[f] for f in firm_ids]
            await conn.execute(
                "INSERT INTO user_role (user_id, role)"
                " SELECT u, 'intermediary' FROM unnest($1::bigint[]) AS t(u)",
                user_ids,
            )
            await conn.execute(
                "INSERT INTO user_session (token_hash, user_id, created_at, expires_at, client_address)"
                " SELECT h, u, $3, $4, '127.0.0.1' FROM unnest($1::bytea[], $2::bigint[]) AS t(h, u)",
                [hashlib.sha256(t.encode()).digest() for t in tokens],
                user_ids,
                session_until - timedelta(days=1),
                session_until,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return [
        Bidder(f, u, c, n, t) for f, u, c, n, t in zip(firm_ids, user_ids, usccs, names, tokens, strict=True)
    ]


async def make_owner(database: Database) -> Principal:
    from market.models import Organisation, OrganisationKind, User, UserRole

    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.OWNER, name="韶关市交通运输局")
        uow.session.add(org)
        await uow.session.flush()
        user = User(
            username="bench.owner",
            display_name="业主经办人",
            password_hash="!",  # nobody signs in as this owner: the bench calls the service
            organisation_id=org.id,
            roles=[UserRole(role=Role.OWNER)],
        )
        uow.session.add(user)
        await uow.session.flush()
        await uow.commit()
        return Principal(user.id, user.username, user.display_name, frozenset({Role.OWNER}), org.id)


def draft_terms(title: str, deadline: datetime) -> DraftTerms:
    return DraftTerms(
        kind=ProcurementKind.INTERMEDIARY_SERVICE,
        title=title,
        description="编制工程量清单及招标控制价，提交成果报告。",
        division="440203",
        service_type="cost_consulting",
        budget=Decimal("200000.00"),
        ceiling=CEILING,
        floor=FLOOR,
        quote_mode=QuoteMode.AMOUNT,
        method="lowest_price",
        winners=1,
        alternates=1,
        bid_deadline=deadline,
        selection_time=deadline + timedelta(hours=2),
        requirements=REQUIREMENTS,
    )


async def published(
    database: Database,
    owner: Principal,
    kek: KeyEncryptionKey,
    vocabulary: Vocabulary,
    *,
    title: str,
    deadline: datetime,
    eligible: int,
) -> tuple[int, str]:
    """A procurement published through the service, with its bid deadline at ``deadline``.
    It is published "three weeks ago" (the service's ``now``), so that a deadline seconds
    away still leaves the minimum number of working days after publication."""
    actor = Actor(owner.user_id, owner.username, "127.0.0.1")
    three_weeks_before = (deadline - timedelta(days=21)).astimezone(SHANGHAI)
    then = three_weeks_before.replace(hour=9, minute=0, second=0, microsecond=0)
    async with database.unit_of_work() as uow:
        row = await service.create_draft(uow, actor, owner, terms_json(draft_terms(title, deadline)), then)
        calendar = await Calendars().current(uow)
        # the owner commits to the draw over the reserved reference; its secret stays outside
        reference = await service.reserve_reference(uow, actor, owner, row.id, then, TERMS)
        row = await service.publish(
            uow,
            actor,
            owner,
            row.id,
            then,
            calendar,
            TERMS,
            vocabulary=vocabulary,
            eligible_count=eligible,
            bid_key=kek,
            owner_commitment=commitment(reference, 1, "owner", secrets.token_hex(32)),
            beacon=BeaconDeclaration("audit_head", "audit_head", "平台审计链在选取时间的链头"),
        )
        await uow.commit()
        assert row.reference is not None
        return row.id, row.reference
