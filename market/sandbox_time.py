"""Anchoring sandbox time (MARKET_TIME_ACCELERATION) so that every process of one platform
reads the same accelerated clock.

With MARKET_TIME_ORIGIN the anchor is that time, the same in every process's settings.
Without it, the first process to start writes an anchor into the audit log
(``platform:clock_anchored``, real time, the platform time at that moment, the factor) and
every later start, on this host or another, reads the latest one. A start with another
factor writes a new anchor that continues from the platform time of the old one, so
sandbox time never jumps back. The audit log is the store on purpose: it is shared by all
processes, needs no table of its own, and an auditor sees that the install ran on sandbox
time. An advisory lock makes two processes starting at once agree on one anchor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from market import audit
from market.audit import Actor
from market.clock import AcceleratedClock, Clock, SystemClock, TimeAnchor
from market.db import Database
from market.models import AuditEntry
from market.settings import Settings

ANCHOR_ACTION = "platform:clock_anchored"
_LOCK = 0x6D61726B6574_01  # "market", 1: the anchor's advisory lock


def _anchor_of(payload: dict[str, object]) -> TimeAnchor:
    return TimeAnchor(
        real=datetime.fromisoformat(str(payload["real"])),
        virtual=datetime.fromisoformat(str(payload["virtual"])),
        factor=float(str(payload["factor"])),
    )


async def stored_anchor(database: Database, factor: float, real_now: datetime) -> TimeAnchor:
    """The anchor stored for this platform, written now if there is none for ``factor``."""
    async with database.unit_of_work() as uow:
        await uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        latest = await uow.session.scalar(
            select(AuditEntry.payload)
            .where(AuditEntry.action == ANCHOR_ACTION)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
        previous = _anchor_of(latest) if latest else None
        if previous is not None and previous.factor == factor:
            return previous
        virtual = previous.virtual_at(real_now) if previous is not None else real_now
        anchor = TimeAnchor(real=real_now, virtual=virtual, factor=factor)
        await audit.record(
            uow,
            Actor.system("sandbox-time"),
            ANCHOR_ACTION,
            "platform",
            "clock",
            {"real": real_now.isoformat(), "virtual": virtual.isoformat(), "factor": factor},
        )
        await uow.commit()
        return anchor


def clock_for(settings: Settings) -> Clock:
    """The clock the platform runs on: the system's, or sandbox time (anchored by
    :func:`anchor` before anything reads it)."""
    return AcceleratedClock(settings.time_acceleration) if settings.sandbox_time else SystemClock()


async def anchor(clock: Clock, settings: Settings, database: Database) -> None:
    """Pin an unanchored :class:`AcceleratedClock`: MARKET_TIME_ORIGIN, or the stored anchor."""
    if not isinstance(clock, AcceleratedClock) or clock.anchor is not None:
        return
    if settings.time_origin is not None:
        origin = settings.time_origin
        clock.anchor = TimeAnchor(origin, origin, clock.factor)
    else:
        clock.anchor = await stored_anchor(database, clock.factor, clock.real.now())
