"""The vocabulary of the access matrix's cells: who gets which status, and how a row builds
its request. Shared by :mod:`tests.e2e.test_access_matrix` and the row modules
(``tests/e2e/access_*.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.e2e.access_world import ADMIN, ANONYMOUS, PRINCIPALS, SUPERVISOR, World

Expect = int
Build = Callable[[World, str], Awaitable[tuple[str, str, dict[str, Any]]]]


def everyone(status: int) -> dict[str, Expect]:
    return dict.fromkeys(PRINCIPALS, status)


def only(*allowed: str, ok: int = 200, **cells: Expect) -> dict[str, Expect]:
    """Signed-in principals in ``allowed`` get ``ok``; other signed-in ones 403; anonymous 401."""
    expected: dict[str, Expect] = {who: (ok if who in allowed else 403) for who in PRINCIPALS}
    expected[ANONYMOUS] = 401
    expected.update(cells)
    return expected


SIGNED_IN = tuple(p for p in PRINCIPALS if p != ANONYMOUS)
OFFICIALS = (SUPERVISOR, ADMIN)


def request(method: str, path: str, **kwargs: Any) -> Build:
    async def build(world: World, who: str) -> tuple[str, str, dict[str, Any]]:
        return method, path.format(w=world), kwargs

    return build
