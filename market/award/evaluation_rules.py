"""The rules of the owner's evaluation (服务评价) and of the firm's one objection to it,
without a session.

The owner scores every criterion of the reference data (``[[after_selection.criterion]]``)
1 to 5; what goes to the firm's credit is the mean of the scores rounded half up (4.5 → 5),
so no criterion weighs more than another. The firm may object once, within the configured
working days; a supervisor decides, and an upheld objection annuls the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from market.award.delivery_rules import checked_text
from market.clock import local
from market.errors import Conflict, InvalidInput
from market.procurement.after_selection_terms import EvaluationCriterion

#: Most characters of the owner's comment (评价意见).
COMMENT = 2000
#: Most characters of the firm's objection (异议理由) and of a supervisor's note.
GROUNDS = 4000
NOTE = 2000
LOWEST, HIGHEST = 1, 5

Decision = Literal["upheld", "dismissed"]
DECISIONS: tuple[Decision, ...] = ("upheld", "dismissed")


class EvaluationRefused(Conflict):
    """The evaluation, or the objection to it, cannot be made now (too early, twice, late)."""

    code = "evaluation-refused"


def checked_scores(criteria: Sequence[EvaluationCriterion], given: Mapping[str, Any]) -> dict[str, int]:
    """The scores as stored, one per criterion of the reference data, each a whole number
    1–5; the refusal names the first criterion missing, unknown or out of range."""
    codes = [c.code for c in criteria]
    unknown = sorted(str(k) for k in given if k not in codes)
    if unknown:
        raise InvalidInput(
            f"{unknown[0][:40]!r} is not an evaluation criterion; the criteria are {', '.join(codes)}",
            field="scores",
            criteria=codes,
        )
    scores: dict[str, int] = {}
    for criterion in criteria:
        value = given.get(criterion.code)
        if value is None:
            raise InvalidInput(
                f"score every criterion: {criterion.code} ({criterion.name}) is missing",
                field="scores",
                criterion=criterion.code,
            )
        if isinstance(value, bool) or not isinstance(value, int) or not LOWEST <= value <= HIGHEST:
            raise InvalidInput(
                f"{criterion.code} ({criterion.name}) is scored {LOWEST} to {HIGHEST}, not {str(value)[:20]}",
                field="scores",
                criterion=criterion.code,
            )
        scores[criterion.code] = value
    return scores


def rating_of(scores: Mapping[str, int]) -> int:
    """The scores' mean rounded half up: the rating the credit policy takes (1–5)."""
    mean = Decimal(sum(scores.values())) / Decimal(len(scores))
    return int(mean.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def comment(value: str) -> str:
    return checked_text(value, "comment", COMMENT, "the comment (评价意见)", required=False)


def check_objection(
    *, objected_at: datetime | None, window_ends: datetime, annulled: bool, now: datetime, evaluation_id: int
) -> None:
    """The firm objects once, before the window closes."""
    if objected_at is not None:
        raise EvaluationRefused(
            f"evaluation {evaluation_id} was objected to on {local(objected_at):%Y-%m-%d %H:%M}; "
            "a firm objects to an evaluation once",
            objected_at=objected_at.isoformat(),
        )
    if annulled:
        raise EvaluationRefused(f"evaluation {evaluation_id} was annulled; there is nothing to object to")
    if now >= window_ends:
        raise EvaluationRefused(
            f"the time to object to evaluation {evaluation_id} ended on "
            f"{local(window_ends):%Y-%m-%d %H:%M} (China time)",
            window_ends=window_ends.isoformat(),
        )


def grounds(value: str) -> str:
    return checked_text(value, "grounds", GROUNDS, "the grounds of the objection (异议理由)", required=True)


def check_decision(
    decision: str, note: str, *, objected: bool, decided: str | None, evaluation_id: int
) -> str:
    """A supervisor decides an objection that was made, once, upheld or dismissed, with a
    note (required when dismissing: the firm is told why)."""
    if not objected:
        raise EvaluationRefused(
            f"the firm has not objected to evaluation {evaluation_id}; there is nothing to decide"
        )
    if decided is not None:
        raise EvaluationRefused(
            f"the objection to evaluation {evaluation_id} was already decided ({decided})", decision=decided
        )
    if decision not in DECISIONS:
        raise InvalidInput(f"decision is upheld or dismissed, not {decision[:20]!r}", field="decision")
    return checked_text(note, "note", NOTE, "the note (处理意见)", required=decision == "dismissed")
