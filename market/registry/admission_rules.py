"""The rules of admission: where a firm can be in a registry and what may move it.

    applied ──admit──▶ admitted ──suspend──▶ suspended ──reinstate──▶ admitted
       │  ╲                 │                   │
       │   return ▶ returned ─resubmit─▶ applied  │
     reject                 └──────remove───────┴──▶ removed (final)
       ▼
    rejected ──reapply──▶ applied

This module is the first of the platform's *rule modules*, the shape the procurement state
machine follows too: plain data in (the firm's status and suspension end, the decision, the
time), a decision out (:class:`StatusChange`: the new status, its end, the audit action) or
the domain's refusal (:class:`~market.errors.Conflict` naming the current status,
:class:`~market.errors.InvalidInput` naming the field). It never touches a session, so it
is tested without a database; :mod:`market.registry.admission` loads the firm, asks these
rules and writes the answer down. An import-linter contract keeps SQLAlchemy out.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from market.errors import Conflict, InvalidInput


class FirmStatus(enum.StrEnum):
    """Where a firm is in admission. ``suspended`` may carry an end time, after which the
    firm is eligible again without anything having to run."""

    APPLIED = "applied"
    RETURNED = "returned"  # the reviewer asked for more
    ADMITTED = "admitted"
    SUSPENDED = "suspended"
    REMOVED = "removed"  # final
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        """The status as pages and reasons name it (Chinese)."""
        return _STATUS_LABELS[self]


_STATUS_LABELS: Mapping[FirmStatus, str] = {
    FirmStatus.APPLIED: "待审核",
    FirmStatus.RETURNED: "退回补正",
    FirmStatus.ADMITTED: "已入库",
    FirmStatus.SUSPENDED: "暂停",
    FirmStatus.REMOVED: "已清出",
    FirmStatus.REJECTED: "不予入库",
}


TRANSITIONS: Mapping[FirmStatus, frozenset[FirmStatus]] = {
    FirmStatus.APPLIED: frozenset({FirmStatus.ADMITTED, FirmStatus.RETURNED, FirmStatus.REJECTED}),
    FirmStatus.RETURNED: frozenset({FirmStatus.APPLIED, FirmStatus.REJECTED}),
    FirmStatus.REJECTED: frozenset({FirmStatus.APPLIED}),
    FirmStatus.ADMITTED: frozenset({FirmStatus.SUSPENDED, FirmStatus.REMOVED}),
    # suspended → suspended: an administrator sets a new end (longer or shorter)
    FirmStatus.SUSPENDED: frozenset({FirmStatus.ADMITTED, FirmStatus.SUSPENDED, FirmStatus.REMOVED}),
    FirmStatus.REMOVED: frozenset(),
}

#: An administrator's decision on a firm (the API's ``decision`` field takes exactly these).
Decision = Literal["admit", "return", "reject", "suspend", "reinstate", "remove"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)

#: The status each decision moves the firm to.
DECISION_TARGETS: Mapping[Decision, FirmStatus] = {
    "admit": FirmStatus.ADMITTED,
    "return": FirmStatus.RETURNED,
    "reject": FirmStatus.REJECTED,
    "suspend": FirmStatus.SUSPENDED,
    "reinstate": FirmStatus.ADMITTED,
    "remove": FirmStatus.REMOVED,
}

#: A decision that takes something away must say why.
NEEDS_REASON = frozenset({FirmStatus.RETURNED, FirmStatus.REJECTED, FirmStatus.SUSPENDED, FirmStatus.REMOVED})

# the action each arrival is audited under (leaving a suspension is "firm:reinstated")
_ACTIONS: Mapping[FirmStatus, str] = {
    FirmStatus.ADMITTED: "firm:admitted",
    FirmStatus.RETURNED: "firm:returned",
    FirmStatus.REJECTED: "firm:rejected",
    FirmStatus.SUSPENDED: "firm:suspended",
    FirmStatus.REMOVED: "firm:removed",
    FirmStatus.APPLIED: "firm:resubmitted",
}

#: The reason written down when a suspension's end has passed.
LAPSE_REASON = "暂停期满"


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rules need to know of a firm: its stored status and, when suspended, the
    end of the suspension (``None``: until lifted)."""

    status: FirmStatus
    suspended_until: datetime | None = None

    def at(self, moment: datetime) -> FirmStatus:
        """The status that counts at ``moment``: a suspension whose end has passed is over
        (the lapse rule), whether or not anyone has written that down yet."""
        if self.lapsed(moment):
            return FirmStatus.ADMITTED
        return self.status

    def lapsed(self, moment: datetime) -> bool:
        """Whether this is a suspension whose end has come."""
        return (
            self.status is FirmStatus.SUSPENDED
            and self.suspended_until is not None
            and self.suspended_until <= moment
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A change the rules allow, as the service writes it down: the firm's new status and
    suspension end, the history row (from ``previous`` to ``to``, ``reason``) and the audit
    entry (``action``)."""

    previous: FirmStatus
    previous_until: datetime | None
    to: FirmStatus
    reason: str
    until: datetime | None
    action: str

    @property
    def approves_application(self) -> bool:
        """Admitting an applicant approves the licences of its application with it."""
        return self.previous is FirmStatus.APPLIED and self.to is FirmStatus.ADMITTED


def _change(standing: Standing, to: FirmStatus, reason: str, until: datetime | None) -> StatusChange:
    reinstated = standing.status is FirmStatus.SUSPENDED and to is FirmStatus.ADMITTED
    return StatusChange(
        previous=standing.status,
        previous_until=standing.suspended_until,
        to=to,
        reason=reason,
        until=until if to is FirmStatus.SUSPENDED else None,
        action="firm:reinstated" if reinstated else _ACTIONS[to],
    )


def transition(
    standing: Standing, to: FirmStatus, *, reason: str, now: datetime, until: datetime | None = None
) -> StatusChange:
    """Move a firm to ``to`` at ``now``, if the table allows it from the status that counts
    now; refusals name the current status, or the field to correct."""
    reason = reason.strip()
    current = standing.at(now)
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
        raise Conflict(
            f"a firm that is {current.value} cannot become {to.value}; from {current.value} it can become: "
            f"{allowed}",
            firm_status=current.value,
        )
    if to in NEEDS_REASON and not reason:
        raise InvalidInput(f"say why the firm is {to.value} (reason)", field="reason")
    if until is not None:
        if to is not FirmStatus.SUSPENDED:
            raise InvalidInput("only a suspension has an end (until)", field="until")
        if until <= now:
            raise InvalidInput("the suspension must end in the future", field="until")
    return _change(standing, to, reason, until)


def decide(
    standing: Standing, decision: Decision, *, reason: str, now: datetime, until: datetime | None = None
) -> StatusChange:
    """An administrator's decision. ``reinstate`` is only for a suspended firm (``admit``
    also ends a suspension, as the table allows)."""
    if decision == "reinstate" and standing.at(now) is not FirmStatus.SUSPENDED:
        raise InvalidInput("only a suspended firm can be reinstated", field="decision")
    return transition(standing, DECISION_TARGETS[decision], reason=reason, now=now, until=until)


def lapse(standing: Standing, now: datetime) -> StatusChange | None:
    """Writing down the end of a suspension that has run out: back to admitted, or
    ``None`` when there is nothing to write."""
    if not standing.lapsed(now):
        return None
    return _change(standing, FirmStatus.ADMITTED, LAPSE_REASON, None)


def misconduct_suspension(
    standing: Standing, *, until: datetime, reason: str, now: datetime
) -> StatusChange | None:
    """A severe misconduct suspends a firm of the pool until ``until``. It extends a shorter
    suspension already running but never shortens a longer one (or one without an end);
    a firm outside the pool (applied, returned, rejected, removed) has nothing to suspend.
    ``None``: nothing to change (the deduction of the misconduct stands regardless)."""
    current = standing.at(now)
    if current not in (FirmStatus.ADMITTED, FirmStatus.SUSPENDED):
        return None
    if current is FirmStatus.SUSPENDED and (
        standing.suspended_until is None or standing.suspended_until >= until
    ):
        return None
    return transition(standing, FirmStatus.SUSPENDED, reason=reason, now=now, until=until)
