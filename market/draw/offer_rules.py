"""Who is offered a small works after the draw, until when, and which answers count.

Pure: plain data in, a decision or a refusal out (:mod:`market.draw.offers` loads and writes).
The order of offers is the selection record's: its winner first, then the alternates in the
order they were drawn; a decline or silence passes the works to the next, and when none is
left the procurement fails (流标) with ``no_contractor_confirmed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from market.calendar import WorkingCalendar
from market.clock import local
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.procurement import limits

CONFIRMED, DECLINED, LAPSED = "confirmed", "declined", "lapsed"
WITHDRAWN = "withdrawn"  # the procurement was cancelled while the offer was open
NONE_CONFIRMED = {"code": "no_contractor_confirmed"}


class OfferClosed(Conflict):
    """The offer cannot be answered any more: answered already, or its limit has passed."""

    code = "offer-closed"


@dataclass(frozen=True, slots=True)
class OfferState:
    """What the rules need of one offer."""

    id: int
    firm_id: int
    due_at: datetime
    answer: str | None


def order_of(winners: Sequence[str], alternates: Sequence[str]) -> list[str]:
    """The firms (USCC) in the order they are asked: winners, then alternates as drawn."""
    return [*winners, *alternates]


def next_rank(order: Sequence[str], asked: int) -> tuple[int, str] | None:
    """The rank (1-based) and firm to ask after ``asked`` offers, or None when none is left."""
    if asked >= len(order):
        return None
    return asked + 1, order[asked]


def due_at(offered_at: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    """An offer made at ``offered_at`` lapses at the same clock time ``working_days`` working
    days later (China's calendar: a Friday afternoon's offer runs to Monday afternoon)."""
    return calendar.add_working_days(offered_at, working_days)


def check_answer(offer: OfferState, firm_id: int | None, now: datetime, answer: str, reason: str) -> str:
    """Whether the user of firm ``firm_id`` may give ``answer`` to ``offer`` at ``now``; the
    decline reason, stripped. Refusals name the problem: a user of no firm (403), another
    firm's offer (404, as if unknown: it does not learn that it exists), lapsed (409 with the
    time), answered already (409), an empty or long reason (422)."""
    if firm_id is None:
        raise PermissionDenied("only the drawn contractor's users answer an offer (施工企业)")
    if offer.firm_id != firm_id:
        # 404, not 403: whether another firm was offered a works is not this firm's to learn
        raise not_found(offer.id)
    if offer.answer == LAPSED or (offer.answer is None and now >= offer.due_at):
        raise OfferClosed(
            f"the offer lapsed at {local(offer.due_at):%Y-%m-%d %H:%M} (China time); "
            "it can no longer be answered",
            due_at=offer.due_at.isoformat(),
        )
    if offer.answer == WITHDRAWN:
        raise OfferClosed(
            f"offer {offer.id} was withdrawn: the procurement was cancelled (已终止)", answer=offer.answer
        )
    if offer.answer is not None:
        raise OfferClosed(
            f"offer {offer.id} was {offer.answer} already; an offer is answered once", answer=offer.answer
        )
    reason = reason.strip()
    if answer == DECLINED and not reason:
        raise InvalidInput("say why the firm declines (放弃理由)", field="reason")
    if len(reason) > limits.REASON:
        raise InvalidInput(f"the reason is at most {limits.REASON} characters", field="reason")
    if answer not in (CONFIRMED, DECLINED):
        raise InvalidInput("an offer is confirmed or declined", field="answer")
    return reason


def lapsed(offer: OfferState, now: datetime) -> bool:
    """Whether the open ``offer`` has lapsed at ``now`` (silence until its limit)."""
    return offer.answer is None and now >= offer.due_at


def not_found(offer_id: int) -> NotFound:
    return NotFound(
        f"your firm has no offer {offer_id}; its offers are at GET /api/offers",
        offer_id=offer_id,
    )
