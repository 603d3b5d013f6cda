"""The dispatcher: one entry point for the procurement lifecycle, plain data in and out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from selection import combined, direct, lowest_price, random_draw, scored
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
