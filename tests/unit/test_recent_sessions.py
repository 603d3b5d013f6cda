"""Principals read a moment ago (web.recent_sessions): kept by token digest for at most
``seconds``, at most ``size`` of them, the oldest read going first."""

from __future__ import annotations

import pytest

from market.principal import Principal, Role
from web import recent_sessions
from web.recent_sessions import RecentSessions


def _principal(user_id: int) -> Principal:
    return Principal(user_id, f"agency.{user_id}", "经办人", frozenset({Role.INTERMEDIARY}), 100 + user_id)


def test_a_principal_is_kept_for_its_seconds_then_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(recent_sessions.time, "monotonic", lambda: clock[0])
    kept = RecentSessions()
    kept.put(b"a" * 32, _principal(1))
    clock[0] += kept.seconds
    assert kept.get(b"a" * 32) == _principal(1)
    clock[0] += 0.001
    assert kept.get(b"a" * 32) is None
    kept.put(b"b" * 32, _principal(2))
    kept.forget(b"b" * 32)
    assert kept.get(b"b" * 32) is None


def test_at_most_size_principals_are_kept_the_oldest_read_going_first() -> None:
    kept = RecentSessions()
    kept.size = 2
    for n in range(3):
        kept.put(bytes([n]) * 32, _principal(n))
    assert kept.get(bytes([0]) * 32) is None
    assert [kept.get(bytes([n]) * 32) for n in (1, 2)] == [_principal(1), _principal(2)]
