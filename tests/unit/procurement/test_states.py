"""Every transition of the table, allowed and refused."""

from __future__ import annotations

import pytest

from market.errors import Conflict, InvalidInput
from market.procurement.states import ACTIONS, TRANSITIONS, ProcurementStatus, transition

from .conftest import NOW, at

S = ProcurementStatus
ALLOWED = {
    (S.DRAFT, "publish"): S.PUBLISHED,
    (S.DRAFT, "select_directly"): S.SELECTED,  # an approved direct selection's attempt
    (S.PUBLISHED, "amend"): S.PUBLISHED,
    (S.PUBLISHED, "cancel"): S.CANCELLED,
    (S.PUBLISHED, "close_bidding"): S.BIDDING_CLOSED,
    (S.BIDDING_CLOSED, "open"): S.OPENED,
    (S.BIDDING_CLOSED, "cancel"): S.CANCELLED,
    (S.OPENED, "freeze"): S.FROZEN,
    (S.OPENED, "fail"): S.FAILED,  # too few counted bids: fails at the freeze
    (S.OPENED, "cancel"): S.CANCELLED,
    (S.FROZEN, "select"): S.SELECTED,
    (S.FROZEN, "fail"): S.FAILED,
    (S.FROZEN, "cancel"): S.CANCELLED,
    (S.CONFIRMING, "confirm"): S.SELECTED,
    (S.CONFIRMING, "pass"): S.CONFIRMING,
    (S.CONFIRMING, "fail"): S.FAILED,
    (S.CONFIRMING, "cancel"): S.CANCELLED,
    # after the selection (issue 13)
    (S.SELECTED, "award"): S.AWARDED,
    (S.SELECTED, "void"): S.REDRAWING,
    (S.SELECTED, "reassign"): S.SELECTED,
    (S.SELECTED, "fail"): S.FAILED,
    (S.REDRAWING, "freeze"): S.FROZEN,
    (S.REDRAWING, "fail"): S.FAILED,
    (S.REDRAWING, "cancel"): S.CANCELLED,
    (S.AWARDED, "sign"): S.CONTRACTED,
    (S.AWARDED, "reassign"): S.SELECTED,
    (S.AWARDED, "fail"): S.FAILED,
    (S.CONTRACTED, "deliver"): S.DELIVERED,
    (S.DELIVERED, "accept"): S.ACCEPTED,
    (S.DELIVERED, "return"): S.CONTRACTED,
    (S.ACCEPTED, "evaluate"): S.EVALUATED,
}
LATER = at(2026, 11, 9, 10, 0)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_pair_of_status_and_action(status: S, action: str) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(Conflict) as refused:
            transition(status, action, now=NOW, closes_at=LATER, reason="理由")  # type: ignore[arg-type]
        assert refused.value.details["procurement_status"] == status.value
    else:
        change = transition(status, action, now=NOW, closes_at=LATER, reason="理由")  # type: ignore[arg-type]
        assert (change.previous, change.to) == (status, expected)
        assert change.audit_action.startswith("procurement:")


def test_without_bids_the_pool_is_frozen_and_the_drawn_contractor_is_offered_the_works() -> None:
    assert transition(S.PUBLISHED, "freeze", now=NOW, takes_bids=False).to is S.FROZEN
    assert transition(S.PUBLISHED, "fail", now=NOW, takes_bids=False).to is S.FAILED
    offered = transition(S.FROZEN, "offer", now=NOW, takes_bids=False)
    assert offered.to is S.CONFIRMING and offered.audit_action == "procurement:offered"
    assert (
        transition(S.CONFIRMING, "confirm", now=NOW, takes_bids=False).audit_action == "procurement:confirmed"
    )
    for status, action in ((S.PUBLISHED, "close_bidding"), (S.PUBLISHED, "select"), (S.FROZEN, "select")):
        with pytest.raises(Conflict):
            transition(status, action, now=NOW, takes_bids=False)  # type: ignore[arg-type]


def test_with_bids_nothing_is_frozen_before_the_opening_nor_offered() -> None:
    for status, action in ((S.PUBLISHED, "freeze"), (S.PUBLISHED, "fail"), (S.FROZEN, "offer")):
        with pytest.raises(Conflict):
            transition(status, action, now=NOW)  # type: ignore[arg-type]


def test_without_bids_no_amendment_once_the_pool_is_fixed() -> None:
    with pytest.raises(Conflict, match="the contractor pool was fixed at 2026-11-09 10:00"):
        transition(S.PUBLISHED, "amend", now=LATER, closes_at=LATER, takes_bids=False, reason="改")


def test_cancel_and_amend_need_a_reason() -> None:
    for action in ("cancel", "amend"):
        with pytest.raises(InvalidInput) as refused:
            transition(S.PUBLISHED, action, now=NOW, closes_at=LATER, reason="  ")  # type: ignore[arg-type]
        assert refused.value.field == "reason"


def test_no_amendment_at_or_after_the_deadline() -> None:
    with pytest.raises(Conflict, match="bidding closed at 2026-11-09 10:00"):
        transition(S.PUBLISHED, "amend", now=LATER, closes_at=LATER, reason="改")
    assert transition(S.PUBLISHED, "cancel", now=LATER, closes_at=LATER, reason="终止").to is S.CANCELLED


def test_only_drafts_are_hidden_and_final_states_lead_nowhere() -> None:
    assert [s for s in S if not s.public] == [S.DRAFT]
    assert {s for s, moves in TRANSITIONS.items() if not moves} == {S.EVALUATED, S.FAILED, S.CANCELLED}
    assert all(s.label for s in S)
