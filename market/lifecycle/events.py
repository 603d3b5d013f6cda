"""What time will do to a procurement, computed from the procurement alone (no database, no
clock): ProZorro's chronograph.

:func:`events` lists the steps still ahead of a procurement, in the order they must run,
each with the time it falls due; :func:`next_check` is the earliest of them, stored on the
row (``procurement.next_check``) so that a scheduler only has to wake at that time and call
:func:`market.lifecycle.advance`. It is recomputed on every write of a procurement
(:func:`market.lifecycle.schedule.reschedule`), never copied into a service.

Only the steps the platform can take are listed: a step that nothing runs would keep the
procurement due forever. Two chains:

- a kind that takes bids (intermediary services): the bid deadline closes, opens and freezes;
  the selection time selects;
- a kind without bids (small works, a draw from the contractor pool): the pool is frozen
  ``pool_freeze_minutes`` before the reveal deadline (``pool_freeze_at``, from reference data),
  the selection time draws and offers the works to the drawn contractor, and while it is
  ``confirming`` the open offer lapses at ``offer_due_at`` (the next one is then asked).

After the selection (issue 13), for both: the result is awarded at ``publicity_ends_at``
unless an objection is open (then the award waits for its answer); a redraw after an upheld
objection freezes at ``redraw_freeze_at`` and selects at the (moved) selection time. Besides
the chain of its status, a procurement with an open time limit (an answer, a confirmation, an
acceptance, an evaluation owed) has it flagged overdue at ``limit_due_at``
(:mod:`market.award.limits`): that step changes no status, it lists the item for supervisors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from market.procurement.states import ProcurementStatus

Action = Literal["close_bidding", "open", "freeze", "select", "lapse_offer", "award", "flag_overdue"]
ACTIONS: tuple[Action, ...] = get_args(Action)

#: The time field each step falls due at: what an audit entry names as the rule.
RULES: Mapping[Action, str] = {
    "close_bidding": "bid_deadline",
    "open": "bid_deadline",
    "freeze": "bid_deadline",
    "select": "selection_time",
    "lapse_offer": "offer_due_at",
    "award": "publicity_ends_at",
    "flag_overdue": "limit_due_at",
}


def rule_of(p: ProcurementClock, action: Action) -> str:
    """The time field ``action`` fell due at for ``p`` (a pool's freeze and a reviewed
    procurement's freeze have their own)."""
    if action == "freeze" and p.status is ProcurementStatus.REDRAWING:
        return "redraw_freeze_at"
    if action == "freeze" and not p.takes_bids:
        return "pool_freeze_at"
    if action == "freeze" and p.review_deadline is not None:
        return "review_deadline"
    return RULES[action]


@dataclass(frozen=True, slots=True)
class ProcurementClock:
    """The part of a procurement its timeline depends on."""

    status: ProcurementStatus
    kind: str
    bid_deadline: datetime | None  # None: a kind without bids (publication enforces it)
    selection_time: datetime
    # scored methods with technical scores: the reviewers score until then, and the freeze waits
    review_deadline: datetime | None = None
    pool_freeze_at: datetime | None = None  # a kind without bids: when its pool is fixed
    offer_due_at: datetime | None = None  # confirming: when the open offer lapses
    publicity_ends_at: datetime | None = None  # selected: the result's publicity ends (award)
    objections_open: int = 0  # selected: while any objection is open the award waits
    limit_due_at: datetime | None = None  # the earliest open time limit not yet flagged overdue
    redraw_freeze_at: datetime | None = None  # redrawing: when the new round's inputs are fixed

    @property
    def takes_bids(self) -> bool:
        return self.bid_deadline is not None


def events(p: ProcurementClock) -> list[tuple[datetime, Action]]:
    """The steps still ahead of ``p``, in order: the first is the one its status allows now;
    each later one follows from the step before it. Empty when nothing is left to time.
    An open time limit's ``flag_overdue`` goes in at its time (it moves no status)."""
    chain = _status_events(p)
    if p.limit_due_at is None:
        return chain
    at = next((i for i, (due, _) in enumerate(chain) if due > p.limit_due_at), len(chain))
    return [*chain[:at], (p.limit_due_at, "flag_overdue"), *chain[at:]]


def _status_events(p: ProcurementClock) -> list[tuple[datetime, Action]]:
    after = _after_selection_events(p)
    if after is not None:
        return after
    if p.bid_deadline is None:
        return _pool_events(p)
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


def _after_selection_events(p: ProcurementClock) -> list[tuple[datetime, Action]] | None:
    """The chain of a selected or redrawn procurement (both kinds alike); None for the others."""
    if p.status is ProcurementStatus.SELECTED:
        if p.publicity_ends_at is None or p.objections_open > 0:
            return []
        return [(p.publicity_ends_at, "award")]
    if p.status is ProcurementStatus.REDRAWING:
        if p.redraw_freeze_at is None:
            return []
        return [(p.redraw_freeze_at, "freeze"), (max(p.selection_time, p.redraw_freeze_at), "select")]
    if p.status in _AFTER_AWARD:
        return []  # the parties act; only their time limits are timed
    return None


_AFTER_AWARD = frozenset(
    {
        ProcurementStatus.AWARDED,
        ProcurementStatus.CONTRACTED,
        ProcurementStatus.DELIVERED,
        ProcurementStatus.ACCEPTED,
        ProcurementStatus.EVALUATED,
    }
)


def _pool_events(p: ProcurementClock) -> list[tuple[datetime, Action]]:
    if p.status is ProcurementStatus.CONFIRMING:
        return [] if p.offer_due_at is None else [(p.offer_due_at, "lapse_offer")]
    if p.status is ProcurementStatus.FROZEN:
        return [(p.selection_time, "select")]
    if p.status is ProcurementStatus.PUBLISHED and p.pool_freeze_at is not None:
        return [(p.pool_freeze_at, "freeze"), (max(p.selection_time, p.pool_freeze_at), "select")]
    return []


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
