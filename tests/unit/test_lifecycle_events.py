"""The chronograph's pure part: the steps ahead of a procurement and its next check."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from market.lifecycle.events import ProcurementClock, due_now, events, next_check, rule_of
from market.procurement.states import TRANSITIONS, ProcurementStatus

DEADLINE = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
FINAL = [ProcurementStatus.SELECTED, ProcurementStatus.FAILED, ProcurementStatus.CANCELLED]

times = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))


@st.composite
def clocks(draw: st.DrawFn) -> ProcurementClock:
    deadline = draw(st.none() | times)
    selection = (
        draw(times) if deadline is None else deadline + draw(st.timedeltas(timedelta(0), timedelta(days=30)))
    )
    pool = deadline is None
    return ProcurementClock(
        status=draw(st.sampled_from(list(ProcurementStatus))),
        kind="intermediary_service" if not pool else "small_works",
        bid_deadline=deadline,
        selection_time=selection,
        pool_freeze_at=selection - draw(st.timedeltas(timedelta(0), timedelta(days=2))) if pool else None,
        offer_due_at=draw(st.none() | times) if pool else None,
    )


def service(status: ProcurementStatus, deadline: datetime = DEADLINE) -> ProcurementClock:
    return ProcurementClock(status, "intermediary_service", deadline, deadline + timedelta(days=1))


@given(clocks())
def test_next_check_is_the_earliest_due_time(p: ProcurementClock) -> None:
    ahead = events(p)
    assert next_check(p) == (min(at for at, _ in ahead) if ahead else None)
    assert [at for at, _ in ahead] == sorted(at for at, _ in ahead)


@given(clocks())
def test_the_first_step_is_one_the_status_allows(p: ProcurementClock) -> None:
    ahead = events(p)
    if ahead:
        # the lapse of an offer passes it on, or fails the procurement when none is left
        moves = {"lapse_offer": ("pass", "fail")}.get(ahead[0][1], (ahead[0][1],))
        assert all(move in TRANSITIONS[p.status] for move in moves)


@given(clocks(), st.sampled_from([*FINAL, ProcurementStatus.DRAFT]))
def test_nothing_is_timed_for_a_draft_or_after_a_final_status(
    p: ProcurementClock, status: ProcurementStatus
) -> None:
    settled = replace(p, status=status)
    assert events(settled) == [] and next_check(settled) is None


@given(times, st.timedeltas(timedelta(minutes=1), timedelta(days=30)))
def test_an_amended_deadline_moves_the_next_check(deadline: datetime, moved: timedelta) -> None:
    before = service(ProcurementStatus.PUBLISHED, deadline)
    after = replace(
        before, bid_deadline=deadline + moved, selection_time=deadline + moved + timedelta(days=1)
    )
    assert next_check(before) == deadline and next_check(after) == deadline + moved


@given(clocks(), times)
def test_a_step_is_due_exactly_when_the_next_check_has_passed(p: ProcurementClock, now: datetime) -> None:
    check = next_check(p)
    due = due_now(p, now)
    assert (due is not None) == (check is not None and check <= now)


def test_a_service_procurement_closes_opens_and_freezes_at_its_deadline_then_selects() -> None:
    selection = DEADLINE + timedelta(days=1)
    assert events(service(ProcurementStatus.PUBLISHED)) == [
        (DEADLINE, "close_bidding"),
        (DEADLINE, "open"),
        (DEADLINE, "freeze"),
        (selection, "select"),
    ]
    assert events(service(ProcurementStatus.BIDDING_CLOSED))[0] == (DEADLINE, "open")
    assert events(service(ProcurementStatus.OPENED)) == [(DEADLINE, "freeze"), (selection, "select")]
    assert events(service(ProcurementStatus.FROZEN)) == [(selection, "select")]
    assert next_check(service(ProcurementStatus.FROZEN)) == selection
    assert due_now(service(ProcurementStatus.PUBLISHED), DEADLINE - timedelta(microseconds=1)) is None
    assert due_now(service(ProcurementStatus.PUBLISHED), DEADLINE) == (DEADLINE, "close_bidding")


def test_with_a_review_step_the_freeze_and_the_selection_wait_for_the_review_deadline() -> None:
    review = DEADLINE + timedelta(days=1)
    opened = ProcurementClock(
        ProcurementStatus.OPENED, "intermediary_service", DEADLINE, review + timedelta(hours=2), review
    )
    assert events(opened) == [(review, "freeze"), (review + timedelta(hours=2), "select")]
    assert due_now(opened, review - timedelta(microseconds=1)) is None
    assert due_now(opened, review) == (review, "freeze")
    assert rule_of(opened, "freeze") == "review_deadline"
    assert rule_of(service(ProcurementStatus.OPENED), "freeze") == "bid_deadline"
    published = replace(opened, status=ProcurementStatus.PUBLISHED)
    assert next_check(published) == DEADLINE  # the opening still happens at the bid deadline


def test_a_pool_draw_freezes_its_pool_then_draws_then_waits_for_the_answer() -> None:
    selection = DEADLINE + timedelta(hours=5)
    freeze = selection - timedelta(hours=3)
    works = ProcurementClock(
        ProcurementStatus.PUBLISHED, "small_works", None, selection, pool_freeze_at=freeze
    )
    assert events(works) == [(freeze, "freeze"), (selection, "select")]
    assert next_check(works) == freeze
    assert rule_of(works, "freeze") == "pool_freeze_at"
    frozen = replace(works, status=ProcurementStatus.FROZEN, pool_freeze_at=None)
    assert events(frozen) == [(selection, "select")]
    due = selection + timedelta(days=1)
    confirming = replace(frozen, status=ProcurementStatus.CONFIRMING, offer_due_at=due)
    assert (
        events(confirming) == [(due, "lapse_offer")] and rule_of(confirming, "lapse_offer") == "offer_due_at"
    )
    assert due_now(confirming, due - timedelta(microseconds=1)) is None
    assert due_now(confirming, due) == (due, "lapse_offer")
    for final in (ProcurementStatus.SELECTED, ProcurementStatus.FAILED, ProcurementStatus.CANCELLED):
        assert next_check(replace(confirming, status=final)) is None
