"""The review step's terms (评审): which procurements have one, and what their criteria and
review deadline must satisfy to be published (pure; :mod:`.publication` lists the problems
with the others).

A scored method (``scored``, ``combined/top_n``) whose ``technical`` weight is above zero
needs the reviewers' technical scores: its terms name the criteria (2–10, each up to its
``max_points``, the points adding up to 100, so a reviewer's total is a 0–100 score) and a
review deadline. The freeze waits for that deadline, so the deadline must leave the draw's
reveal window before the reveal deadline: bid deadline < review deadline, and review
deadline + reveal gap ≤ selection time − reveal gap.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from market.clock import local
from market.procurement import limits
from market.procurement.draft import DraftTerms
from market.procurement.problems import Problem
from market.procurement.terms import KindTerms

#: Methods (method or method/variant) that score firms and may weigh technical scores.
SCORED = frozenset({"scored", "combined/top_n"})
#: The points a reviewer's total reaches: the criteria's maximum points add up to it.
FULL_POINTS = Decimal(100)
_CODE = re.compile(r"[a-z][a-z0-9_]*")


def weight(draft: DraftTerms, criterion: str) -> Decimal:
    """The method's weight of ``criterion`` (0 when absent or unreadable: the method's own
    checks name a bad weight)."""
    weights = draft.method_params.get("weights")
    if not isinstance(weights, dict):
        return Decimal(0)
    try:
        value = Decimal(str(weights.get(criterion, "0")))
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def needs_review(draft: DraftTerms) -> bool:
    """Whether the draw needs the reviewers' technical scores."""
    return draft.method_code in SCORED and weight(draft, "technical") > 0


def _criteria_problems(draft: DraftTerms) -> list[Problem]:
    problems = []
    criteria = draft.review_criteria
    if not limits.CRITERIA_FEWEST <= len(criteria) <= limits.CRITERIA_MOST:
        problems.append(
            Problem(
                "review_criteria",
                f"technical scores need {limits.CRITERIA_FEWEST} to {limits.CRITERIA_MOST} review "
                f"criteria (评审因素); {len(criteria)} given",
            )
        )
    seen: set[str] = set()
    points_ok = True
    for index, criterion in enumerate(criteria):
        where = f"review_criteria[{index}]"
        if not _CODE.fullmatch(criterion.code):
            problems.append(Problem(f"{where}.code", "a code of small letters, digits and _, e.g. plan"))
        elif criterion.code in seen:
            problems.append(Problem(f"{where}.code", f"the code {criterion.code} is used twice"))
        seen.add(criterion.code)
        if not criterion.name:
            problems.append(Problem(f"{where}.name", "name the criterion (评审因素名称)"))
        points = criterion.max_points
        exponent = points.as_tuple().exponent
        if points <= 0 or points > FULL_POINTS or (isinstance(exponent, int) and exponent < -2):
            problems.append(Problem(f"{where}.max_points", "points above 0, at most 100, two places at most"))
            points_ok = False
    total = sum((c.max_points for c in criteria), Decimal(0))
    if criteria and points_ok and total != FULL_POINTS:
        problems.append(
            Problem("review_criteria", f"the criteria's max_points add up to 100; they add up to {total}")
        )
    return problems


def review_problems(draft: DraftTerms, kind: KindTerms) -> list[Problem]:
    """Every problem of the review terms (none for a procurement without a review step, as
    long as it names no criteria or review deadline)."""
    if not needs_review(draft):
        problems = []
        if draft.review_criteria:
            problems.append(
                Problem(
                    "review_criteria", "only a scored method weighing technical scores has review criteria"
                )
            )
        if draft.review_deadline is not None:
            problems.append(
                Problem(
                    "review_deadline", "only a scored method weighing technical scores has a review deadline"
                )
            )
        return problems
    problems = _criteria_problems(draft)
    deadline = draft.review_deadline
    if deadline is None:
        problems.append(Problem("review_deadline", "set the review deadline (评审截止时间)"))
        return problems
    if deadline.tzinfo is None:
        return [
            *problems,
            Problem("review_deadline", "a time with its zone (China time if typed without one)"),
        ]
    if draft.bid_deadline is not None and deadline <= draft.bid_deadline:
        problems.append(
            Problem(
                "review_deadline", "the review deadline (评审截止) comes after the bid deadline (报价截止)"
            )
        )
    earliest = earliest_selection_after_review(deadline, kind)
    if draft.selection_time < earliest:
        problems.append(
            Problem(
                "selection_time",
                f"the selection (选取时间) is at least {2 * kind.reveal_gap_minutes} minutes after "
                f"the review deadline: {kind.reveal_gap_minutes} for the parties to reveal their secrets, "
                f"{kind.reveal_gap_minutes} for the beacon; {local(earliest):%Y-%m-%d %H:%M} or later",
            )
        )
    return problems


def earliest_selection_after_review(review_deadline: datetime, kind: KindTerms) -> datetime:
    """The earliest selection time a review deadline allows: a reveal window, then the gap."""
    return review_deadline + timedelta(minutes=2 * kind.reveal_gap_minutes)
