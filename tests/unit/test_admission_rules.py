"""The admission rules without a database: every transition of the table, allowed or refused,
the reasons decisions need, the lapse of a suspension and the misconduct suspension that
extends but never shortens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market.errors import Conflict, InvalidInput
from market.registry.admission_rules import (
    DECISIONS,
    FirmStatus,
    Standing,
    decide,
    lapse,
    misconduct_suspension,
    transition,
)

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)
S = FirmStatus

# written out by hand, not read from the module: the table is what these tests pin
ALLOWED = {
    (S.APPLIED, S.ADMITTED),
    (S.APPLIED, S.RETURNED),
    (S.APPLIED, S.REJECTED),
    (S.RETURNED, S.APPLIED),
    (S.RETURNED, S.REJECTED),
    (S.REJECTED, S.APPLIED),
    (S.ADMITTED, S.SUSPENDED),
    (S.ADMITTED, S.REMOVED),
    (S.SUSPENDED, S.ADMITTED),
    (S.SUSPENDED, S.SUSPENDED),
    (S.SUSPENDED, S.REMOVED),
}
EVERY_PAIR = [(a, b) for a in FirmStatus for b in FirmStatus]


def _standing(status: FirmStatus) -> Standing:
    return Standing(status, LATER if status is S.SUSPENDED else None)


@pytest.mark.parametrize(("start", "to"), sorted(ALLOWED))
def test_an_allowed_transition_gives_the_change_to_write(start: FirmStatus, to: FirmStatus) -> None:
    change = transition(_standing(start), to, reason="  理由  ", now=NOW)
    assert (change.previous, change.to, change.reason) == (start, to, "理由")
    assert change.previous_until == (LATER if start is S.SUSPENDED else None)


@pytest.mark.parametrize(("start", "to"), [pair for pair in EVERY_PAIR if pair not in ALLOWED])
def test_a_transition_outside_the_table_is_a_conflict_naming_the_current_status(
    start: FirmStatus, to: FirmStatus
) -> None:
    with pytest.raises(Conflict, match=f"a firm that is {start.value} cannot become {to.value}") as caught:
        transition(_standing(start), to, reason="理由", now=NOW)
    assert caught.value.details == {"firm_status": start.value}


def test_the_refusal_lists_what_the_firm_can_become() -> None:
    with pytest.raises(Conflict, match=r"from applied it can become: admitted, rejected, returned$"):
        transition(Standing(S.APPLIED), S.SUSPENDED, reason="x", now=NOW)
    with pytest.raises(Conflict, match=r"from removed it can become: none \(final\)$"):
        transition(Standing(S.REMOVED), S.ADMITTED, reason="x", now=NOW)


@pytest.mark.parametrize(
    ("start", "to"),
    [(S.APPLIED, S.RETURNED), (S.APPLIED, S.REJECTED), (S.ADMITTED, S.SUSPENDED), (S.ADMITTED, S.REMOVED)],
)
@pytest.mark.parametrize("reason", ["", "   "])
def test_returning_rejecting_suspending_and_removing_need_a_reason(
    start: FirmStatus, to: FirmStatus, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=f"say why the firm is {to.value}") as caught:
        transition(Standing(start), to, reason=reason, now=NOW)
    assert caught.value.field == "reason"


@pytest.mark.parametrize(
    ("start", "to"), [(S.APPLIED, S.ADMITTED), (S.RETURNED, S.APPLIED), (S.REJECTED, S.APPLIED)]
)
def test_admitting_and_applying_again_need_no_reason(start: FirmStatus, to: FirmStatus) -> None:
    assert transition(Standing(start), to, reason="", now=NOW).reason == ""


def test_only_a_suspension_has_an_end_and_it_lies_in_the_future() -> None:
    with pytest.raises(InvalidInput, match="only a suspension has an end") as caught:
        transition(Standing(S.APPLIED), S.ADMITTED, reason="", now=NOW, until=LATER)
    assert caught.value.field == "until"
    for past in (NOW, NOW - timedelta(seconds=1)):
        with pytest.raises(InvalidInput, match="must end in the future"):
            transition(Standing(S.ADMITTED), S.SUSPENDED, reason="检查", now=NOW, until=past)
    change = transition(Standing(S.ADMITTED), S.SUSPENDED, reason="检查", now=NOW, until=LATER)
    assert change.until == LATER
    assert transition(Standing(S.ADMITTED), S.SUSPENDED, reason="检查", now=NOW).until is None


def test_leaving_a_suspension_clears_its_end() -> None:
    change = transition(Standing(S.SUSPENDED, LATER), S.REMOVED, reason="清出", now=NOW)
    assert (change.until, change.previous_until) == (None, LATER)


@pytest.mark.parametrize(
    ("start", "to", "action"),
    [
        (S.APPLIED, S.ADMITTED, "firm:admitted"),
        (S.APPLIED, S.RETURNED, "firm:returned"),
        (S.APPLIED, S.REJECTED, "firm:rejected"),
        (S.RETURNED, S.APPLIED, "firm:resubmitted"),
        (S.REJECTED, S.APPLIED, "firm:resubmitted"),
        (S.ADMITTED, S.SUSPENDED, "firm:suspended"),
        (S.SUSPENDED, S.SUSPENDED, "firm:suspended"),
        (S.SUSPENDED, S.ADMITTED, "firm:reinstated"),
        (S.ADMITTED, S.REMOVED, "firm:removed"),
    ],
)
def test_each_change_is_audited_under_its_action(start: FirmStatus, to: FirmStatus, action: str) -> None:
    assert transition(_standing(start), to, reason="理由", now=NOW).action == action


def test_only_admitting_an_applicant_approves_its_application() -> None:
    approving = {
        (start, to)
        for start, to in ALLOWED
        if transition(_standing(start), to, reason="理由", now=NOW).approves_application
    }
    assert approving == {(S.APPLIED, S.ADMITTED)}


# -- the lapse rule ---------------------------------------------------------------------------
def test_a_suspension_counts_until_its_end_and_not_after() -> None:
    standing = Standing(S.SUSPENDED, LATER)
    assert standing.at(LATER - timedelta(microseconds=1)) is S.SUSPENDED
    assert standing.at(LATER) is S.ADMITTED
    assert Standing(S.SUSPENDED, None).at(LATER + timedelta(days=9999)) is S.SUSPENDED
    assert Standing(S.REMOVED, None).at(LATER) is S.REMOVED


def test_a_lapsed_suspension_is_written_down_as_a_reinstatement() -> None:
    assert lapse(Standing(S.SUSPENDED, LATER), LATER - timedelta(seconds=1)) is None
    assert lapse(Standing(S.SUSPENDED, None), LATER) is None
    assert lapse(Standing(S.ADMITTED), LATER) is None
    change = lapse(Standing(S.SUSPENDED, LATER), LATER)
    assert change is not None
    assert (change.previous, change.to, change.until, change.previous_until) == (
        S.SUSPENDED,
        S.ADMITTED,
        None,
        LATER,
    )
    assert (change.reason, change.action) == ("暂停期满", "firm:reinstated")


def test_the_table_is_read_from_the_status_that_counts_now() -> None:
    lapsed = Standing(S.SUSPENDED, NOW - timedelta(hours=1))
    # counts as admitted: it can be suspended again or removed, and the stored status is
    # what the history row records as the start
    change = transition(lapsed, S.SUSPENDED, reason="再次暂停", now=NOW, until=LATER)
    assert (change.previous, change.to, change.until) == (S.SUSPENDED, S.SUSPENDED, LATER)
    with pytest.raises(Conflict, match="a firm that is admitted cannot become applied"):
        transition(lapsed, S.APPLIED, reason="", now=NOW)


# -- administrators' decisions ---------------------------------------------------------------
def test_the_decisions_and_where_they_lead() -> None:
    assert DECISIONS == ("admit", "return", "reject", "suspend", "reinstate", "remove")
    starts = {
        "admit": S.APPLIED,
        "return": S.APPLIED,
        "reject": S.RETURNED,
        "suspend": S.ADMITTED,
        "reinstate": S.SUSPENDED,
        "remove": S.SUSPENDED,
    }
    targets = {
        decision: decide(_standing(starts[decision]), decision, reason="理由", now=NOW).to
        for decision in DECISIONS
    }
    assert targets == {
        "admit": S.ADMITTED,
        "return": S.RETURNED,
        "reject": S.REJECTED,
        "suspend": S.SUSPENDED,
        "reinstate": S.ADMITTED,
        "remove": S.REMOVED,
    }


@pytest.mark.parametrize(
    "standing",
    [Standing(S.ADMITTED), Standing(S.APPLIED), Standing(S.REMOVED), Standing(S.SUSPENDED, NOW)],
    ids=["admitted", "applied", "removed", "suspension-ended"],
)
def test_only_a_suspended_firm_can_be_reinstated(standing: Standing) -> None:
    with pytest.raises(InvalidInput, match="only a suspended firm can be reinstated") as caught:
        decide(standing, "reinstate", reason="", now=NOW)
    assert caught.value.field == "decision"


def test_admitting_a_suspended_firm_reinstates_it() -> None:
    change = decide(Standing(S.SUSPENDED, LATER), "admit", reason="", now=NOW)
    assert (change.to, change.action, change.until) == (S.ADMITTED, "firm:reinstated", None)


def test_a_decision_still_obeys_the_table_and_the_reasons() -> None:
    with pytest.raises(Conflict, match="a firm that is applied cannot become suspended"):
        decide(Standing(S.APPLIED), "suspend", reason="检查", now=NOW)
    with pytest.raises(InvalidInput, match="say why the firm is removed"):
        decide(Standing(S.ADMITTED), "remove", reason=" ", now=NOW)


# -- severe misconduct ------------------------------------------------------------------------
SEVERE_END = NOW + timedelta(days=180)


def _misconduct(standing: Standing) -> datetime | bool | None:
    """The new end of the suspension, or False when nothing changes."""
    change = misconduct_suspension(standing, until=SEVERE_END, reason="严重不良行为", now=NOW)
    if change is None:
        return False
    assert (change.to, change.reason, change.action) == (S.SUSPENDED, "严重不良行为", "firm:suspended")
    return change.until


def test_severe_misconduct_suspends_an_admitted_firm() -> None:
    assert _misconduct(Standing(S.ADMITTED)) == SEVERE_END


def test_severe_misconduct_extends_a_shorter_suspension() -> None:
    assert _misconduct(Standing(S.SUSPENDED, NOW + timedelta(days=10))) == SEVERE_END
    # one that has already run out counts as admitted: suspended afresh
    assert _misconduct(Standing(S.SUSPENDED, NOW - timedelta(days=1))) == SEVERE_END


@pytest.mark.parametrize(
    "until",
    [SEVERE_END, SEVERE_END + timedelta(seconds=1), NOW + timedelta(days=999), None],
    ids=["as-long", "a-second-longer", "longer", "without-end"],
)
def test_severe_misconduct_never_shortens_a_suspension(until: datetime | None) -> None:
    assert _misconduct(Standing(S.SUSPENDED, until)) is False


@pytest.mark.parametrize("status", [S.APPLIED, S.RETURNED, S.REJECTED, S.REMOVED])
def test_severe_misconduct_leaves_a_firm_outside_the_pool_where_it_is(status: FirmStatus) -> None:
    assert _misconduct(Standing(status)) is False
