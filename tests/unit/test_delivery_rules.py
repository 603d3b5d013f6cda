"""The pure rules of delivery and evaluation (issue 13): the contract's end day counts in
China time, the rating is the scores' mean rounded half up, every criterion is scored 1–5,
and a firm objects once, in time; a supervisor decides once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market.award import delivery_rules, evaluation_rules
from market.award.evaluation_rules import EvaluationRefused
from market.errors import InvalidInput
from market.procurement.after_selection_terms import DEFAULT_CRITERIA


def test_the_last_day_of_the_term_counts_until_midnight_in_china() -> None:
    due = delivery_rules.term_end({"term": {"start": "2026-12-01", "end": "2026-12-31"}})
    assert due == datetime(2026, 12, 31, 15, 59, 59, 999999, tzinfo=UTC)
    assert delivery_rules.on_time(datetime(2026, 12, 31, 15, 59, tzinfo=UTC), due)
    assert not delivery_rules.on_time(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), due)  # 1 January, China


@pytest.mark.parametrize(
    "data", [None, {}, {"term": "2026-12-31"}, {"term": {"end": 20261231}}, {"term": {"end": "31.12."}}]
)
def test_a_contract_without_a_readable_end_sets_no_due_time(data: object) -> None:
    assert delivery_rules.term_end(data) is None  # type: ignore[arg-type]
    assert delivery_rules.on_time(datetime(2030, 1, 1, tzinfo=UTC), None)


@pytest.mark.parametrize(
    ("scores", "rating"),
    [
        ((5, 5, 5, 5), 5),
        ((5, 4, 4, 5), 5),
        ((4, 4, 4, 5), 4),
        ((1, 1, 2, 1), 1),
        ((3, 2, 2, 3), 3),
        ((1, 2, 2, 2), 2),
    ],
)
def test_the_rating_is_the_mean_rounded_half_up(scores: tuple[int, ...], rating: int) -> None:
    assert evaluation_rules.rating_of(dict(zip("abcd", scores, strict=True))) == rating


def test_every_criterion_is_scored_once_within_range() -> None:
    full = {c.code: 3 for c in DEFAULT_CRITERIA}
    assert evaluation_rules.checked_scores(DEFAULT_CRITERIA, full) == full
    for wrong in ({**full, "quality": 0}, {**full, "quality": 6}, {**full, "quality": False}, {"quality": 3}):
        with pytest.raises(InvalidInput) as refused:
            evaluation_rules.checked_scores(DEFAULT_CRITERIA, wrong)
        assert refused.value.field == "scores"


def test_a_service_needs_a_file_and_works_a_completion_report() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        delivery_rules.delivery_note("intermediary_service", "说明", 0)
    assert delivery_rules.delivery_note("intermediary_service", "", 1) == ""
    with pytest.raises(InvalidInput, match="completion report"):
        delivery_rules.delivery_note("small_works", "   ", 3)
    with pytest.raises(InvalidInput, match="at most"):
        delivery_rules.delivery_note("small_works", "竣" * (delivery_rules.NOTE + 1), 0)
    with pytest.raises(InvalidInput, match="bidirectional"):
        delivery_rules.delivery_note("small_works", "已竣工\u202e", 0)


def test_an_objection_is_made_once_before_the_window_ends_and_decided_once() -> None:
    ends = datetime(2026, 12, 10, tzinfo=UTC)
    evaluation_rules.check_objection(
        objected_at=None, window_ends=ends, annulled=False, now=ends - timedelta(seconds=1), evaluation_id=1
    )
    with pytest.raises(EvaluationRefused, match="ended on"):
        evaluation_rules.check_objection(
            objected_at=None, window_ends=ends, annulled=False, now=ends, evaluation_id=1
        )
    with pytest.raises(EvaluationRefused, match="once"):
        evaluation_rules.check_objection(
            objected_at=ends, window_ends=ends, annulled=False, now=ends, evaluation_id=1
        )
    with pytest.raises(InvalidInput, match="note"):
        evaluation_rules.check_decision("dismissed", " ", objected=True, decided=None, evaluation_id=1)
    assert evaluation_rules.check_decision("upheld", "", objected=True, decided=None, evaluation_id=1) == ""
    with pytest.raises(EvaluationRefused, match="already decided"):
        evaluation_rules.check_decision("upheld", "", objected=True, decided="dismissed", evaluation_id=1)
