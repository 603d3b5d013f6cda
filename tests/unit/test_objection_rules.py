"""The pure rules of an objection and of a redraw's inputs (issue 13), without a database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from market.award import objection_rules as rules
from market.calendar import working_calendar
from market.clock import SHANGHAI
from market.draw.redraw import Exclusion, less_excluded
from market.errors import InvalidInput
from market.procurement.states import ProcurementStatus

CALENDAR = working_calendar()
FRIDAY = datetime(2026, 11, 13, 15, 0, tzinfo=SHANGHAI)


def _state(status: str, decision: str | None = None, current: bool = True) -> rules.ObjectionState:
    return rules.ObjectionState(7, status, decision, current)


def test_the_lodging_checks_come_in_the_order_a_person_fixes_them() -> None:
    ends = FRIDAY + timedelta(days=3)
    check = rules.check_lodging
    with pytest.raises(rules.ObjectionWindowClosed, match="已定标"):
        check(ProcurementStatus.AWARDED, None, FRIDAY, respondent=True, is_winner=False, lodged_before=False)
    with pytest.raises(rules.ObjectionWindowClosed, match="publicity ended"):
        check(ProcurementStatus.SELECTED, ends, ends, respondent=True, is_winner=False, lodged_before=False)
    with pytest.raises(rules.NotARespondent, match="took part"):
        check(ProcurementStatus.SELECTED, ends, FRIDAY, respondent=False, is_winner=False, lodged_before=True)
    with pytest.raises(rules.NotARespondent, match="own selection"):
        check(ProcurementStatus.SELECTED, ends, FRIDAY, respondent=True, is_winner=True, lodged_before=False)
    with pytest.raises(rules.ObjectionExists):
        check(ProcurementStatus.SELECTED, ends, FRIDAY, respondent=True, is_winner=False, lodged_before=True)
    check(ProcurementStatus.SELECTED, ends, FRIDAY, respondent=True, is_winner=False, lodged_before=False)


def test_each_step_needs_its_state() -> None:
    rules.check_answer(_state("open"))
    with pytest.raises(rules.ObjectionStep):
        rules.check_answer(_state("open", current=False))  # the award was voided meanwhile
    with pytest.raises(rules.ObjectionStep):
        rules.check_complaint(_state("answered", "upheld"), ProcurementStatus.SELECTED)
    with pytest.raises(rules.ObjectionWindowClosed, match="before the award"):
        rules.check_complaint(_state("answered", "dismissed"), ProcurementStatus.AWARDED)
    rules.check_complaint(_state("answered", "dismissed"), ProcurementStatus.SELECTED)
    rules.check_decision(_state("complaint"))
    with pytest.raises(rules.ObjectionStep, match="no complaint"):
        rules.check_decision(_state("closed", "dismissed"))


def test_text_is_required_within_its_limit_and_without_hidden_controls() -> None:
    assert rules.text("  理由  ", "grounds", 10) == "理由"
    with pytest.raises(InvalidInput, match="required"):
        rules.text(" \n", "grounds", 10)
    with pytest.raises(InvalidInput, match="at most 3"):
        rules.text("四个字符", "answer", 3)
    with pytest.raises(InvalidInput):
        rules.text("a\u202eb", "note", 10)
    with pytest.raises(InvalidInput, match="is text"):
        rules.text(["x"], "grounds", 10)
    with pytest.raises(InvalidInput, match="upheld"):
        rules.decision("yes")


def test_a_late_dismissal_extends_the_publicity_by_working_days() -> None:
    ends = FRIDAY + timedelta(days=10)
    assert rules.extended_publicity(ends, FRIDAY, 3, CALENDAR) == ends  # time enough is left
    moved = rules.extended_publicity(FRIDAY, FRIDAY, 3, CALENDAR)
    assert moved == datetime(2026, 11, 18, 15, 0, tzinfo=SHANGHAI)  # Wednesday: the weekend skipped


def test_the_redrawn_documents_lose_the_firm_everywhere_and_name_it_in_the_avoidance_rule() -> None:
    documents = {
        "configuration": {
            "method": "lowest_price",
            "params": {},
            "rules": {"avoid": [{"id": "B", "reason": "回避"}]},
        },
        "candidates": {"candidates": ["A", "C", "W"], "quotes": {"A": "1", "C": "2", "W": "0.5"}},
        "bids": {"A": "a" * 64, "C": "c" * 64, "W": "w" * 64},
    }
    redrawn = less_excluded(documents, [Exclusion("W", 12)])
    assert redrawn["candidates"] == {"candidates": ["A", "C"], "quotes": {"A": "1", "C": "2"}}
    assert set(redrawn["bids"]) == {"A", "C"}
    assert redrawn["configuration"]["rules"]["avoid"] == [
        {"id": "B", "reason": "回避"},
        {"id": "W", "reason": "objection:12 upheld (质疑成立，取消中选资格)"},
    ]
    assert documents["candidates"]["candidates"] == ["A", "C", "W"]  # the previous round's stay as published
