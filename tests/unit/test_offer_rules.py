"""The offer rules of small works: the order firms are asked in, the limit in working days,
and which answers are refused with which reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from market.calendar import working_calendar
from market.clock import SHANGHAI
from market.draw.offer_rules import (
    CONFIRMED,
    DECLINED,
    LAPSED,
    OfferClosed,
    OfferState,
    check_answer,
    due_at,
    lapsed,
    next_rank,
    order_of,
)
from market.errors import InvalidInput, NotFound, PermissionDenied

FRIDAY_AFTERNOON = datetime(2026, 11, 6, 15, 0, tzinfo=SHANGHAI)
OFFER = OfferState(id=7, firm_id=42, due_at=datetime(2026, 11, 9, 15, 0, tzinfo=SHANGHAI), answer=None)
BEFORE = OFFER.due_at - timedelta(hours=1)


def test_the_winner_is_asked_first_then_the_alternates_in_drawn_order() -> None:
    order = order_of(["W"], ["A2", "A1"])
    assert order == ["W", "A2", "A1"]
    assert [next_rank(order, asked) for asked in range(4)] == [(1, "W"), (2, "A2"), (3, "A1"), None]


def test_a_friday_afternoon_offer_runs_to_monday_afternoon() -> None:
    calendar = working_calendar()
    assert due_at(FRIDAY_AFTERNOON, 1, calendar) == OFFER.due_at
    # the National Day week: an offer of 30 September runs past the holiday
    assert (
        due_at(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), 1, calendar).date()
        > datetime(2026, 10, 7).date()
    )


def test_the_firm_confirms_or_declines_with_a_reason_before_the_limit() -> None:
    assert check_answer(OFFER, 42, BEFORE, CONFIRMED, "") == ""
    assert check_answer(OFFER, 42, BEFORE, DECLINED, "  设备检修  ") == "设备检修"


@pytest.mark.parametrize(
    ("offer", "firm", "now", "answer", "reason", "error", "says"),
    [
        (OFFER, None, BEFORE, CONFIRMED, "", PermissionDenied, "drawn contractor"),
        (OFFER, 43, BEFORE, CONFIRMED, "", NotFound, "your firm has no offer 7"),
        (OFFER, 42, OFFER.due_at, CONFIRMED, "", OfferClosed, "the offer lapsed at 2026-11-09 15:00"),
        (OfferState(7, 42, OFFER.due_at, LAPSED), 42, BEFORE, CONFIRMED, "", OfferClosed, "lapsed at"),
        (OfferState(7, 42, OFFER.due_at, DECLINED), 42, BEFORE, CONFIRMED, "", OfferClosed, "declined already"),
        (OFFER, 42, BEFORE, DECLINED, " ", InvalidInput, "say why"),
        (OFFER, 42, BEFORE, DECLINED, "长" * 501, InvalidInput, "at most 500"),
        (OFFER, 42, BEFORE, "maybe", "", InvalidInput, "confirmed or declined"),
    ],
)  # fmt: skip
def test_refused_answers_say_why(
    offer: OfferState, firm: int | None, now: datetime, answer: str, reason: str, error: type, says: str
) -> None:
    with pytest.raises(error, match=says):
        check_answer(offer, firm, now, answer, reason)


def test_only_an_open_offer_past_its_limit_lapses() -> None:
    assert not lapsed(OFFER, BEFORE)
    assert lapsed(OFFER, OFFER.due_at)
    assert not lapsed(OfferState(7, 42, OFFER.due_at, CONFIRMED), OFFER.due_at + timedelta(days=1))
