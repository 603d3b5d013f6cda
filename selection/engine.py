"""The dispatcher: one entry point for the procurement lifecycle, plain data in and out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from selection import combined, direct, lowest_price, procedure, random_draw, scored
from selection.errors import UnknownMethod
from selection.record import SelectionRecord

METHODS: dict[str, Callable[[Mapping[str, Any]], SelectionRecord]] = {
    "direct": direct.select,
    "random": random_draw.select,
    "lowest_price": lowest_price.select,
    "scored": scored.select,
    "combined": combined.select,
}


def run(method: str, inputs: Mapping[str, Any]) -> SelectionRecord:
    """Run selection ``method`` on ``inputs`` and return its :class:`SelectionRecord`.

    ``method`` is one of ``direct``, ``random``, ``lowest_price``, ``scored``,
    ``combined``; anything else raises :class:`~selection.errors.UnknownMethod`.
    """
    try:
        selector = METHODS[method]
    except (KeyError, TypeError):
        raise UnknownMethod(f"unknown selection method {method!r}", method=method) from None
    return selector(inputs)


def freeze(method: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the platform fixes at the deadline before any reveal (``market-draw/2``).

    Validates ``inputs`` exactly as :func:`run` would (same errors) and returns::

        {"documents": {"configuration": {method, params, rules},   # every default filled in
                       "candidates": {"candidates": [...], <firm data the method uses>},
                       "bids": {firm: bid digest}},
         "digests": {"configuration": hex, "candidates": hex, "bids": hex},
         "eligible_count": int, "minimum": int}

    ``digests`` (SHA-256 of each document's canonical JSON) go into the audit entry and into
    ``ceremony.freeze``; ``eligible_count < minimum`` tells the lifecycle that the selection
    will fail whatever the seed. Any ``commitments``/``reveals``/``ceremony`` in ``inputs``
    are ignored here.
    """
    token = procedure.FREEZING.set(True)
    try:
        run(method, inputs)
    except procedure.FrozenOnly as done:
        return done.frozen
    finally:
        procedure.FREEZING.reset(token)
    raise AssertionError("prepare() did not stop in freeze mode")  # pragma: no cover
