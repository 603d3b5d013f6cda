"""An amendment's diff, and what a change bidders rely on does to the deadline and bids."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from market.procurement.amendment import amendment_effect
from market.procurement.problems import ProcurementRefused
from market.procurement.terms import QuoteMode

from .conftest import CALENDAR, TERMS, at, service_draft, works_draft

BEFORE = service_draft()  # deadline Mon 2026-11-09 10:00, selection 15:00


def test_a_relied_on_change_moves_the_deadline_and_asks_bids_again() -> None:
    now = at(2026, 11, 6, 9, 0)  # Friday: three working days on is Wednesday the 11th
    after = service_draft(ceiling=Decimal("170000.00"))
    effect = amendment_effect(BEFORE, after, now, CALENDAR, TERMS)
    assert effect.relied_on == {"ceiling"}
    assert effect.earliest_deadline == at(2026, 11, 11, 9, 0)
    assert effect.deadline_moved and effect.reconfirm_bids
    assert effect.amended.bid_deadline == at(2026, 11, 11, 9, 0)
    assert effect.amended.selection_time == at(2026, 11, 11, 14, 0)  # the 5 h gap kept
    assert set(effect.changes) == {"ceiling", "bid_deadline", "selection_time"}
    assert effect.changes["ceiling"].old == Decimal("180000.00")


def test_a_late_enough_deadline_stays() -> None:
    now = at(2026, 11, 3, 9, 0)
    effect = amendment_effect(BEFORE, service_draft(quote_mode=QuoteMode.DISCOUNT_RATE), now, CALENDAR, TERMS)
    assert effect.reconfirm_bids and not effect.deadline_moved
    assert effect.amended.bid_deadline == BEFORE.bid_deadline


def test_a_change_nobody_prices_on_moves_nothing() -> None:
    now = at(2026, 11, 6, 9, 0)
    effect = amendment_effect(BEFORE, service_draft(description="更正：成果报告一式六份。"), now, CALENDAR, TERMS)
    assert set(effect.changes) == {"description"}
    assert not effect.bidders_rely_on_it and not effect.reconfirm_bids and not effect.deadline_moved


def test_small_works_move_the_draw_and_have_no_bids_to_confirm() -> None:
    before = works_draft()
    effect = amendment_effect(
        before, works_draft(ceiling=Decimal("1400000.00")), at(2026, 11, 6, 9, 0), CALENDAR, TERMS
    )
    assert effect.amended.selection_time == at(2026, 11, 11, 9, 0)
    assert effect.deadline_moved and not effect.reconfirm_bids


def test_refused_amendments_list_their_problems() -> None:
    now = at(2026, 11, 3, 9, 0)
    with pytest.raises(ProcurementRefused) as nothing:
        amendment_effect(BEFORE, BEFORE, now, CALENDAR, TERMS)
    assert nothing.value.problems[0].field == "amendment"
    with pytest.raises(ProcurementRefused) as bad:
        amendment_effect(BEFORE, service_draft(floor=Decimal("190000.00"), winners=0), now, CALENDAR, TERMS)
    assert {p.field for p in bad.value.problems} == {"floor", "winners"}
    with pytest.raises(ProcurementRefused) as order:
        late = service_draft(selection_time=BEFORE.closes_at - timedelta(hours=1))
        amendment_effect(BEFORE, late, now, CALENDAR, TERMS)
    assert order.value.problems[0].field == "selection_time"
