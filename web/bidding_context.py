"""The bidding pages' view of a procurement, of the firm's own bid and of its receipt, and
the bid service's refusals turned into :class:`~web.bidding_views.FieldError` for the page.

Built from :func:`market.procurement.listing.detail` (what anyone may read of a published
procurement) and the bid service's :class:`Receipt` (the firm's own bid only). Nothing
here reads another firm's bid: there is no function that could.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from litestar.datastructures import UploadFile

from contracts.amounts import amount_in_words
from market.bidding.rules import BiddingClosed, BidNotAllowed, QuoteRefused, Reason, implied_price
from market.bidding.service import Receipt
from market.errors import Conflict, InvalidInput, MarketError
from market.procurement.draft import DraftTerms
from market.procurement.listing import ProcurementDetail, VersionEntry
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms, QuoteMode
from market.registry.vocabulary import Vocabulary
from market.sealed.bids import Attachment
from web.bidding_views import (
    CHINA_SECONDS,
    BidState,
    FieldError,
    Remaining,
    bid_state,
    china,
    remaining,
    yuan,
)

PAGE_OF_PROCUREMENT = "/procurements/{id}"  # the public page (owner-pages)
AMENDMENTS_OF_PROCUREMENT = PAGE_OF_PROCUREMENT + "#amendments"  # its 变更公告


def form_link(procurement_id: int) -> str:
    # the procurement in the query string: access logs keep the path only (README, Operations)
    return f"/bidding/form?procurement={procurement_id}"


def receipt_link(bid_id: int) -> str:
    return f"/bidding/receipts/{bid_id}"


@dataclass(frozen=True, slots=True)
class ProcurementView:
    id: int
    title: str
    reference: str
    owner_name: str
    service_type: str
    division: str
    status: ProcurementStatus
    status_label: str
    ceiling: str
    floor: str
    quote_mode: str
    quote_mode_label: str
    most_rate: str  # the highest discount rate the floor allows, "" without a floor
    method: str
    deadline: str
    deadline_iso: str
    left: Remaining | None
    selection_time: str
    version: int  # the terms' version: 1 at publication, one more per amendment
    description: str
    page_link: str
    amendments_link: str
    form_link: str
    cancel_reason: str
    cancelled_at: str


def most_rate(terms: DraftTerms) -> Decimal | None:
    if terms.floor is None or terms.quote_mode is not QuoteMode.DISCOUNT_RATE:
        return None
    rate = (1 - terms.floor / terms.ceiling) * 100
    return rate.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def procurement_view(
    detail: ProcurementDetail, vocabulary: Vocabulary, terms: ProcurementTerms, now: datetime
) -> ProcurementView:
    summary, draft = detail.summary, detail.terms
    method = terms.of(draft.kind).method(draft.method, draft.variant)
    highest = most_rate(draft)
    return ProcurementView(
        id=summary.id,
        title=summary.title,
        reference=summary.reference or "",
        owner_name=summary.owner_name,
        service_type=vocabulary.service_types.name(draft.service_type) if draft.service_type else "",
        division=vocabulary.divisions.name(draft.division),
        status=summary.status,
        status_label=summary.status.label,
        ceiling=yuan(draft.ceiling),
        floor=yuan(draft.floor),
        quote_mode=draft.quote_mode.value if draft.quote_mode else "",
        quote_mode_label=draft.quote_mode.label if draft.quote_mode else "",
        most_rate=f"{highest}" if highest is not None else "",
        method=method.name if method else draft.method_code,
        deadline=china(draft.bid_deadline),
        deadline_iso=draft.bid_deadline.isoformat() if draft.bid_deadline else "",
        left=remaining(draft.bid_deadline, now),
        selection_time=china(draft.selection_time),
        version=max((v.sequence for v in detail.versions), default=1),
        description=draft.description,
        page_link=PAGE_OF_PROCUREMENT.format(id=summary.id),
        amendments_link=AMENDMENTS_OF_PROCUREMENT.format(id=summary.id),
        form_link=form_link(summary.id),
        cancel_reason=detail.cancel_reason,
        cancelled_at=china(detail.cancelled_at),
    )


@dataclass(frozen=True, slots=True)
class AmendmentView:
    """The amendment that asks bids to be re-confirmed, for the banner."""

    sequence: int
    published: str
    changed: list[str]  # field names; the template says them in Chinese
    reason: str


def amendment_view(detail: ProcurementDetail) -> AmendmentView | None:
    versions: tuple[VersionEntry, ...] = detail.versions
    entry = next((v for v in versions if v.sequence == detail.bids_valid_from), None)
    if entry is None or entry.sequence == 1:
        return None
    return AmendmentView(entry.sequence, china(entry.created_at), sorted(entry.diff), entry.reason)


@dataclass(frozen=True, slots=True)
class BidView:
    """The firm's own bid as its pages show it (never the quote: it is sealed)."""

    id: int
    version: int
    state: BidState
    submitted_at: str
    digest: str
    withdrawn_at: str
    receipt_link: str
    withdraw_link: str


def bid_view(receipt: Receipt) -> BidView:
    return BidView(
        id=receipt.bid_id,
        version=receipt.version,
        state=bid_state(receipt.withdrawn_at, receipt.counts),
        submitted_at=china(receipt.submitted_at, CHINA_SECONDS),
        digest=receipt.digest,
        withdrawn_at=china(receipt.withdrawn_at, CHINA_SECONDS),
        receipt_link=receipt_link(receipt.bid_id),
        withdraw_link=f"/bidding/withdraw?bid={receipt.bid_id}",
    )


# -- refusals ------------------------------------------------------------------------------------
def quote_params(draft: DraftTerms, mode: QuoteMode, value: Decimal) -> dict[str, object]:
    """What the quote's refusals say: the quote as typed, the limits, the price it comes to."""
    params: dict[str, object] = {
        "mode": mode.value,
        "ceiling": yuan(draft.ceiling),
        "floor": yuan(draft.floor),
        "wanted": draft.quote_mode.label if draft.quote_mode else "",
    }
    if mode is QuoteMode.DISCOUNT_RATE:
        params["quote"] = f"{value}%"
        params["price"] = yuan(implied_price(draft.ceiling, value).quantize(Decimal("0.01")))
        params["most_rate"] = most_rate(draft)
    else:
        params["quote"] = yuan(value)
    return params


def refusal_of(
    exc: MarketError,
    draft: DraftTerms,
    mode: QuoteMode,
    value: Decimal | None,
    *,
    avoidance_reason: str = "",
    cancel_reason: str = "",
    submitting: bool = False,
) -> FieldError:
    """The bid service's refusal as the page shows it beside a field. Its messages are for
    API clients; the codes it carries pick the page's Chinese sentence."""
    details = exc.details
    if isinstance(exc, QuoteRefused):
        params = quote_params(draft, mode, value) if value is not None else {}
        return FieldError("quote", str(details.get("reason", "quote-invalid")), params)
    if isinstance(exc, BiddingClosed):
        return FieldError(
            "form",
            str(details.get("reason", "bidding-closed")),
            {"deadline": china(draft.bid_deadline), "cancel_reason": cancel_reason},
        )
    if isinstance(exc, BidNotAllowed):
        return FieldError(
            "form", "bid-not-allowed", {"reasons": exc.reasons, "avoidance_reason": avoidance_reason}
        )
    if isinstance(exc, InvalidInput) and (exc.field or "").startswith("attachments"):
        return FieldError("attachments", "service", {"message": exc.message})
    if isinstance(exc, Conflict) and "bid_id" in details:
        # a second live bid (submitting), or acting on one that was withdrawn meanwhile
        return FieldError("form", "live-bid" if submitting else "withdrawn", {"bid_id": details["bid_id"]})
    return FieldError("form", "service", {"message": exc.message})



def avoidance_reason_of(draft: DraftTerms, uscc: str | None) -> str:
    """The owner's published reason for keeping the firm out (回避), if it is on the list."""
    if not uscc:
        return ""
    compact = uscc.replace(" ", "").upper()
    return next((a.reason for a in draft.avoidance if a.firm.replace(" ", "").upper() == compact), "")


def confirmation(
    context: dict[str, Any], mode: QuoteMode, value: Decimal, bid_id: int | None
) -> dict[str, Any]:
    """What the confirmation step shows: the quote in figures and in capital numerals (for a
    discount rate, the price it comes to), and a fresh Idempotency-Key so that a second
    click on 确认提交 gives the first receipt again instead of a second version."""
    draft = context["detail"].terms
    if mode is QuoteMode.DISCOUNT_RATE:
        price = implied_price(draft.ceiling, value).quantize(Decimal("0.01"))
        quote = {"figures": f"{value}%", "price": yuan(price), "words": amount_in_words(price)}
    else:
        quote = {"figures": yuan(value), "price": yuan(value), "words": amount_in_words(value)}
    return {"quote": quote, "bid_id": bid_id, "idempotency_key": secrets.token_urlsafe(18)}


async def attachments_of(chosen: list[Any]) -> list[Attachment]:
    files = []
    for item in chosen:
        if isinstance(item, UploadFile) and item.filename:
            files.append(Attachment(name=item.filename, content=await item.read()))
            await item.close()
    return files


def fingerprint(
    procurement_id: int, bid_id: int | None, mode: QuoteMode, value: Decimal, files: list[Attachment]
) -> bytes:
    """The request as the bid service's idempotency compares it (it keeps only an HMAC)."""
    body = {
        "procurement": procurement_id,
        "bid": bid_id,
        "mode": mode.value,
        "quote": format(value, "f"),
        "attachments": [[f.name, hashlib.sha256(f.content).hexdigest()] for f in files],
    }
    return json.dumps(body, sort_keys=True).encode()


__all__ = [
    "AmendmentView",
    "BidView",
    "ProcurementView",
    "Reason",
    "amendment_view",
    "attachments_of",
    "avoidance_reason_of",
    "bid_view",
    "confirmation",
    "fingerprint",
    "form_link",
    "procurement_view",
    "quote_params",
    "receipt_link",
    "refusal_of",
]
