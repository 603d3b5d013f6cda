"""A bid reads its procurement's stored terms once per change of them (market.bidding.store.bid_terms)."""

from __future__ import annotations

import copy
from decimal import Decimal

from market.bidding.store import bid_terms, readable_requirements
from market.models import Procurement
from market.procurement.draft_input import terms_json
from market.procurement.service import stored_terms
from market.procurement.terms import load_procurement_terms
from tests.registry_data import VOCABULARY
from tests.unit.procurement.conftest import service_draft

TERMS = load_procurement_terms()


def _row(procurement_id: int, **changes: object) -> Procurement:
    return Procurement(id=procurement_id, terms=terms_json(service_draft(**changes)))


def test_the_same_stored_terms_are_read_once() -> None:
    first = bid_terms(VOCABULARY, TERMS, _row(9101))
    again = bid_terms(VOCABULARY, TERMS, _row(9101))  # equal terms, a new row object
    assert again[0] is first[0] and again[1] is first[1]
    assert first[0] == stored_terms(_row(9101))
    assert first[1] == readable_requirements(VOCABULARY, TERMS, first[0])


def test_changed_terms_of_the_same_procurement_are_read_again() -> None:
    # an amendment, or another database (tests) reusing the id: what is read follows the row
    before, _ = bid_terms(VOCABULARY, TERMS, _row(9102))
    after, _ = bid_terms(VOCABULARY, TERMS, _row(9102, ceiling=Decimal("170000.00")))
    assert before.ceiling == Decimal("180000.00")
    assert after.ceiling == Decimal("170000.00")
    assert bid_terms(VOCABULARY, TERMS, _row(9102))[0].ceiling == Decimal("180000.00")


def test_another_vocabulary_reads_the_terms_again() -> None:
    row = _row(9103)
    first, _ = bid_terms(VOCABULARY, TERMS, row)
    other_terms = copy.copy(TERMS)  # rules loaded again: equal, but not the ones read under
    assert other_terms is not TERMS
    second, _ = bid_terms(VOCABULARY, other_terms, row)
    assert second == first and second is not first


def test_what_is_kept_stays_bounded() -> None:
    for procurement_id in range(20_000, 20_300):
        bid_terms(VOCABULARY, TERMS, _row(procurement_id))
    from market.bidding import store

    assert len(store._READ_TERMS) <= store._READ_TERMS_KEPT
