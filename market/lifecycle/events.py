"""What time will do to a procurement, computed from the procurement alone (no database, no
clock): ProZorro's chronograph.

:func:`events` lists the steps still ahead of a procurement, in the order they must run,
each with the time it falls due; :func:`next_check` is the earliest of them, stored on the
row (``procurement.next_check``) so that a scheduler only has to wake at that time and call
:func:`market.lifecycle.advance`. It is recomputed on every write of a procurement
(:func:`market.lifecycle.schedule.reschedule`), never copied into a service.

Only the steps the platform can take are listed: a step that nothing runs would keep the
procurement due forever. This round that is the chain of an intermediary-service
procurement, the kind that takes bids; the small-works draw (a kind without bids) has no
step yet and so no next check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from market.procurement.states import ProcurementStatus

Action = Literal["close_bidding", "open", "freeze", "select"]
ACTIONS: tuple[Action, ...] = get_args(Action)

#: The time field each step falls due at: what an audit entry names as the rule.
RULES: Mapping[Action, str] = {
    "close_bidding": "bid_deadline",
    "open": "bid_deadline",
    "freeze": "bid_deadline",
    "select": "selection_time",
}


@dataclass(frozen=True, slots=True)
class ProcurementClock:
    """The part of a procurement its timeline depends on."""

    status: ProcurementStatus
    kind: str
    bid_deadline: datetime | None  # None: a kind without bids (publication enforces it)
    selection_time: datetime
    # scored methods with technical scores: the reviewers score until then, and the freeze waits
    review_deadline: datetime | None = None

    @property
    def takes_bids(self) -> bool:
        return self.bid_deadline is not None


def events(p: ProcurementClock) -> list[tuple[datetime, Action]]:
    """The steps still ahead of ``p``, in order: the first is the one its status allows now;
    each later one follows from the step before it. Empty when nothing is left to time."""
    if not p.takes_bids or p.bid_deadline is None:
        return []
    deadline = p.bid_deadline
    # the inputs are fixed right after the opening, before anyone reveals (draw-spec §3.2);
    # with a review step, once the reviewers' time is over
    freeze_at = max(p.review_deadline or deadline, deadline)
    chain: list[tuple[datetime, Action]] = [
        (deadline, "close_bidding"),
        (deadline, "open"),
        (freeze_at, "freeze"),
        (max(p.selection_time, freeze_at), "select"),
    ]
    first = _FIRST_STEP.get(p.status)
    if first is None:
        return []
    return chain[[action for _, action in chain].index(first) :]


# Where in the chain a status stands; a status without a step (draft, the final ones) has
# no entry.
_FIRST_STEP: Mapping[ProcurementStatus, Action] = {
    ProcurementStatus.PUBLISHED: "close_bidding",
    ProcurementStatus.BIDDING_CLOSED: "open",
    ProcurementStatus.OPENED: "freeze",
    ProcurementStatus.FROZEN: "select",
}


def rule_of(p: ProcurementClock, action: Action) -> str:
    """The time field ``action`` falls due at for ``p`` (what its audit entry names)."""
    if action == "freeze" and p.review_deadline is not None:
        return "review_deadline"
    return RULES[action]


def next_check(p: ProcurementClock) -> datetime | None:
    """When the lifecycle next has to look at ``p``: the earliest due time, or None when
    nothing is left (a draft, a final status)."""
    due = [at for at, _ in events(p)]
    return min(due) if due else None


def due_now(p: ProcurementClock, now: datetime) -> tuple[datetime, Action] | None:
    """The step to run at ``now``, or None when the next one is not yet due."""
    ahead = events(p)
    if ahead and ahead[0][0] <= now:
        return ahead[0]
    return None
