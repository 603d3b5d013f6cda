"""The review step's terms: which procurements have one, the criteria, the review deadline
against the other deadlines, amendments and the shape of the stored terms."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from market.procurement.amendment import amendment_effect
from market.procurement.draft import ReviewCriterion
from market.procurement.draft_input import draft_from_input, terms_json
from market.procurement.problems import ProcurementRefused
from market.procurement.publication import publication_problems
from market.procurement.review_terms import needs_review
from tests.unit.procurement.conftest import CALENDAR, NOW, TERMS, at, service_draft

CRITERIA = (
    ReviewCriterion("plan", "服务方案", Decimal("60")),
    ReviewCriterion("team", "项目团队", Decimal("40")),
)
WEIGHTS = {"weights": {"price": "40", "credit": "0", "evaluation": "0", "technical": "60"}}


def scored(**changes: object) -> object:
    base: dict[str, object] = dict(
        method="scored",
        alternates=0,
        method_params=WEIGHTS,
        review_criteria=CRITERIA,
        bid_deadline=at(2026, 11, 9, 10, 0),
        review_deadline=at(2026, 11, 10, 10, 0),
        selection_time=at(2026, 11, 10, 12, 0),
    )
    base.update(changes)
    return service_draft(**base)


def fields_of(draft: object) -> dict[str, str]:
    return {p.field: p.message for p in publication_problems(TERMS, draft, NOW, CALENDAR)}  # type: ignore[arg-type]


def test_a_scored_method_weighing_technical_scores_with_criteria_and_deadline_publishes() -> None:
    assert fields_of(scored()) == {}
    assert needs_review(scored())  # type: ignore[arg-type]


def test_technical_weight_without_criteria_or_deadline_names_both() -> None:
    problems = fields_of(scored(review_criteria=(), review_deadline=None))
    assert "2 to 10 review criteria" in problems["review_criteria"]
    assert "review deadline" in problems["review_deadline"]


def test_criteria_must_add_up_to_100_points() -> None:
    criteria = (CRITERIA[0], replace(CRITERIA[1], max_points=Decimal("30")))
    assert "add up to 90" in fields_of(scored(review_criteria=criteria))["review_criteria"]


def test_a_criterion_is_refused_by_its_index_for_a_bad_code_a_twice_used_code_or_points() -> None:
    criteria = (
        ReviewCriterion("Plan!", "服务方案", Decimal("50")),
        ReviewCriterion("team", "", Decimal("25")),
        ReviewCriterion("team", "进度", Decimal("25.001")),
    )
    problems = fields_of(scored(review_criteria=criteria))
    assert "small letters" in problems["review_criteria[0].code"]
    assert "name the criterion" in problems["review_criteria[1].name"]
    assert "used twice" in problems["review_criteria[2].code"]
    assert "two places" in problems["review_criteria[2].max_points"]


def test_the_review_deadline_comes_after_the_bid_deadline() -> None:
    problems = fields_of(scored(review_deadline=at(2026, 11, 9, 10, 0)))
    assert "after the bid deadline" in problems["review_deadline"]


def test_the_review_deadline_leaves_a_reveal_window_and_the_beacon_gap_before_the_selection() -> None:
    # reveal gap 60 minutes: the selection is at least 120 minutes after the review deadline
    problems = fields_of(scored(selection_time=at(2026, 11, 10, 11, 59)))
    assert "120 minutes after the review deadline" in problems["selection_time"]
    assert "2026-11-10 12:00" in problems["selection_time"]


def test_criteria_or_a_review_deadline_without_technical_weight_are_refused() -> None:
    weights = {"weights": {"price": "100", "credit": "0", "evaluation": "0", "technical": "0"}}
    problems = fields_of(scored(method_params=weights))
    assert "only a scored method weighing technical" in problems["review_criteria"]
    assert "only a scored method weighing technical" in problems["review_deadline"]


def test_the_stored_terms_read_back_with_their_criteria_and_review_deadline() -> None:
    draft = scored()
    assert draft_from_input(terms_json(draft)) == draft  # type: ignore[arg-type]


def test_criteria_of_the_wrong_shape_are_named_and_floats_refused() -> None:
    raw = terms_json(scored())  # type: ignore[arg-type]
    raw["review_criteria"] = [{"code": "plan", "name": "方案", "max_points": 60.5}, {"code": "x"}, "y"]
    try:
        draft_from_input(raw)
    except ProcurementRefused as refused:
        named = {p.field for p in refused.problems}
    assert named == {"review_criteria[0].max_points", "review_criteria[1]", "review_criteria[2]"}


def test_more_than_ten_criteria_are_refused_as_shape() -> None:
    raw = terms_json(scored())  # type: ignore[arg-type]
    raw["review_criteria"] = [{"code": f"c{i}", "name": "因素", "max_points": "10"} for i in range(11)]
    try:
        draft_from_input(raw)
    except ProcurementRefused as refused:
        assert refused.problems[0].field == "review_criteria"
        assert "at most 10" in refused.problems[0].message


def test_changing_the_criteria_is_an_amendment_bidders_rely_on() -> None:
    before = scored()
    after = replace(before, review_criteria=(CRITERIA[1], CRITERIA[0]))  # type: ignore[type-var]
    effect = amendment_effect(before, after, NOW, CALENDAR, TERMS)  # type: ignore[arg-type]
    assert "review_criteria" in effect.relied_on and effect.reconfirm_bids


def test_an_amendment_that_moves_the_deadline_moves_the_review_deadline_with_it() -> None:
    before = scored()
    late = NOW + timedelta(days=6)  # the amended deadline must leave 3 working days from then
    after = replace(before, review_deadline=before.review_deadline - timedelta(hours=1))  # type: ignore[attr-defined,type-var]
    effect = amendment_effect(before, after, late, CALENDAR, TERMS)  # type: ignore[arg-type]
    shift = effect.amended.bid_deadline - before.bid_deadline  # type: ignore[attr-defined,operator]
    assert effect.deadline_moved and shift > timedelta(0)
    assert effect.amended.review_deadline == after.review_deadline + shift  # type: ignore[attr-defined,operator]
