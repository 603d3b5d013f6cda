"""An object's history from the audit log: every change in order, each entry checked against
its seal; an edited entry is named; a bid's history waits for the opening (refused, audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from market import audit
from market.audit import Actor
from market.db import Database
from market.errors import InvalidInput, NotFound
from market.models import AuditEntry
from market.supervision import history

ACTOR = Actor(None, "sup.test")


async def _write(database: Database) -> None:
    async with database.unit_of_work() as uow:
        await audit.record(uow, ACTOR, "procurement:published", "procurement", 7, {"title": "测试"})
        await audit.record(uow, ACTOR, "firm:admitted", "firm", 3, {})
        await audit.record(
            uow, ACTOR, "procurement:amended", "procurement", 7, {"diff": {"ceiling": ["1", "2"]}}
        )
        await uow.commit()


async def test_a_history_lists_the_changes_each_checked_and_names_an_edited_one(database: Database) -> None:
    await _write(database)
    async with database.unit_of_work() as uow:
        unsealed = await history.history(uow, ACTOR, "procurement", "7")
    assert [c.intact for c in unsealed.changes] == [None, None] and unsealed.intact
    await audit.seal_pending(database)
    async with database.unit_of_work() as uow:
        found = await history.history(uow, ACTOR, "procurement", "7")
    assert [(c.seq, c.action, c.intact) for c in found.changes] == [
        (1, "procurement:published", True),
        (3, "procurement:amended", True),
    ]
    assert found.changes[1].payload == {"diff": {"ceiling": ["1", "2"]}} and found.intact

    async with database.sessions() as session:
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        await session.execute(
            text(
                "UPDATE audit_entry SET payload = '{\"title\": \"改\"}' WHERE action = 'procurement:published'"
            )
        )
        await session.commit()
        await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
        await session.commit()
    async with database.unit_of_work() as uow:
        broken = await history.history(uow, ACTOR, "procurement", "7")
    assert not broken.intact and "(seal 1, action procurement:published) has been altered" in (
        broken.first_broken or ""
    )
    assert [c.intact for c in broken.changes] == [False, True]


async def test_bad_or_unknown_objects_and_an_unopened_bid(database: Database) -> None:
    await _write(database)
    async with database.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match="procurement, bid, firm, document"):
            await history.history(uow, ACTOR, "user", "1")
        with pytest.raises(InvalidInput, match="not a firm id"):
            await history.history(uow, ACTOR, "firm", "abc")
        with pytest.raises(NotFound):
            await history.history(uow, ACTOR, "firm", "999")
        with pytest.raises(history.EarlyBidHistory):
            await history.history(uow, ACTOR, "bid", "5")
        await uow.commit()
    async with database.sessions() as session:
        refused = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "bid:early_read_refused")
        )
    assert refused is not None and refused.object_type == "bid" and refused.object_id == "5"
