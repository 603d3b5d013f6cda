"""Time, injected, and China's local time.

The service asks a :class:`Clock`; tests hand it a fixed one. Times are stored in UTC and
shown in Asia/Shanghai; days (licence validity, working days, deadlines) are days in China.
This module is the one place that knows the zone, so that no rule can disagree with another
about which day it is. Working days (holidays, swapped weekends) are in
:mod:`market.calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from market.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")

# A user-given time outside these bounds is a typing error (a year 20260), and the calendar
# arithmetic near datetime's limits would overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True, slots=True)
class TimeAnchor:
    """Where sandbox time was pinned: at the real time ``real`` the platform's clock read
    ``virtual``, and since then it runs ``factor`` times faster. Every process that uses
    the same anchor reads the same time (:mod:`market.sandbox_time` keeps one per database)."""

    real: datetime
    virtual: datetime
    factor: float

    def virtual_at(self, real: datetime) -> datetime:
        return self.virtual + (real - self.real) * self.factor

    def real_at(self, virtual: datetime) -> datetime:
        return self.real + (virtual - self.virtual) / self.factor


class AcceleratedClock:
    """Sandbox time for training and demo installs (MARKET_TIME_ACCELERATION): deadlines a
    week away pass in minutes. Never in production (:class:`market.settings.Settings`
    refuses it). Anchored once before use, so that processes agree on the time."""

    def __init__(self, factor: float, anchor: TimeAnchor | None = None, real: Clock | None = None) -> None:
        self.factor = factor
        self.anchor = anchor
        self.real = real or SystemClock()

    def now(self) -> datetime:
        if self.anchor is None:
            raise RuntimeError("the accelerated clock is read before it was anchored")
        return self.anchor.virtual_at(self.real.now())

    def wall_time(self, at: datetime) -> datetime:
        """The real time at which this clock will read ``at``."""
        if self.anchor is None:
            raise RuntimeError("the accelerated clock is read before it was anchored")
        return self.anchor.real_at(at)


def wall_time(clock: Clock, at: datetime) -> datetime:
    """When a real timer (the scheduler's) has to fire for ``clock`` to read ``at``."""
    return clock.wall_time(at) if isinstance(clock, AcceleratedClock) else at


def local(moment: datetime) -> datetime:
    """Show a stored UTC time in Asia/Shanghai."""
    return moment.astimezone(SHANGHAI)


def local_day(at: datetime) -> date:
    """The calendar day in China at ``at``: licence dates and working days are days in China,
    so 2026-02-13 20:00 UTC is already the 14th."""
    if at.tzinfo is None:
        # a naive time here is a programming error, not user input: user input goes
        # through user_time, which gives it China's zone
        raise ValueError("local_day needs a timezone-aware time")
    return at.astimezone(SHANGHAI).date()


def user_time(value: datetime | str | None, field: str) -> datetime | None:
    """A time a person typed (an API body, a form, the command line): an ISO 8601 text or an
    already decoded datetime. Without a zone it is China time, as the pages show times;
    outside 2000–2200 it is refused as a typing error. ``None`` stays ``None`` (the caller
    picks its default, usually now)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(
                f"{field} must be a time like 2026-03-02T09:30 (China time) or with a zone, not {value!r}",
                field=field,
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    try:
        in_range = EARLIEST <= value.astimezone(UTC) <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise InvalidInput(f"{field} must be between the years 2000 and 2200", field=field)
    return value
