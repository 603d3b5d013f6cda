"""Pure rules of an objection (质疑) to a published result and its complaint (投诉): who may
lodge one and until when, which step each state allows, the text limits, and how far the
publicity moves when an answer comes late in it (公示期顺延). No session, no clock: the
service passes what it loaded and the time.

    open ──answer upheld──▶ closed (upheld: the result is void)
      ╲──answer dismissed──▶ answered ──complaint──▶ complaint ──decision──▶ closed
                                 (the objector may stop here)     upheld: void; dismissed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from market.calendar import WorkingCalendar
from market.clock import local
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.procurement.states import ProcurementStatus
from market.text import check_text

Decision = Literal["upheld", "dismissed"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)

#: Most characters of the objector's grounds, a complaint's grounds, the owner's answer.
GROUNDS = 4000
ANSWER = 4000
#: Most characters of a supervisor's decision note.
NOTE = 2000

#: The note an objection gets when another one of the same award was upheld first: the
#: result it questions no longer exists (shown as it is on the pages).
MOOT_NOTE = "moot: the result was voided by objection {upheld} (质疑成立，结果已作废)"

STATE_LABELS = {
    "open": "待答复",
    "answered": "已答复",
    "complaint": "投诉处理中",
    "closed": "已办结",
}
DECISION_LABELS = {"upheld": "成立", "dismissed": "不成立"}


class ObjectionWindowClosed(Conflict):
    """Outside the result's publicity, or the procurement is no longer selected."""

    code = "objection-window-closed"


class NotARespondent(PermissionDenied):
    """Only a firm that took part in the round (a counted bid, a drawn pool) may object."""

    code = "not-a-respondent"


class ObjectionExists(Conflict):
    code = "objection-exists"


class ObjectionStep(Conflict):
    """The objection is not in the state the step needs (answered already, no dismissal …)."""

    code = "objection-step"


@dataclass(frozen=True, slots=True)
class ObjectionState:
    """What the rules look at of one objection."""

    id: int
    status: str
    answer_decision: str | None
    award_current: bool  # its award is still the procurement's current one


def not_found(objection_id: int) -> NotFound:
    return NotFound(f"there is no objection {objection_id} you may see", objection_id=objection_id)


def text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    """The stripped text of ``field``, within ``limit`` characters, no NUL or bidi control."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} is text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"write the {field}: it is required", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {field} is at most {limit} characters ({len(value)} given)", field=field)
    check_text(value, field)
    return value


def decision(value: object, field: str = "decision") -> Decision:
    if value not in DECISIONS:
        raise InvalidInput(f"{field} is upheld (成立) or dismissed (不成立)", field=field)
    return value


def check_lodging(
    status: ProcurementStatus,
    publicity_ends_at: datetime | None,
    now: datetime,
    *,
    respondent: bool,
    is_winner: bool,
    lodged_before: bool,
) -> None:
    """Refuse an objection that may not be lodged now by this firm; the order of the checks
    is the order a person would fix them in."""
    if status is not ProcurementStatus.SELECTED or publicity_ends_at is None:
        raise ObjectionWindowClosed(
            f"objections are lodged while the result is published (结果公示); the procurement is "
            f"{status.label}",
            procurement_status=status.value,
        )
    if now >= publicity_ends_at:
        raise ObjectionWindowClosed(
            f"the result's publicity ended at {local(publicity_ends_at):%Y-%m-%d %H:%M} China time; "
            "objections are no longer taken",
            publicity_ends_at=publicity_ends_at.isoformat(),
        )
    if not respondent:
        raise NotARespondent(
            "only a firm that took part in this round (a counted bid, or a firm of the drawn pool) "
            "may object to its result"
        )
    if is_winner:
        raise NotARespondent("the selected firm cannot object to its own selection")
    if lodged_before:
        raise ObjectionExists("your firm has objected to this result already; one objection per firm")


def check_answer(state: ObjectionState) -> None:
    if state.status != "open" or not state.award_current:
        raise ObjectionStep(
            f"objection {state.id} is {STATE_LABELS[state.status]}: it has been answered or closed",
            objection_status=state.status,
        )


def check_complaint(state: ObjectionState, status: ProcurementStatus) -> None:
    """A complaint follows a dismissal, while the result it questions is still published."""
    if state.status != "answered" or state.answer_decision != "dismissed" or not state.award_current:
        raise ObjectionStep(
            f"objection {state.id} is {STATE_LABELS[state.status]}: a complaint (投诉) follows an "
            "objection the owner dismissed, once",
            objection_status=state.status,
        )
    if status is not ProcurementStatus.SELECTED:
        raise ObjectionWindowClosed(
            f"the procurement is {status.label}: a complaint is made before the award",
            procurement_status=status.value,
        )


def check_decision(state: ObjectionState) -> None:
    if state.status != "complaint":
        raise ObjectionStep(
            f"objection {state.id} is {STATE_LABELS[state.status]}: there is no complaint to decide",
            objection_status=state.status,
        )


def extended_publicity(
    publicity_ends_at: datetime, answered_at: datetime, working_days: int, calendar: WorkingCalendar
) -> datetime:
    """The publicity's end after a dismissal at ``answered_at``: the objector keeps
    ``working_days`` working days to complain before the award (公示期顺延)."""
    return max(publicity_ends_at, calendar.add_working_days(answered_at, working_days))
