"""What a bid must satisfy, as plain functions of the procurement's stored terms, its status
and the time: the quote against the ceiling, floor and quote mode, whether bidding is open,
the avoidance list (回避), the attachments. No database, no clock, no web.

The service calls the ``check_*`` functions, which raise; the opening calls the ``*_reason``
functions, which return a :class:`Reason` (or None) for a bid that no longer counts.

Secrecy: every message here speaks to the bidding firm about its own bid. None names
another firm or says how many bids there are; none repeats the quote (a message may reach a
log or a support ticket).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import contracts.uscc
from market.clock import local
from market.errors import Conflict, InvalidInput, PermissionDenied
from market.procurement.attachments import check_attachment
from market.procurement.draft import DraftTerms
from market.procurement.states import ProcurementStatus
from market.procurement.terms import AttachmentTerms, QuoteMode
from market.sealed.bids import Attachment, Quote

#: A discount rate (下浮率) is a percentage with at most this many decimal places (12.35 %).
RATE_PLACES = 2
#: An amount is in yuan with at most two places (fen).
AMOUNT_PLACES = 2
#: Most files one bid version carries, and most bytes together: a bid arrives in one JSON
#: request (base64), so its limit is tighter than a procurement's own files.
BID_MAX_FILES = 5
BID_MAX_TOTAL_BYTES = 20 * 1024 * 1024
#: Most characters of an attachment's name.
ATTACHMENT_NAME = 200

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a firm may not bid, or why a bid does not count: ``code`` is stable, ``message``
    is for the bidder."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class QuoteRefused(InvalidInput):
    """The quote breaks the procurement's terms (ceiling, floor, mode, precision)."""

    code = "quote-invalid"


class BiddingClosed(Conflict):
    """The procurement does not take bids now: not yet, no longer, or never."""

    code = "bidding-closed"


class BidNotAllowed(PermissionDenied):
    """The firm may not bid on this procurement: avoided (回避), or not eligible at
    submission; ``reasons`` lists every reason by code."""

    code = "bid-not-allowed"

    def __init__(self, reasons: Sequence[Reason]) -> None:
        if not reasons:
            raise ValueError("a refusal names at least one reason")
        codes = ", ".join(r.code for r in reasons)
        super().__init__(
            f"your firm may not bid on this procurement ({codes}): {reasons[0].message}",
            reasons=[r.as_dict() for r in reasons],
        )
        self.reasons = tuple(reasons)


# -- the quote ------------------------------------------------------------------------------
def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} yuan"


def implied_price(ceiling: Decimal, rate: Decimal) -> Decimal:
    """The price a discount rate stands for: ceiling × (1 − rate/100), exact."""
    return ceiling * (_HUNDRED - rate) / _HUNDRED


def quote_reason(draft: DraftTerms, quote: Quote) -> Reason | None:
    """None if ``quote`` fits the procurement's terms; otherwise what is wrong with it."""
    mode = draft.quote_mode
    if mode is None:
        return Reason("no-bids", "this procurement takes no bids: its firms are drawn from the pool")
    value = quote.value
    if quote.mode != mode.value:
        wanted = QuoteMode(mode).label
        return Reason("wrong-quote-mode", f"this procurement is quoted as {mode.value} ({wanted})")
    if not value.is_finite():
        return Reason("quote-not-a-number", "a quote is a decimal number")
    if mode is QuoteMode.AMOUNT:
        if value <= 0:
            return Reason("quote-not-positive", "an amount is above zero")
        if _places(value) > AMOUNT_PLACES:
            return Reason("quote-precision", "an amount has at most two decimal places (fen)")
        if value > draft.ceiling:
            ceiling = _yuan(draft.ceiling)
            return Reason("above-ceiling", f"the quote is above the ceiling (最高限价) of {ceiling}")
        if draft.floor is not None and value < draft.floor:
            return Reason("below-floor", f"the quote is below the floor (最低限价) of {_yuan(draft.floor)}")
        return None
    if value < 0 or value >= _HUNDRED:
        return Reason("rate-out-of-range", "a discount rate (下浮率) is at least 0 and below 100 (percent)")
    if _places(value) > RATE_PLACES:
        return Reason("quote-precision", f"a discount rate has at most {RATE_PLACES} decimal places")
    if draft.floor is not None and implied_price(draft.ceiling, value) < draft.floor:
        return Reason(
            "below-floor",
            f"the discount rate takes the price below the floor (最低限价) of {_yuan(draft.floor)} "
            f"(ceiling {_yuan(draft.ceiling)})",
        )
    return None


def check_quote(draft: DraftTerms, quote: Quote) -> None:
    reason = quote_reason(draft, quote)
    if reason is not None:
        raise QuoteRefused(reason.message, field="quote", reason=reason.code)


# -- is bidding open --------------------------------------------------------------------------
def _closed_at(deadline: datetime) -> str:
    return f"{local(deadline):%Y-%m-%d %H:%M:%S} (China time)"


def bidding_reason(
    status: ProcurementStatus,
    bid_deadline: datetime | None,
    now: datetime,
    *,
    takes_bids: bool,
    cancel_reason: str = "",
) -> Reason | None:
    """None while the procurement takes bids at ``now``: published, of a kind that takes
    bids, and strictly before its deadline (the server's clock decides; at the deadline
    itself bidding is closed)."""
    if not takes_bids or bid_deadline is None:
        return Reason("no-bids", "this procurement takes no bids: its firms are drawn from the pool")
    if status is ProcurementStatus.DRAFT:
        return Reason("not-published", "the procurement is not published")
    if status is ProcurementStatus.CANCELLED:
        why = f": {cancel_reason}" if cancel_reason else ""
        return Reason("cancelled", f"the procurement was cancelled (已终止){why}")
    if status is not ProcurementStatus.PUBLISHED or now >= bid_deadline:
        return Reason("bidding-closed", f"bidding closed at {_closed_at(bid_deadline)}")
    return None


def check_bidding_open(
    status: ProcurementStatus,
    bid_deadline: datetime | None,
    now: datetime,
    *,
    takes_bids: bool,
    cancel_reason: str = "",
) -> None:
    reason = bidding_reason(status, bid_deadline, now, takes_bids=takes_bids, cancel_reason=cancel_reason)
    if reason is not None:
        closed = bid_deadline.isoformat() if bid_deadline is not None else None
        raise BiddingClosed(
            reason.message, reason=reason.code, procurement_status=status.value, closed_at=closed
        )


# -- the avoidance list ----------------------------------------------------------------------
def avoidance_reason(draft: DraftTerms, uscc: str | None) -> Reason | None:
    """The owner's reason if the firm with ``uscc`` is on the avoidance list (回避)."""
    if not uscc:
        return None
    firm = contracts.uscc.compact(uscc)
    for entry in draft.avoidance:
        if contracts.uscc.compact(entry.firm) == firm:
            why = entry.reason
            return Reason("avoided", f"your firm is on this procurement's avoidance list (回避): {why}")
    return None


# -- attachments -----------------------------------------------------------------------------
def check_attachments(terms: AttachmentTerms, attachments: Sequence[Attachment]) -> None:
    """Types and sizes from reference data; a bid's own count and total (see the limits above)."""
    most_files = min(BID_MAX_FILES, terms.max_files)
    if len(attachments) > most_files:
        raise InvalidInput(f"a bid carries at most {most_files} files", field="attachments")
    total = 0
    for index, attachment in enumerate(attachments):
        where = f"attachments[{index}]"
        name = attachment.name.strip()
        if not name or len(name) > ATTACHMENT_NAME or not name.isprintable():
            raise InvalidInput(
                f"an attachment's name is 1 to {ATTACHMENT_NAME} printable characters", field=where
            )
        if not attachment.content:
            raise InvalidInput(f"{name!r} is empty", field=where)
        try:
            check_attachment(terms, name, attachment.content[:16], len(attachment.content))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field=where) from None
        total += len(attachment.content)
    most_bytes = min(BID_MAX_TOTAL_BYTES, terms.max_total_bytes)
    if total > most_bytes:
        raise InvalidInput(
            f"a bid's files together are at most {most_bytes} bytes ({total} given)", field="attachments"
        )


__all__ = [
    "BidNotAllowed",
    "BiddingClosed",
    "QuoteRefused",
    "Reason",
    "avoidance_reason",
    "bidding_reason",
    "check_attachments",
    "check_bidding_open",
    "check_quote",
    "implied_price",
    "quote_reason",
]
