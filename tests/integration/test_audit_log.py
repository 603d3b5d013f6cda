"""The audit log: append-only in the database, chained, and verifiably so."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from market import audit
from market.audit import Actor
from market.db import Database
from tests.conftest import ClonedDatabase

ACTOR = Actor(7, "supervisor", "10.0.0.1")


async def _write(database: Database, n: int, action: str = "procurement:published") -> None:
    async with database.unit_of_work() as uow:
        for i in range(n):
            await audit.record(uow, ACTOR, action, "procurement", f"P-{i}", {"n": i, "title": "测试采购"})
        await uow.commit()


async def test_sealed_chain_verifies_and_links_each_entry_to_the_previous(database: Database) -> None:
    await _write(database, 5)
    assert await audit.seal_pending(database) == 5
    report = await audit.verify_chain(database)
    assert report.intact, report.problems
    assert report.checked == 5 and report.unsealed == 0
    entries = await audit.list_entries(database, limit=10)
    by_seq = sorted(entries, key=lambda e: e["seq"])
    assert [e["seq"] for e in by_seq] == [1, 2, 3, 4, 5]
    assert by_seq[0]["prev_hash"] == "00" * 32
    for earlier, later in itertools.pairwise(by_seq):
        assert later["prev_hash"] == earlier["hash"]
    assert report.head_hash == by_seq[-1]["hash"]


async def test_database_refuses_update_delete_and_truncate(database: Database) -> None:
    await _write(database, 1)
    await audit.seal_pending(database)
    for statement in (
        "UPDATE audit_entry SET payload = '{}'",
        "DELETE FROM audit_entry",
        "TRUNCATE audit_entry CASCADE",
        "UPDATE audit_seal SET hash = hash",
        "DELETE FROM audit_seal",
    ):
        async with database.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
            await session.rollback()


async def test_edit_behind_the_triggers_back_is_caught_naming_the_entry(database: Database) -> None:
    await _write(database, 4)
    await audit.seal_pending(database)
    entries = await audit.list_entries(database, limit=10)
    victim = sorted(entries, key=lambda e: e["seq"])[2]
    async with database.sessions() as session:
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        await session.execute(
            text("UPDATE audit_entry SET payload = jsonb_set(payload, '{n}', '99') WHERE id = :id"),
            {"id": victim["id"]},
        )
        await session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
        await session.commit()
    report = await audit.verify_chain(database)
    assert not report.intact
    assert f"entry {victim['id']} (seal 3" in report.problems[0]
    assert "altered" in report.problems[0]


async def test_removed_seal_breaks_the_sequence(database: Database) -> None:
    await _write(database, 3)
    await audit.seal_pending(database)
    async with database.sessions() as session:
        await session.execute(text("ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only"))
        await session.execute(text("DELETE FROM audit_seal WHERE seq = 2"))
        await session.execute(text("ALTER TABLE audit_seal ENABLE TRIGGER audit_seal_append_only"))
        await session.commit()
    report = await audit.verify_chain(database)
    assert not report.intact
    assert "seal 2 is missing" in report.problems[0]


async def test_float_payloads_are_refused_so_hashes_stay_exact(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(TypeError, match="Decimal"):
            await audit.record(uow, ACTOR, "bid:received", "bid", 1, {"amount": 1.5})


async def test_malformed_action_tag_is_refused(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(ValueError, match="subject:action"):
            await audit.record(uow, ACTOR, "published", "procurement", 1, {})


async def test_concurrent_writers_all_end_up_in_one_unbroken_chain(fresh_database: ClonedDatabase) -> None:
    database = fresh_database.database

    async def writer(k: int) -> None:
        for i in range(10):
            async with database.unit_of_work() as uow:
                await audit.record(uow, ACTOR, "bid:received", "bid", f"{k}-{i}", {"k": k, "i": i})
                await uow.commit()
            if i % 3 == 0:
                await audit.seal_pending(database)

    await asyncio.gather(*(writer(k) for k in range(5)))
    await audit.seal_pending(database)
    report = await audit.verify_chain(database)
    assert report.intact, report.problems
    assert report.checked == 50 and report.unsealed == 0


async def test_the_sealer_reads_queued_entries_by_key_however_long_the_log(database: Database) -> None:
    # a pass costs what it seals, not what the log holds. The queue is all churn (every entry
    # goes in and out), so the planner thinks it long: as a join, the lookup read the whole
    # of audit_entry into a hash table at every pass (as here: no ANALYZE since the churn)
    async with database.unit_of_work() as uow:
        for chunk in range(20):
            await audit.record_many(
                uow, ACTOR, [("bid:replaced", "bid", f"{chunk}-{i}", {"version": i}) for i in range(1000)]
            )
        await uow.commit()
    assert await audit.seal_pending(database) == 20_000
    await _write(database, 60)
    async with database.unit_of_work() as uow:
        plan = "\n".join(
            (await uow.session.execute(text("EXPLAIN " + audit._UNSEALED.replace("$1", "5000")))).scalars()
        )
    assert "Seq Scan on audit_entry" not in plan and "Hash Join" not in plan, plan
    assert "pk_audit_entry" in plan, plan
    assert await audit.seal_pending(database) == 60
