"""Time, injected: the service asks a clock, tests hand it a fixed one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to (tests)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 2, 1, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


def local(moment: datetime) -> datetime:
    """Show a stored UTC time in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI)
