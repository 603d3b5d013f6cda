"""Bid intake resolves no dependency: Litestar would start a task group for two or more, and
a ``uow`` would open a unit of work the express lane (market.bidding.express) does not need —
the handler opens one itself only when the bid goes through the service."""

from __future__ import annotations

import pytest

from web.controllers.bids import BidController
from web.dependencies import DEPENDENCIES


@pytest.mark.parametrize("name", ["submit", "replace"])
def test_bid_intake_takes_no_dependency(name: str) -> None:
    handler = getattr(BidController, name)
    taken = set(handler.parsed_fn_signature.parameters) & set(DEPENDENCIES)
    assert taken == set(), f"{name} would resolve {sorted(taken)} for every bid"
