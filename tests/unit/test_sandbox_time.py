"""Sandbox time: the settings that turn it on, production refusing it, and the accelerated
clock's arithmetic (both ways, so that the scheduler's real timer fires when the platform's
clock reads the deadline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market.clock import AcceleratedClock, FixedClock, TimeAnchor, wall_time
from market.errors import ConfigurationError
from market.settings import Settings

ORIGIN = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def test_acceleration_is_refused_in_production_with_the_way_out() -> None:
    env = {"MARKET_ENVIRONMENT": "production", "MARKET_TIME_ACCELERATION": "1440"}
    with pytest.raises(ConfigurationError, match="refused in production") as refused:
        Settings.from_env(env)
    assert "MARKET_ENVIRONMENT=training" in refused.value.message
    with pytest.raises(ConfigurationError, match="refused in production"):
        Settings(environment="production", time_acceleration=60)
    assert Settings.from_env({"MARKET_ENVIRONMENT": "production"}).sandbox_time is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MARKET_ENVIRONMENT": "staging"}, "MARKET_ENVIRONMENT"),
        ({"MARKET_TIME_ACCELERATION": "fast"}, "MARKET_TIME_ACCELERATION"),
        ({"MARKET_TIME_ACCELERATION": "0"}, "above 0"),
        ({"MARKET_TIME_ORIGIN": "yesterday"}, "MARKET_TIME_ORIGIN"),
        ({"MARKET_TIME_ORIGIN": "2026-11-30T08:00"}, "needs a zone"),
    ],
)
def test_bad_time_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


def test_training_reads_the_factor_and_the_origin() -> None:
    settings = Settings.from_env(
        {
            "MARKET_ENVIRONMENT": "training",
            "MARKET_TIME_ACCELERATION": "1440",
            "MARKET_TIME_ORIGIN": "2026-11-30T08:00+08:00",
        }
    )
    assert settings.sandbox_time and settings.time_acceleration == 1440
    assert settings.time_origin == ORIGIN


def test_a_day_passes_in_a_minute_and_the_timer_fires_at_the_right_real_time() -> None:
    real = FixedClock(ORIGIN)
    clock = AcceleratedClock(1440, TimeAnchor(ORIGIN, ORIGIN, 1440), real)
    real.advance(minutes=1)
    assert clock.now() == ORIGIN + timedelta(days=1)
    deadline = ORIGIN + timedelta(days=7)
    assert wall_time(clock, deadline) == ORIGIN + timedelta(minutes=7)
    assert wall_time(FixedClock(ORIGIN), deadline) == deadline  # real time: the same instant


def test_an_unanchored_clock_is_never_read() -> None:
    with pytest.raises(RuntimeError, match="anchored"):
        AcceleratedClock(1440).now()
