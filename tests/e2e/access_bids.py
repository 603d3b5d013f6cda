"""Access-matrix rows for the bid API (submission, replacement, withdrawal, receipts, the opening list).

``ROWS`` joins the matrix of :mod:`tests.e2e.test_access_matrix`; ``setup`` runs once when
the world is built and puts what the rows address into ``world.extras``.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.access_world import World

ROWS: dict[str, tuple[Any, dict[str, int]]] = {}


async def setup(world: World) -> None:
    """Nothing yet."""
