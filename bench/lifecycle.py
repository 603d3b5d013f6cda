"""The chronograph under load, on a throw-away durable PostgreSQL, with two scheduler
processes (each what `market serve` runs in the background: BackgroundWork with its
deadline alarm, its sweep and its audit sealer) on one database.

- ``lifecycle_deadline_all_within_s``: 1,000 procurements with 5–20 sealed bids each share
  one bid deadline; both processes run through it. Seconds from the deadline until every
  one has been closed, opened and frozen (goal ≤ 60), each step exactly once (audit
  entries counted per procurement).
- ``lifecycle_selection_all_within_s``: the owners reveal in the window; both processes are
  started again before the shared selection time. Seconds from it until every procurement
  is selected (or failed), each exactly once (goal ≤ 60).
- ``lifecycle_select_ms_per_procurement`` beside ``selection_run_ms_per_procurement``: the
  select step (lock, ceremony, ``selection.run``, record, audit, commit) in process time per
  procurement, and bare ``selection.run`` on the same frozen inputs and ceremony in this
  process; their ratio.
- ``lifecycle_restart_catch_up_s``: 1,000 more procurements (the fewest bids of the range
  each, to keep the set-up short) whose deadline passed while no process ran; seconds from
  starting two processes until all are closed, opened and frozen (goal ≤ 30).

The processes read the platform's time from an anchored clock (market.clock.TimeAnchor) so
that a deadline of the test calendar falls due a few seconds after they start; nothing here
sleeps through a deadline. Set-up (publishing through the procurement service, bids through
the bid service, reveals through the draw service) is timed and printed, not a figure.

    python bench/lifecycle.py [--procurements N] [--bids MIN-MAX]

Bids go in through the bid service (eligibility, sealing, audit), ~20 ms each on a busy
2-core machine: 1,000 procurements at 5–20 bids take minutes to set up; ``--bids 5-8``
keeps it shorter (the figures then say so).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

import selection  # noqa: E402
from bench.bid_population import Bidder, draft_terms, load_bidders, make_owner  # noqa: E402
from market import lifecycle, migrate  # noqa: E402
from market.audit import Actor  # noqa: E402
from market.calendar_years import Calendars  # noqa: E402
from market.clock import SHANGHAI, AcceleratedClock, TimeAnchor  # noqa: E402
from market.db import Database  # noqa: E402
from market.demo_procurements import submit_quote  # noqa: E402
from market.draw import service as draw  # noqa: E402
from market.draw.declaration import AUDIT_HEAD  # noqa: E402
from market.draw.inputs import inputs_of_frozen  # noqa: E402
from market.draw.rounds import current_round  # noqa: E402
from market.draw.steps import ceremony_of  # noqa: E402
from market.embedded_pg import EmbeddedPostgres  # noqa: E402
from market.models import Procurement  # noqa: E402
from market.principal import Principal, Role  # noqa: E402
from market.procurement import service  # noqa: E402
from market.procurement.draft_input import terms_json  # noqa: E402
from market.procurement.states import ProcurementStatus  # noqa: E402
from market.procurement.terms import load_procurement_terms  # noqa: E402
from market.registry.vocabulary import load_vocabulary  # noqa: E402
from market.scheduler import BackgroundWork  # noqa: E402
from market.sealed.keys import KeyEncryptionKey  # noqa: E402
from selection.ceremony import commitment  # noqa: E402
from selection.errors import InsufficientRespondents  # noqa: E402

TERMS = load_procurement_terms()
VOCABULARY = load_vocabulary()
KEY = bytes(range(32))
FIRMS = 20
DEADLINE = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # a Monday
SELECTION = DEADLINE + timedelta(hours=2)  # bench.bid_population.draft_terms
MISSED = datetime(2026, 12, 14, 10, 0, tzinfo=SHANGHAI)  # the restart's population
LEAD_SECONDS = 6.0  # the processes start this long before the due time
STEPS_AT_DEADLINE = ("procurement:bidding_closed", "procurement:opened", "procurement:frozen")
SELECTED = ("procurement:selected", "procurement:failed")


def figure(name: str, value: float, unit: str, note: str) -> None:
    print(f"figure {name} = {value:.2f} {unit} ({note})", flush=True)


def note(message: str) -> None:
    print(f"# {message}", flush=True)


def owner_secret(reference: str) -> str:
    return hashlib.sha256(f"bench-owner/{reference}".encode()).hexdigest()


# -- a scheduler process ---------------------------------------------------------------------------
async def scheduler_process(url: str, real: datetime, virtual: datetime) -> None:
    """What `market serve` runs in the background, on a clock that reads ``virtual`` at the
    real time ``real``; on SIGTERM prints how many steps it took."""
    database = Database.connect(url, pool_size=4)
    clock = AcceleratedClock(1, TimeAnchor(real, virtual, 1))
    kek = KeyEncryptionKey(KEY)
    taken: Counter[str] = Counter()
    busy = 0.0

    async def advance(now: datetime) -> lifecycle.Advanced:
        nonlocal busy
        started = time.process_time()
        result = await lifecycle.advance(database, kek, now, vocabulary=VOCABULARY, terms=TERMS)
        busy += time.process_time() - started
        taken.update(t.action for t in result.steps)
        return result

    work = BackgroundWork(database, seal_interval_seconds=2, clock=clock, advance=advance)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    work.start()
    print("ready", flush=True)
    await stop.wait()
    await work.stop()
    await database.dispose()
    print(json.dumps({"steps": dict(taken), "cpu_s": busy}), flush=True)


class Schedulers:
    """Two scheduler processes on one database."""

    def __init__(self, url: str, real: datetime, virtual: datetime) -> None:
        command = [sys.executable, __file__, "--scheduler", url, real.isoformat(), virtual.isoformat()]
        self.processes = [
            subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)
        ]

    def stop(self) -> list[dict[str, Any]]:
        reports = []
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            out, _ = process.communicate(timeout=120)
            lines = [line for line in out.splitlines() if line.startswith("{")]
            reports.append(json.loads(lines[-1]) if lines else {"steps": {}, "cpu_s": 0.0})
        return reports


# -- set-up through the services ---------------------------------------------------------------------
async def publish(database: Database, owner: Principal, n: int, deadline: datetime) -> int:
    actor = Actor(owner.user_id, owner.username, "127.0.0.1")
    then = (deadline - timedelta(days=21)).replace(hour=9, minute=0)
    async with database.unit_of_work() as uow:
        row = await service.create_draft(
            uow,
            actor,
            owner,
            terms_json(draft_terms(f"基准造价咨询 {deadline:%m%d}-{n:04d}", deadline)),
            then,
        )
        calendar = await Calendars().current(uow)
        reference = await service.reserve_reference(uow, actor, owner, row.id, then, TERMS)
        row = await service.publish(
            uow,
            actor,
            owner,
            row.id,
            then,
            calendar,
            TERMS,
            vocabulary=VOCABULARY,
            eligible_count=FIRMS,
            bid_key=KeyEncryptionKey(KEY),
            owner_commitment=commitment(reference, 1, "owner", owner_secret(reference)),
            beacon=AUDIT_HEAD,
        )
        await uow.commit()
        return row.id


async def bid(database: Database, bidder: Bidder, procurement_id: int, amount: Decimal, at: datetime) -> None:
    who = Principal(
        bidder.user_id,
        f"bench.agent{bidder.firm_id}",
        "投标经办人",
        frozenset({Role.INTERMEDIARY}),
        bidder.firm_id,
        bidder.uscc,
    )
    await submit_quote(
        database, who, procurement_id, amount, at,
        bid_key=KeyEncryptionKey(KEY), vocabulary=VOCABULARY, terms=TERMS,
    )  # fmt: skip


async def population(
    database: Database,
    owner: Principal,
    firms: list[Bidder],
    count: int,
    deadline: datetime,
    bid_range: tuple[int, int],
) -> tuple[list[int], int]:
    rng = random.Random(deadline.toordinal())
    ids = [await publish(database, owner, n, deadline) for n in range(count)]
    placed = 0
    for procurement_id in ids:
        for firm in rng.sample(firms, rng.randint(*bid_range)):
            amount = Decimal(rng.randrange(100_000_00, 180_000_00)) / 100
            await bid(database, firm, procurement_id, amount, deadline - timedelta(days=1))
            placed += 1
    return ids, placed


async def reveal_all(database: Database, owner: Principal, ids: list[int], at: datetime) -> None:
    actor = Actor(owner.user_id, owner.username, "127.0.0.1")
    for procurement_id in ids:
        async with database.unit_of_work() as uow:
            row = await uow.session.get(Procurement, procurement_id)
            assert row is not None and row.reference is not None
            await draw.reveal(uow, actor, owner, procurement_id, "owner", owner_secret(row.reference), at)
            await uow.commit()


# -- watching -------------------------------------------------------------------------------------------
async def count_in(database: Database, ids: list[int], statuses: set[ProcurementStatus]) -> int:
    async with database.sessions() as session:
        found = await session.scalar(
            select(func.count()).where(Procurement.id.in_(ids), Procurement.status.in_(statuses))
        )
        return int(found or 0)


async def wait_until(
    database: Database, ids: list[int], statuses: set[ProcurementStatus], limit: float
) -> float:
    """Seconds (monotonic) at which all ``ids`` are in ``statuses``; raises after ``limit``."""
    started = time.monotonic()
    while await count_in(database, ids, statuses) < len(ids):
        if time.monotonic() - started > limit:
            raise SystemExit(
                f"not done within {limit:.0f} s: {await count_in(database, ids, statuses)} of {len(ids)}"
            )
        await asyncio.sleep(0.1)
    return time.monotonic()


async def exactly_once(
    database: Database, ids: list[int], actions: tuple[str, ...], any_of: bool = False
) -> bool:
    """Every procurement has each of ``actions`` once (or, ``any_of``, exactly one of them)."""
    async with database.sessions() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT object_id, action, count(*) FROM audit_entry WHERE object_type = 'procurement'"
                    " AND action = ANY(:actions) GROUP BY object_id, action"
                ),
                {"actions": list(actions)},
            )
        ).all()
    per: Counter[tuple[str, str]] = Counter({(o, a): c for o, a, c in rows})
    wanted = {str(i) for i in ids}
    if any_of:
        totals = Counter()
        for (o, _), c in per.items():
            totals[o] += c
        return all(totals[o] == 1 for o in wanted)
    return all(per[(o, a)] == 1 for o in wanted for a in actions)


async def bare_selection_ms(database: Database, ids: list[int]) -> float:
    """``selection.run`` on each procurement's frozen inputs and ceremony, in this process."""
    cases = []
    async with database.unit_of_work() as uow:
        for procurement_id in ids:
            row = await uow.session.get(Procurement, procurement_id)
            assert row is not None and row.reference is not None
            round_ = await current_round(uow, procurement_id)
            documents = round_.frozen_documents
            assert documents is not None
            inputs = {
                **inputs_of_frozen(row.reference, documents),
                "ceremony": await ceremony_of(uow, round_),
            }
            cases.append((documents["configuration"]["method"], inputs))
    started = time.process_time()
    for method, inputs in cases:
        # a 流标 makes its record too, at the same cost
        with contextlib.suppress(InsufficientRespondents):
            selection.run(method, inputs)
    return (time.process_time() - started) * 1000 / len(cases)


def real_when(virtual_due: datetime) -> tuple[datetime, datetime]:
    """The real time at which ``virtual_due`` falls due for processes started now."""
    return datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS), virtual_due


async def measure(url: str, dsn: str, count: int, bid_range: tuple[int, int]) -> None:
    database = Database.connect(url, pool_size=4)
    try:
        firms = await load_bidders(
            dsn, FIRMS, today=DEADLINE.date(), session_until=MISSED + timedelta(days=30)
        )
        owner = await make_owner(database)
        started = time.perf_counter()
        ids, placed = await population(database, owner, firms, count, DEADLINE, bid_range)
        spent = time.perf_counter() - started
        note(
            f"set-up: {count} procurements published and {placed} bids through the services in {spent:.0f} s "
            f"({spent * 1000 / (count + placed):.1f} ms per publication or bid)"
        )
        async with database.unit_of_work() as uow:
            await uow.session.execute(text("ANALYZE"))
            await uow.commit()

        # 1. both processes running through the shared bid deadline
        due_real, due_virtual = real_when(DEADLINE)
        pair = Schedulers(url, due_real, due_virtual)
        done = await wait_until(database, ids, {ProcurementStatus.FROZEN, ProcurementStatus.FAILED}, 300)
        reports = pair.stop()
        deadline_s = done - time.monotonic() + (datetime.now(UTC) - due_real).total_seconds()
        once = await exactly_once(database, ids, STEPS_AT_DEADLINE)
        note(f"deadline: steps per process {[r['steps'] for r in reports]}")
        figure(
            "lifecycle_deadline_all_within_s",
            deadline_s,
            "s",
            f"{count} procurements, close+open+freeze, goal <= 60",
        )
        figure("lifecycle_deadline_exactly_once", 1 if once else 0, "bool", "goal = 1")
        figure(
            "lifecycle_deadline_ms_per_procurement",
            sum(r["cpu_s"] for r in reports) * 1000 / count,
            "ms",
            "process time of close+open+freeze, info",
        )

        # 2. the owners reveal; both processes started again before the selection time
        started = time.perf_counter()
        frozen = [i for i in ids if await count_in(database, [i], {ProcurementStatus.FROZEN})]
        await reveal_all(database, owner, frozen, DEADLINE + timedelta(minutes=10))
        note(f"set-up: {len(frozen)} owners' reveals in {time.perf_counter() - started:.0f} s")
        due_real, due_virtual = real_when(SELECTION)
        pair = Schedulers(url, due_real, due_virtual)
        done = await wait_until(database, ids, {ProcurementStatus.SELECTED, ProcurementStatus.FAILED}, 300)
        reports = pair.stop()
        selection_s = done - time.monotonic() + (datetime.now(UTC) - due_real).total_seconds()
        once = await exactly_once(database, ids, SELECTED, any_of=True)
        selected = await count_in(database, ids, {ProcurementStatus.SELECTED})
        note(
            f"selection: {selected} selected, {count - selected} failed; steps per process "
            f"{[r['steps'] for r in reports]}"
        )
        figure("lifecycle_selection_all_within_s", selection_s, "s", f"{count} procurements, goal <= 60")
        figure("lifecycle_selection_exactly_once", 1 if once else 0, "bool", "goal = 1")
        cpu_ms = sum(r["cpu_s"] for r in reports) * 1000 / count
        bare_ms = await bare_selection_ms(database, frozen)
        figure("lifecycle_select_ms_per_procurement", cpu_ms, "ms", "process time of the select step, info")
        figure(
            "selection_run_ms_per_procurement",
            bare_ms,
            "ms",
            "bare selection.run on the same inputs, baseline",
        )
        figure(
            "lifecycle_select_vs_bare_selection", cpu_ms / bare_ms, "x", "info: lock, ceremony, record, audit"
        )

        # 3. a restart after deadlines passed while no process ran
        started = time.perf_counter()
        missed, placed = await population(database, owner, firms, count, MISSED, (bid_range[0], bid_range[0]))
        note(f"set-up: {count} more procurements and {placed} bids in {time.perf_counter() - started:.0f} s")
        restart = time.monotonic()
        pair = Schedulers(url, datetime.now(UTC), MISSED + timedelta(hours=1))
        done = await wait_until(database, missed, {ProcurementStatus.FROZEN, ProcurementStatus.FAILED}, 300)
        reports = pair.stop()
        once = await exactly_once(database, missed, STEPS_AT_DEADLINE)
        note(f"restart: steps per process {[r['steps'] for r in reports]}")
        figure(
            "lifecycle_restart_catch_up_s",
            done - restart,
            "s",
            f"{count} missed deadlines, from starting two processes, goal <= 30",
        )
        figure("lifecycle_restart_exactly_once", 1 if once else 0, "bool", "goal = 1")
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--procurements", type=int, default=1000)
    parser.add_argument("--bids", default="5-20", help="bids per procurement, MIN-MAX (default 5-20)")
    parser.add_argument("--scheduler", nargs=3, metavar=("URL", "REAL", "VIRTUAL"))
    options = parser.parse_args()
    if options.scheduler:
        url, real, virtual = options.scheduler
        asyncio.run(scheduler_process(url, datetime.fromisoformat(real), datetime.fromisoformat(virtual)))
        return
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-lifecycle-"))
    scratch.chmod(0o755)  # the server may run as the 'postgres' user
    server = EmbeddedPostgres(scratch / "pg")  # durable (fsync on), like production
    try:
        url = server.start()
        migrate.upgrade(url)
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        low, _, high = options.bids.partition("-")
        asyncio.run(measure(url, dsn, options.procurements, (int(low), int(high or low))))
    finally:
        server.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
