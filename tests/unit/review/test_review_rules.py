"""A reviewer's score sheet: what it may hold, when it is complete, the totals the freeze
takes, the window it may be changed in, and evaluation points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from market.procurement.draft import ReviewCriterion
from market.review import rules
from market.review.rules import ReviewClosed, ReviewIncomplete, ScoresRefused, Window

CRITERIA = (
    ReviewCriterion("plan", "服务方案", Decimal("60")),
    ReviewCriterion("team", "项目团队", Decimal("40")),
)
FIRMS = ["91440200A", "91440200B"]
DEADLINE = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def test_a_sheet_reads_scores_as_two_place_decimals() -> None:
    sheet = rules.read_sheet({FIRMS[0]: {"plan": "59.5", "team": 40}}, CRITERIA, FIRMS)
    assert sheet == {FIRMS[0]: {"plan": Decimal("59.50"), "team": Decimal("40.00")}}


def test_every_bad_cell_is_named_unknown_firm_unknown_criterion_and_out_of_range() -> None:
    raw = {
        "91440200X": {"plan": "1"},
        FIRMS[0]: {"price": "1", "plan": "60.01", "team": "-1"},
        FIRMS[1]: {"plan": "1.234", "team": True},
    }
    with pytest.raises(ScoresRefused) as refused:
        rules.read_sheet(raw, CRITERIA, FIRMS)
    named = {p.field for p in refused.value.problems}
    assert named == {
        "scores.91440200X",
        f"scores.{FIRMS[0]}.price",
        f"scores.{FIRMS[0]}.plan",
        f"scores.{FIRMS[0]}.team",
        f"scores.{FIRMS[1]}.plan",
        f"scores.{FIRMS[1]}.team",
    }
    assert "from 0 to 60" in next(p.message for p in refused.value.problems if p.field.endswith("A.plan"))


def test_a_sheet_is_complete_when_every_counted_bid_has_every_criterion() -> None:
    sheet = rules.read_sheet(
        {FIRMS[0]: {"plan": "50", "team": "30"}, FIRMS[1]: {"plan": "1"}}, CRITERIA, FIRMS
    )
    with pytest.raises(ReviewIncomplete) as incomplete:
        rules.check_complete(sheet, CRITERIA, FIRMS)
    assert incomplete.value.details["missing"] == [f"{FIRMS[1]}.team"]


def test_technical_scores_are_each_submitted_reviewers_totals_in_user_id_order() -> None:
    first = {
        FIRMS[0]: {"plan": Decimal("50"), "team": Decimal("30.5")},
        FIRMS[1]: {"plan": Decimal("1"), "team": Decimal("0")},
    }
    second = {
        FIRMS[0]: {"plan": Decimal("60"), "team": Decimal("40")},
        FIRMS[1]: {"plan": Decimal("0"), "team": Decimal("0")},
    }
    assert rules.technical_scores({9: second, 3: first}, FIRMS) == {
        FIRMS[0]: ["80.50", "100.00"],
        FIRMS[1]: ["1.00", "0.00"],
    }


@pytest.mark.parametrize(
    ("window", "now", "says"),
    [
        (Window(True, False, DEADLINE, None), DEADLINE, "review closed"),
        (Window(True, True, DEADLINE, None), DEADLINE - timedelta(hours=1), "review closed"),
        (
            Window(True, False, DEADLINE, DEADLINE - timedelta(hours=2)),
            DEADLINE - timedelta(hours=1),
            "submitted",
        ),
        (Window(False, False, DEADLINE, None), DEADLINE - timedelta(days=2), "not opened"),
    ],
)
def test_scores_change_only_after_the_opening_before_the_deadline_and_before_submitting(
    window: Window, now: datetime, says: str
) -> None:
    with pytest.raises(ReviewClosed) as closed:
        rules.check_open(window, now)
    assert says in closed.value.message


def test_an_open_window_allows_scoring() -> None:
    rules.check_open(Window(True, False, DEADLINE, None), DEADLINE - timedelta(microseconds=1))


def test_evaluation_points_are_the_mean_half_up_and_a_default_without_evaluations() -> None:
    points = {1: Decimal(20), 2: Decimal(40), 3: Decimal(60), 4: Decimal(80), 5: Decimal(100)}
    assert rules.mean_points([5, 4, 4], points, Decimal(60)) == Decimal("86.67")
    assert rules.mean_points([], points, Decimal(60)) == Decimal("60.00")
