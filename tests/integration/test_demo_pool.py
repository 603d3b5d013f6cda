"""The demo pool loads on real PostgreSQL, once: most firms admitted, a few waiting for
review, misconduct recorded, severe misconduct and an administrator suspending firms."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from market.db import Database
from market.demo import FIRMS, load_demo
from market.models import (
    Firm,
    FirmStatus,
    Licence,
    Misconduct,
    MisconductSeverity,
    Organisation,
    TrackRecord,
    User,
)
from market.registry.demo_pool import demo_firms, load_demo_pool
from market.registry.vocabulary import load_vocabulary
from market.settings import AuthSettings

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
VOCABULARY = load_vocabulary()


async def _count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_pool_is_loaded_with_its_licences_and_track_records(database: Database) -> None:
    records = demo_firms(VOCABULARY, today=NOW.date())

    summary = await load_demo_pool(database, VOCABULARY, now=NOW)

    assert summary.loaded
    assert (summary.contractors, summary.intermediaries) == (600, 300)
    assert await _count(database, Firm) >= 900
    assert await _count(database, Licence) >= sum(len(r.licences) for r in records)
    assert await _count(database, TrackRecord) >= sum(len(r.track_records) for r in records)


async def test_loading_twice_changes_nothing(database: Database) -> None:
    first = await load_demo_pool(database, VOCABULARY, now=NOW)
    firms, licences = await _count(database, Firm), await _count(database, Licence)

    second = await load_demo_pool(database, VOCABULARY, now=NOW.replace(day=20))

    assert not second.loaded
    assert (await _count(database, Firm), await _count(database, Licence)) == (firms, licences)
    assert (second.contractors, second.intermediaries, second.suspended, second.applied) == (
        first.contractors,
        first.intermediaries,
        first.suspended,
        first.applied,
    )


async def test_severe_misconduct_and_the_administrator_suspend_firms(database: Database) -> None:
    summary = await load_demo_pool(database, VOCABULARY, now=NOW)

    async with database.sessions() as session:
        severe = (
            await session.scalars(
                select(Misconduct.firm_id).where(Misconduct.severity == MisconductSeverity.SEVERE)
            )
        ).all()
        suspended = dict(
            (
                await session.execute(
                    select(Firm.id, Firm.suspended_until).where(Firm.status == FirmStatus.SUSPENDED)
                )
            ).all()
        )
        applied = await session.scalar(
            select(func.count()).select_from(Firm).where(Firm.status == FirmStatus.APPLIED)
        )
        low_scores = await session.scalar(
            select(func.count()).select_from(Firm).where(Firm.credit_score < 80)
        )
        high_scores = await session.scalar(
            select(func.count()).select_from(Firm).where(Firm.credit_score > 80)
        )
    assert len(severe) >= 2 and set(severe) <= set(suspended)
    assert len(suspended) == summary.suspended >= len(severe) + 2
    assert None in suspended.values()  # one suspension without an end, lifted by hand
    assert applied == summary.applied > 0
    assert summary.misconduct >= 5
    # misconduct and poor evaluations lower scores, good evaluations raise them
    assert (low_scores or 0) >= summary.misconduct and (high_scores or 0) >= 20


async def test_pool_firms_are_organisations_with_their_usccs(database: Database) -> None:
    await load_demo_pool(database, VOCABULARY, now=NOW)
    records = demo_firms(VOCABULARY, today=NOW.date())

    async with database.sessions() as session:
        stored = set(
            (await session.scalars(select(Organisation.uscc).join(Firm, Firm.id == Organisation.id))).all()
        )
    assert {r.uscc for r in records} <= stored


async def test_demo_accounts_of_firms_own_an_admitted_firm(database: Database) -> None:
    summary = await load_demo(database, AuthSettings(), vocabulary=VOCABULARY, now=NOW)

    assert summary.accounts_loaded and summary.pool.loaded
    async with database.sessions() as session:
        rows = dict(
            (
                await session.execute(
                    select(User.username, Firm.status)
                    .join(Firm, Firm.id == User.organisation_id)
                    .where(User.username.in_(["agent1", "agent2", "agent3", "builder1", "builder2"]))
                )
            ).all()
        )
        licences = await session.scalar(
            select(func.count())
            .select_from(Licence)
            .join(User, User.organisation_id == Licence.firm_id)
            .where(User.username == "builder1")
        )
    assert rows == dict.fromkeys(["agent1", "agent2", "agent3", "builder1", "builder2"], FirmStatus.ADMITTED)
    assert licences == 3
    assert await _count(database, Firm) == 900 + len(FIRMS)
