"""Where a procurement is, and what may move it.

    draft ──publish──▶ published ──amend──▶ published (a new version)
      │  ╲
      │   close_bidding ▶ bidding_closed ──open──▶ opened ──freeze──▶ frozen ──select──▶ selected
      │                        │                    ╲─fail (too few bids) ╲──fail──▶ failed (流标)
      │  (no bids: small works) ──freeze (the pool)──▶ frozen ──offer──▶ confirming ──confirm──▶ selected
      │                          ╲─fail (too few firms)         pass (declined or lapsed: the next) ↺
      │                                                         ╲──fail (none left)──▶ failed
      └──cancel (any time before the selection or the confirmation, with a reason)──▶ cancelled

    After the selection (issue 13):

    selected (结果公示) ──award (publicity over, no objection open)──▶ awarded ──sign──▶ contracted
      │  ╲─void (an objection upheld)──▶ redrawing ──freeze──▶ frozen ──select──▶ selected …
      │  ╲─reassign (the next alternate takes the place: a new publicity) ↺
      ╲─fail (nobody left)       awarded ──reassign (a party did not confirm in time)──▶ selected
    contracted ──deliver──▶ delivered ──accept──▶ accepted ──evaluate──▶ evaluated
                               ╲──return (with reasons)──▶ contracted

Publish, amend and cancel have a service now (issue 11); closing, opening and the
selection belong to the lifecycle of the next issue and are in the table so that the
states are named once. Shaped like :mod:`market.registry.admission_rules`: the current
status, the action and the time in; a :class:`StatusChange` or a refusal out.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from market.clock import local
from market.errors import Conflict, InvalidInput
from market.procurement import limits


class ProcurementStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    BIDDING_CLOSED = "bidding_closed"
    OPENED = "opened"
    FROZEN = "frozen"  # the draw's inputs fixed (market-draw/2 freeze), before any reveal
    CONFIRMING = "confirming"  # small works: the drawn contractor is asked to confirm
    SELECTED = "selected"  # the result is published (结果公示); objections may be lodged
    REDRAWING = "redrawing"  # an objection was upheld: a new round draws from the inputs less the firm
    AWARDED = "awarded"  # publicity over: the selection notice issued, the contract to confirm
    CONTRACTED = "contracted"  # both parties confirmed the contract: the service or works under way
    DELIVERED = "delivered"  # the firm delivered its result (or reported completion): to accept
    ACCEPTED = "accepted"  # the owner accepted it: to evaluate
    EVALUATED = "evaluated"  # evaluated, the evaluation in the firm's credit: done
    FAILED = "failed"  # 流标: too few eligible firms or bids
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def public(self) -> bool:
        """Whether anyone besides the owner's organisation may see it."""
        return self is not ProcurementStatus.DRAFT


_LABELS: Mapping[ProcurementStatus, str] = {
    ProcurementStatus.DRAFT: "草稿",
    ProcurementStatus.PUBLISHED: "已发布",
    ProcurementStatus.BIDDING_CLOSED: "报价已截止",
    ProcurementStatus.OPENED: "已开标",
    ProcurementStatus.FROZEN: "已冻结",
    ProcurementStatus.CONFIRMING: "待确认",
    ProcurementStatus.SELECTED: "已选取",
    ProcurementStatus.REDRAWING: "重新选取中",
    ProcurementStatus.AWARDED: "已定标",
    ProcurementStatus.CONTRACTED: "履约中",
    ProcurementStatus.DELIVERED: "待验收",
    ProcurementStatus.ACCEPTED: "待评价",
    ProcurementStatus.EVALUATED: "已完成",
    ProcurementStatus.FAILED: "流标",
    ProcurementStatus.CANCELLED: "已终止",
}

Action = Literal[
    "publish",
    "amend",
    "cancel",
    "close_bidding",
    "open",
    "freeze",
    "select",
    "fail",
    "offer",
    "confirm",
    "pass",
    "select_directly",
    "award",
    "void",
    "reassign",
    "sign",
    "deliver",
    "accept",
    "return",
    "evaluate",
]
ACTIONS: tuple[Action, ...] = get_args(Action)

#: Per status, the actions allowed and where each leads.
TRANSITIONS: Mapping[ProcurementStatus, Mapping[Action, ProcurementStatus]] = {
    ProcurementStatus.DRAFT: {
        "publish": ProcurementStatus.PUBLISHED,
        # the attempt a supervisor's approval of direct selection makes (market.direct): it is
        # published with its selection at once, since nobody bids and nothing is drawn
        "select_directly": ProcurementStatus.SELECTED,
    },
    ProcurementStatus.PUBLISHED: {
        "amend": ProcurementStatus.PUBLISHED,
        "cancel": ProcurementStatus.CANCELLED,
        "close_bidding": ProcurementStatus.BIDDING_CLOSED,
        # a kind without bids fixes its pool of firms, or fails there with too few
        "freeze": ProcurementStatus.FROZEN,
        "fail": ProcurementStatus.FAILED,
    },
    ProcurementStatus.BIDDING_CLOSED: {
        "open": ProcurementStatus.OPENED,
        "cancel": ProcurementStatus.CANCELLED,
    },
    ProcurementStatus.OPENED: {
        "freeze": ProcurementStatus.FROZEN,
        # too few counted bids: fails at the freeze with its failure record
        "fail": ProcurementStatus.FAILED,
        "cancel": ProcurementStatus.CANCELLED,
    },
    ProcurementStatus.FROZEN: {
        "select": ProcurementStatus.SELECTED,
        # small works: the drawn contractor is offered the works first
        "offer": ProcurementStatus.CONFIRMING,
        "fail": ProcurementStatus.FAILED,
        "cancel": ProcurementStatus.CANCELLED,
    },
    ProcurementStatus.CONFIRMING: {
        "confirm": ProcurementStatus.SELECTED,
        "pass": ProcurementStatus.CONFIRMING,  # declined or lapsed: the next alternate is asked
        "fail": ProcurementStatus.FAILED,  # nobody left to ask
        "cancel": ProcurementStatus.CANCELLED,
    },
    ProcurementStatus.SELECTED: {
        "award": ProcurementStatus.AWARDED,  # the lifecycle, at the publicity's end
        "void": ProcurementStatus.REDRAWING,  # an upheld objection, when the rules redraw
        "reassign": ProcurementStatus.SELECTED,  # …or when the next alternate takes the place
        "fail": ProcurementStatus.FAILED,  # voided with nobody left to take the place
    },
    ProcurementStatus.REDRAWING: {
        "freeze": ProcurementStatus.FROZEN,
        "fail": ProcurementStatus.FAILED,
        "cancel": ProcurementStatus.CANCELLED,
    },
    ProcurementStatus.AWARDED: {
        "sign": ProcurementStatus.CONTRACTED,
        # a party did not confirm the contract in time: the owner awards the next alternate
        "reassign": ProcurementStatus.SELECTED,
        "fail": ProcurementStatus.FAILED,
    },
    ProcurementStatus.CONTRACTED: {"deliver": ProcurementStatus.DELIVERED},
    ProcurementStatus.DELIVERED: {
        "accept": ProcurementStatus.ACCEPTED,
        "return": ProcurementStatus.CONTRACTED,
    },
    ProcurementStatus.ACCEPTED: {"evaluate": ProcurementStatus.EVALUATED},
    ProcurementStatus.EVALUATED: {},
    ProcurementStatus.FAILED: {},
    ProcurementStatus.CANCELLED: {},
}

#: Actions that must say why (the reason is published with them).
NEEDS_REASON: frozenset[Action] = frozenset({"cancel", "amend"})

_AUDIT: Mapping[Action, str] = {
    "publish": "procurement:published",
    "amend": "procurement:amended",
    "cancel": "procurement:cancelled",
    "close_bidding": "procurement:bidding_closed",
    "open": "procurement:opened",
    "freeze": "procurement:frozen",
    "select": "procurement:selected",
    "fail": "procurement:failed",
    "offer": "procurement:offered",
    "confirm": "procurement:confirmed",
    "pass": "procurement:offered",  # to the next contractor; the answer is audited on the offer
    "select_directly": "procurement:selected",
    "award": "procurement:awarded",
    "void": "procurement:voided",
    "reassign": "procurement:reassigned",
    "sign": "procurement:contracted",
    "deliver": "procurement:delivered",
    "accept": "procurement:accepted",
    "return": "procurement:returned",
    "evaluate": "procurement:evaluated",
}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What the service writes down: the new status, the reason, the audit action."""

    previous: ProcurementStatus
    to: ProcurementStatus
    action: Action
    reason: str
    audit_action: str


def transition(
    status: ProcurementStatus,
    action: Action,
    *,
    now: datetime,
    closes_at: datetime | None = None,
    takes_bids: bool = True,
    reason: str = "",
) -> StatusChange:
    """Move a procurement in ``status`` by ``action`` at ``now``.

    ``closes_at`` is the procurement's bid deadline (or, without bids, its pool's freeze):
    an amendment at or after it is refused, since firms could no longer act on it.
    ``takes_bids`` tells the two paths out of ``published`` apart.
    """
    reason = reason.strip()
    allowed = TRANSITIONS[status]
    to = allowed.get(action)
    if to is not None and status is ProcurementStatus.PUBLISHED:
        # bids close before anything is drawn; without bids there is nothing to close
        if takes_bids and action in ("freeze", "fail"):
            to = None
        if not takes_bids and action == "close_bidding":
            to = None
    # with bids the winner is selected; from a pool the drawn contractor confirms first
    if status is ProcurementStatus.FROZEN and action == ("offer" if takes_bids else "select"):
        to = None
    if to is None:
        can = ", ".join(sorted(allowed)) or "nothing (final)"
        raise Conflict(
            f"a procurement that is {status.value} ({status.label}) cannot {action}; it can: {can}",
            procurement_status=status.value,
        )
    if action == "amend" and closes_at is not None and now >= closes_at:
        closed = "bidding closed" if takes_bids else "the contractor pool was fixed"
        raise Conflict(
            f"{closed} at {local(closes_at):%Y-%m-%d %H:%M}; the procurement can no longer be amended",
            procurement_status=status.value,
            closed_at=closes_at.isoformat(),
        )
    if action in NEEDS_REASON and not reason:
        raise InvalidInput(f"say why the procurement is to {action} (reason)", field="reason")
    if len(reason) > limits.REASON:
        raise InvalidInput(f"the reason is at most {limits.REASON} characters", field="reason")
    return StatusChange(status, to, action, reason, _AUDIT[action])
