"""``kill -9`` in the middle of a selection: a process runs the selection step and is killed
after its record, status and audit entry are written but before its commit. After that, the
selection runs again: exactly one record exists and the audit chain verifies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import func, select

from market import audit
from market.models import AuditEntry, SelectionRecordRow
from market.procurement.states import ProcurementStatus
from tests import draw_data
from tests.conftest import ClonedDatabase
from tests.draw_flow import (
    IN_WINDOW,
    SELECTION,
    beacon,
    freeze,
    opened,
    procurement_with_bids,
    reload,
    reveal,
)
from tests.draw_flow import select as run_selection

ROOT = Path(__file__).resolve().parents[2]

# Runs the step in its own process and stops before the commit: everything is written to the
# server inside the open transaction, then the process waits to be killed.
SELECTOR = """
import asyncio, sys
from datetime import datetime
from market.db import Database
from market.draw import steps
from market.models import Procurement
from tests.bid_data import BID_KEY, TERMS
from tests.registry_data import VOCABULARY

async def main(url, procurement_id, when):
    database = Database.connect(url)
    async with database.unit_of_work() as uow:
        row = await uow.session.get(Procurement, procurement_id)
        await steps.select(uow, BID_KEY, row, datetime.fromisoformat(when), vocabulary=VOCABULARY, terms=TERMS)
        await uow.session.flush()
        print("written, not committed", flush=True)
        await asyncio.sleep(600)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
"""


async def test_a_selection_killed_before_its_commit_leaves_one_record_after_the_restart(
    fresh_database: ClonedDatabase,
) -> None:
    database = fresh_database.database
    buyer, row = await procurement_with_bids(database)
    await opened(database, row)
    await freeze(database, row)
    await reveal(database, buyer, row, "owner", draw_data.OWNER_SECRETS[str(row.reference)], IN_WINDOW)
    await beacon(database, row, "371", draw_data.LOTTERY.reference)

    selector = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SELECTOR, fresh_database.url, str(row.id), SELECTION.isoformat(),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert selector.stdout is not None
        line = await asyncio.wait_for(selector.stdout.readline(), timeout=60)
        assert line.decode().strip() == "written, not committed", line
    finally:
        os.kill(selector.pid, signal.SIGKILL)
        await asyncio.wait_for(selector.wait(), timeout=30)
    assert selector.returncode == -signal.SIGKILL

    assert (await reload(database, row)).status is ProcurementStatus.FROZEN  # nothing of it stayed
    await run_selection(database, row)  # the restart: the lifecycle runs the due step again
    await run_selection(database, row)

    async with database.sessions() as session:
        records = int(await session.scalar(select(func.count()).select_from(SelectionRecordRow)) or 0)
        selected = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "procurement:selected"))
        )
    assert records == 1 and len(selected) == 1
    assert (await reload(database, row)).status is ProcurementStatus.SELECTED
    await audit.seal_pending(database)
    report = await audit.verify_chain(database)
    assert report.intact and report.unsealed == 0, report.problems
