"""The review step's rules (评审), pure: what a reviewer's score sheet must hold, when it is
complete, what a reviewer's total is, and which reviewers count at the freeze.

A sheet is ``{firm USCC: {criterion code: score}}`` over the counted bids of the opening
list; a score is 0 … the criterion's ``max_points`` with at most two places. A reviewer's
total for a firm is the sum over the criteria — a 0–100 technical score, because the
criteria's points add up to 100 (:mod:`market.procurement.review_terms`). Only reviewers who
submitted count at the freeze; each of them scored every counted bid, so every firm gets
the same number of technical scores, in the same reviewer order (the engine requires it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from market.clock import local
from market.errors import Conflict
from market.problems import Problem, ProblemsFound
from market.procurement.draft import ReviewCriterion

#: The most reviewers a procurement names (a committee, not a crowd).
MOST_REVIEWERS = 15

Sheet = dict[str, dict[str, Decimal]]


class ScoresRefused(ProblemsFound):
    """A score sheet names an unknown firm or criterion, or a score out of range."""

    code = "review-scores-invalid"


class ReviewClosed(Conflict):
    """Scores cannot be entered or submitted now (before the opening, after the review
    deadline, or once submitted)."""

    code = "review-closed"


class ReviewIncomplete(Conflict):
    """A sheet is submitted only when every counted bid has a score for every criterion."""

    code = "review-incomplete"


@dataclass(frozen=True, slots=True)
class Window:
    """Where the review of one procurement stands, for one reviewer."""

    opened: bool  # the bids are opened: the counted bids are known
    frozen: bool  # the freeze has run: scores are final and public
    review_deadline: datetime
    submitted_at: datetime | None


def _score(raw: object, criterion: ReviewCriterion) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        return None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or exponent < -2:
        return None
    if not Decimal(0) <= value <= criterion.max_points:
        return None
    return value.quantize(Decimal("0.01"))


def read_sheet(
    raw: Mapping[str, Mapping[str, object]],
    criteria: Sequence[ReviewCriterion],
    firms: Sequence[str],
) -> Sheet:
    """The sheet ``raw`` gives, or :class:`ScoresRefused` naming every unknown firm, unknown
    criterion and score out of range (a sheet may be partial until it is submitted)."""
    by_code = {c.code: c for c in criteria}
    counted = set(firms)
    problems: list[Problem] = []
    sheet: Sheet = {}
    for firm, scores in raw.items():
        if firm not in counted:
            problems.append(
                Problem(f"scores.{firm[:40]}", f"{firm[:40]} is not a counted bid of the opening list")
            )
            continue
        row: dict[str, Decimal] = {}
        for code, value in scores.items():
            criterion = by_code.get(code)
            where = f"scores.{firm}.{code[:40]}"
            if criterion is None:
                problems.append(
                    Problem(where, f"no criterion {code[:40]!r}; the criteria are {', '.join(by_code)}")
                )
                continue
            score = _score(value, criterion)
            if score is None:
                problems.append(
                    Problem(
                        where,
                        f"{criterion.name}: a score from 0 to {criterion.max_points}, two places at most "
                        f"({str(value)[:20]} given)",
                    )
                )
                continue
            row[code] = score
        if row:
            sheet[firm] = row
    if problems:
        raise ScoresRefused(problems)
    return sheet


def missing(sheet: Sheet, criteria: Sequence[ReviewCriterion], firms: Sequence[str]) -> list[str]:
    """The ``firm.criterion`` cells still without a score."""
    return [f"{f}.{c.code}" for f in firms for c in criteria if c.code not in sheet.get(f, {})]


def check_open(window: Window, now: datetime) -> None:
    """Raise :class:`ReviewClosed` unless the reviewer may still change its scores at ``now``."""
    if window.frozen or now >= window.review_deadline:
        raise ReviewClosed(
            f"the review closed at {local(window.review_deadline):%Y-%m-%d %H:%M}; scores are final",
            review_deadline=window.review_deadline.isoformat(),
        )
    if window.submitted_at is not None:
        raise ReviewClosed(
            f"you submitted your scores at {local(window.submitted_at):%Y-%m-%d %H:%M}; they are final",
            submitted_at=window.submitted_at.isoformat(),
        )
    if not window.opened:
        raise ReviewClosed("the bids are not opened yet: there is nothing to score before the bid deadline")


def check_complete(sheet: Sheet, criteria: Sequence[ReviewCriterion], firms: Sequence[str]) -> None:
    """Raise :class:`ReviewIncomplete` naming the cells still empty."""
    empty = missing(sheet, criteria, firms)
    if empty:
        shown = ", ".join(empty[:5]) + (f" and {len(empty) - 5} more" if len(empty) > 5 else "")
        raise ReviewIncomplete(
            f"score every counted bid on every criterion before submitting; {len(empty)} missing: {shown}",
            missing=empty,
        )


def total(scores: Mapping[str, Decimal]) -> Decimal:
    """A reviewer's technical score of one firm: the sum over the criteria (0–100)."""
    return sum(scores.values(), Decimal(0)).quantize(Decimal("0.01"))


def technical_scores(sheets: Mapping[int, Sheet], firms: Sequence[str]) -> dict[str, list[str]]:
    """``technical_scores`` for the engine: per firm, the submitted reviewers' totals, in the
    order of their user ids (the same order for every firm)."""
    order = sorted(sheets)
    return {firm: [str(total(sheets[r][firm])) for r in order] for firm in firms}


def mean_points(ratings: Sequence[int], points: Mapping[int, Decimal], without: Decimal) -> Decimal:
    """A firm's evaluation score from its owners' ratings (:class:`EvaluationScale`)."""
    if not ratings:
        return without.quantize(Decimal("0.01"))
    mean = sum((points[r] for r in ratings), Decimal(0)) / len(ratings)
    return mean.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
