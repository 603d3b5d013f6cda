"""The pure rules of 流标 rounds: the next attempt's dates, when direct selection may be
asked for, and what a supervisor's decision needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market.direct import rules
from market.errors import InvalidInput
from market.procurement.publication import publication_problems
from market.procurement.republish import moved_forward
from market.procurement.terms import ProcurementKind

from .conftest import CALENDAR, TERMS, at, service_draft, works_draft

SERVICES = TERMS.of(ProcurementKind.INTERMEDIARY_SERVICE)
WORKS = TERMS.of(ProcurementKind.SMALL_WORKS)
# the failed attempt's deadline (Monday 2026-11-09 10:00) has passed: re-published a day later
LATER = at(2026, 11, 10, 9, 30)


def test_the_next_attempt_closes_at_the_earliest_the_period_allows_and_publishes_as_it_stands() -> None:
    failed = service_draft(avoidance=())
    moved = moved_forward(failed, SERVICES, LATER, CALENDAR)
    assert moved.bid_deadline == at(2026, 11, 13, 9, 30)  # three working days after now
    # the selection keeps its distance from the deadline (five hours)
    assert moved.selection_time - moved.bid_deadline == timedelta(hours=5)
    assert publication_problems(TERMS, moved, LATER, CALENDAR) == []
    assert publication_problems(TERMS, failed, LATER, CALENDAR) != []


def test_dates_late_enough_stay_and_seconds_round_up_to_the_next_minute() -> None:
    far = service_draft(bid_deadline=at(2026, 12, 1, 10, 0), selection_time=at(2026, 12, 1, 15, 0))
    assert moved_forward(far, SERVICES, LATER, CALENDAR) == far
    moved = moved_forward(service_draft(), SERVICES, LATER + timedelta(seconds=20), CALENDAR)
    assert moved.bid_deadline == at(2026, 11, 13, 9, 31)


def test_a_review_step_keeps_its_place_between_the_deadline_and_the_selection() -> None:
    failed = service_draft(avoidance=(), review_deadline=at(2026, 11, 9, 11, 0))
    moved = moved_forward(failed, SERVICES, LATER, CALENDAR)
    assert moved.bid_deadline is not None and moved.review_deadline is not None
    assert moved.review_deadline - moved.bid_deadline == timedelta(hours=1)
    assert moved.selection_time - moved.review_deadline == timedelta(hours=4)


def test_without_bids_the_draw_itself_moves() -> None:
    moved = moved_forward(works_draft(), WORKS, LATER, CALENDAR)
    assert moved.bid_deadline is None and moved.selection_time == at(2026, 11, 13, 9, 30)


def facts(**changes: object) -> rules.RequestFacts:
    base: dict[str, object] = dict(
        reference="SGZJ-2026-0002", kind_name="中介超市", needed=2, failed_attempts=2, pending_request=None
    )
    base.update(changes)
    return rules.RequestFacts(**base)  # type: ignore[arg-type]


def test_direct_selection_is_asked_for_after_enough_failed_attempts_once_at_a_time() -> None:
    assert rules.request_refusal(facts()) is None
    early = rules.request_refusal(facts(failed_attempts=1))
    assert early is not None and early.details == {"needed": 2, "failed_attempts": 1}
    assert "after 2 failed attempts" in early.message and "has 1" in early.message
    waiting = rules.request_refusal(facts(pending_request=7))
    assert waiting is not None and waiting.details == {"request_id": 7}
    none = rules.request_refusal(facts(needed=None))
    assert none is not None and "no direct selection" in none.message


def test_a_rejection_says_why_an_approval_may_and_a_decision_is_made_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.checked_note(False, "  ")
    assert refused.value.field == "note"
    assert rules.checked_note(True, "  ") == ""
    assert rules.checked_note(False, " 理由不足 ") == "理由不足"
    with pytest.raises(InvalidInput):
        rules.checked_note(True, "意" * 501)
    assert rules.decision_refusal(None, "") is None
    again = rules.decision_refusal("rejected", "2026-11-10 10:00")
    assert again is not None and "already rejected at 2026-11-10 10:00" in again.message


def test_a_reason_says_something_within_the_limit() -> None:
    with pytest.raises(InvalidInput) as empty:
        rules.checked_text("", "reason", "why")
    assert empty.value.field == "reason"
    with pytest.raises(InvalidInput, match="at most 500"):
        rules.checked_text("理" * 501, "reason", "why")
