"""Published checkpoints of the audit chain: holding the platform to its own log from outside.

The hash chain shows any edit of an entry it contains, but not that its newest entries
were removed together with their seals — what is left is still a valid chain. So the
platform publishes its sealed head (seq and hash) at every selection (written by the sealer
in the transaction that seals it, :func:`market.audit.seal_pending`) and at least daily
(:func:`publish_daily`, the scheduler's job), on the public checkpoints page, on result
notices and in the open-data feed. Anyone who kept one can ask whether the chain still
contains it: ``market audit verify --checkpoint SEQ:HASH`` or ``GET
/api/audit/checkpoints/verify?checkpoint=SEQ:HASH``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from market import audit
from market.db import Database, UnitOfWork
from market.errors import InvalidInput
from market.models import AuditCheckpoint

_FORM = re.compile(r"(\d{1,18}):([0-9a-fA-F]{64})")
DAILY = timedelta(hours=24)
MAX_CHECKPOINTS = 20  # one request verifies at most this many


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str  # lower-case hex

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse(text: str, *, field: str = "checkpoint") -> Checkpoint:
    """``SEQ:HASH`` (the seal's number, a colon, its 64 hex digits) as published."""
    found = _FORM.fullmatch(text.strip())
    if found is None or int(found[1]) < 1:
        raise InvalidInput(
            f"a checkpoint is written SEQ:HASH — the seal's number (1 or more), a colon and its "
            f"64 hexadecimal digits, as the checkpoints page shows it; {text[:100]!r} is not",
            field=field,
        )
    return Checkpoint(int(found[1]), found[2].lower())


def parse_many(texts: list[str], *, field: str = "checkpoint") -> list[Checkpoint]:
    if not texts:
        raise InvalidInput("name at least one checkpoint (SEQ:HASH)", field=field)
    if len(texts) > MAX_CHECKPOINTS:
        raise InvalidInput(f"at most {MAX_CHECKPOINTS} checkpoints at a time", field=field)
    parsed = [parse(t, field=field) for t in texts]
    seen: dict[int, str] = {}
    for checkpoint in parsed:
        if seen.setdefault(checkpoint.seq, checkpoint.hash) != checkpoint.hash:
            raise InvalidInput(f"two different hashes are given for seal {checkpoint.seq}", field=field)
    return parsed


async def publish_daily(database: Database, now: datetime) -> AuditCheckpoint | None:
    """Publish the sealed head unless a checkpoint was published in the last 24 hours or the
    head has not moved since the last one. The scheduler calls it hourly."""
    await audit.seal_pending(database)
    async with database.unit_of_work() as uow:
        last = await uow.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
        seq, head = await audit.sealed_head(uow)
        if seq == 0 or (last is not None and (last.seq == seq or now - last.published_at < DAILY)):
            return None
        row = await _publish(uow, seq, head, now, "daily")
        await uow.commit()
        return row


async def publish_now(database: Database, now: datetime) -> AuditCheckpoint | None:
    """An administrator's checkpoint of the head as sealed now (``market audit checkpoint``)."""
    await audit.seal_pending(database)
    async with database.unit_of_work() as uow:
        seq, head = await audit.sealed_head(uow)
        if seq == 0:
            return None
        row = await _publish(uow, seq, head, now, "manual")
        await uow.commit()
        return row


async def _publish(uow: UnitOfWork, seq: int, head: str, now: datetime, reason: str) -> AuditCheckpoint:
    row = AuditCheckpoint(seq=seq, hash=head, published_at=now, reason=reason)
    uow.session.add(row)
    await uow.session.flush()
    return row


async def latest(uow: UnitOfWork) -> AuditCheckpoint | None:
    """The newest published checkpoint (printed on result notices)."""
    found: AuditCheckpoint | None = await uow.session.scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    )
    return found


async def for_notice(uow: UnitOfWork, procurement_id: int) -> AuditCheckpoint | None:
    """The checkpoint a result notice of the procurement prints: the newest one published at
    its selection (the sealer publishes one in the transaction that seals the selection's
    entry), or, when that entry is not sealed yet, the newest one published at all."""
    for_selection = await uow.session.scalar(
        select(AuditCheckpoint)
        .where(
            AuditCheckpoint.object_type == "procurement",
            AuditCheckpoint.object_id == str(procurement_id),
        )
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    )
    return for_selection if for_selection is not None else await latest(uow)


async def listing(
    uow: UnitOfWork, *, limit: int, before_id: int | None = None
) -> tuple[list[AuditCheckpoint], int]:
    """The published checkpoints, newest first, and how many there are."""
    query = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditCheckpoint.id < before_id)
    rows = list(await uow.session.scalars(query))
    total = await uow.session.scalar(select(func.count()).select_from(AuditCheckpoint))
    return rows, int(total or 0)


async def verify(database: Database, checkpoints: list[Checkpoint]) -> audit.VerifyReport:
    """Re-compute the chain and check that it contains every one of ``checkpoints``."""
    await audit.seal_pending(database)
    return await audit.verify_chain(
        database, stop_at_first=True, checkpoints={c.seq: c.hash for c in checkpoints}
    )
