"""Bid intake resolves at most one dependency, so Litestar starts no task group for it."""

from __future__ import annotations

import pytest

from web.controllers.bids import BidController
from web.dependencies import DEPENDENCIES


@pytest.mark.parametrize("name", ["submit", "replace"])
def test_bid_intake_takes_one_dependency(name: str) -> None:
    handler = getattr(BidController, name)
    taken = set(handler.parsed_fn_signature.parameters) & set(DEPENDENCIES)
    assert taken == {"uow"}, f"{name} would resolve {sorted(taken)} in a task group per bid"
