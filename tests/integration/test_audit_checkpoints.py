"""Published checkpoints hold the chain from outside (issue 14): one is published in the very
transaction that seals a selection, and at least daily; a chain whose newest entries were
removed together with their seals still verifies on its own, but no longer contains a
published checkpoint — and that is caught."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from market import audit, audit_checkpoints
from market.audit import Actor
from market.db import Database
from market.errors import InvalidInput
from market.models import AuditCheckpoint

ACTOR = Actor.system("测试")
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def _write(database: Database, actions: list[str]) -> None:
    async with database.unit_of_work() as uow:
        for i, action in enumerate(actions):
            await audit.record(uow, ACTOR, action, "procurement", str(100 + i), {"n": i})
        await uow.commit()


async def _checkpoints(database: Database) -> list[AuditCheckpoint]:
    async with database.sessions() as session:
        return list(await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))


async def test_sealing_a_selection_publishes_the_head_right_after_it(database: Database) -> None:
    await _write(database, ["procurement:published", "procurement:selected", "draw:revealed"])
    await audit.seal_pending(database)
    [checkpoint] = await _checkpoints(database)
    entries = sorted(await audit.list_entries(database, limit=10), key=lambda e: e["seq"])
    assert (checkpoint.seq, checkpoint.hash) == (2, entries[1]["hash"])  # the selection's own seal
    assert (checkpoint.reason, checkpoint.object_type, checkpoint.object_id) == (
        "selection",
        "procurement",
        "101",
    )
    await _write(database, ["procurement:published"])
    await audit.seal_pending(database)
    assert len(await _checkpoints(database)) == 1  # nothing selected: no new one


async def test_every_selection_sealed_in_one_batch_gets_its_own_checkpoint(database: Database) -> None:
    await _write(database, ["procurement:selected", "procurement:published", "procurement:failed"])
    await _write(database, ["procurement:selected"])
    await audit.seal_pending(database)  # one batch
    entries = {e["seq"]: e["hash"] for e in await audit.list_entries(database, limit=10)}
    published = [(c.seq, c.hash, c.object_id) for c in await _checkpoints(database)]
    assert published == [(1, entries[1], "100"), (3, entries[3], "102"), (4, entries[4], "100")]


async def test_a_daily_checkpoint_when_the_head_moved_and_a_day_passed(database: Database) -> None:
    assert await audit_checkpoints.publish_daily(database, NOW) is None  # an empty log
    await _write(database, ["procurement:published"] * 3)
    first = await audit_checkpoints.publish_daily(database, NOW)
    assert first is not None and (first.seq, first.reason) == (3, "daily")
    await _write(database, ["procurement:published"])
    assert await audit_checkpoints.publish_daily(database, NOW + timedelta(hours=23)) is None
    later = await audit_checkpoints.publish_daily(database, NOW + timedelta(hours=24))
    assert later is not None and later.seq == 4
    assert await audit_checkpoints.publish_daily(database, NOW + timedelta(days=5)) is None  # head still


async def test_a_removed_tail_verifies_alone_but_a_published_checkpoint_catches_it(
    database: Database,
) -> None:
    await _write(database, ["procurement:published", "procurement:selected", "procurement:published"])
    await audit.seal_pending(database)
    [published] = await _checkpoints(database)
    kept = audit_checkpoints.Checkpoint(published.seq, published.hash)
    report = await audit_checkpoints.verify(database, [kept])
    assert report.intact, report.problems

    # the attacker removes the selection and everything after it, seals and the checkpoint row
    async with database.sessions() as session:
        for table in ("audit_entry", "audit_seal", "audit_checkpoint"):
            await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        await session.execute(text("DELETE FROM audit_checkpoint"))
        await session.execute(text("DELETE FROM audit_seal WHERE seq >= 2"))
        await session.execute(text("DELETE FROM audit_entry WHERE object_id IN ('101', '102')"))
        await session.commit()  # the foreign keys' checks run before the triggers are back
        for table in ("audit_entry", "audit_seal", "audit_checkpoint"):
            await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        await session.commit()

    alone = await audit.verify_chain(database)
    assert alone.intact and alone.checked == 1  # what is left is a valid chain
    held = await audit_checkpoints.verify(database, [kept])
    assert not held.intact
    assert f"checkpoint {kept} is past the chain's head (seal 1)" in held.problems[0]


async def test_a_rewritten_tail_no_longer_matches_the_checkpoint(database: Database) -> None:
    await _write(database, ["procurement:selected", "procurement:published"])
    await audit.seal_pending(database)
    [published] = await _checkpoints(database)
    async with database.sessions() as session:
        for table in ("audit_entry", "audit_seal"):
            await session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        await session.execute(text("DELETE FROM audit_seal"))
        await session.execute(text("UPDATE audit_entry SET payload = '{\"n\": 7}' WHERE object_id = '100'"))
        await session.execute(text("INSERT INTO audit_unsealed (entry_id) SELECT id FROM audit_entry"))
        for table in ("audit_entry", "audit_seal"):
            await session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        await session.commit()
    report = await audit_checkpoints.verify(
        database, [audit_checkpoints.Checkpoint(published.seq, published.hash)]
    )
    assert not report.intact and "does not match the chain" in report.problems[0]


async def test_published_checkpoints_are_append_only(database: Database) -> None:
    await _write(database, ["procurement:selected"])
    await audit.seal_pending(database)
    for statement in ("UPDATE audit_checkpoint SET hash = 'x'", "DELETE FROM audit_checkpoint"):
        async with database.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()


@pytest.mark.parametrize(
    "given", ["", "12", "0:" + "a" * 64, "3:" + "a" * 63, "3:" + "g" * 64, "x:" + "a" * 64, "3 :" + "a" * 64]
)
def test_a_malformed_checkpoint_is_refused_naming_the_form(given: str) -> None:
    with pytest.raises(InvalidInput, match="SEQ:HASH"):
        audit_checkpoints.parse(given)


def test_two_hashes_for_one_seal_are_refused() -> None:
    with pytest.raises(InvalidInput, match="two different hashes"):
        audit_checkpoints.parse_many(["3:" + "a" * 64, "3:" + "b" * 64])
    assert str(audit_checkpoints.parse(" 3:" + "A" * 64)) == "3:" + "a" * 64
