"""What the bidding pages (web.controllers.bidding_pages) put on a page, gathered from the
listing and the bid service: the list with each procurement's readiness and the firm's own
bid, the form's context, the receipt's, and the typed quote held to the procurement's terms.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from market.bidding import service as bidding
from market.bidding.rules import quote_reason
from market.errors import InvalidInput, NotFound
from market.principal import Principal
from market.procurement import listing
from market.procurement.listing import SearchFilters
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, ProcurementTerms, QuoteMode, procurement_terms_of
from market.sealed.bids import Quote
from web.bidding_context import (
    amendment_view,
    avoidance_reason_of,
    bid_view,
    form_link,
    procurement_view,
    quote_params,
)
from web.bidding_views import FieldError, attachment_limits, china, quote_from_text, remaining, yuan
from web.params import INT64_MAX

PER_PAGE = 20
AFTER_BIDDING = (
    ProcurementStatus.BIDDING_CLOSED,
    ProcurementStatus.OPENED,
    ProcurementStatus.FROZEN,
    ProcurementStatus.CANCELLED,
)
#: Reasons that are the procurement's, not the firm's: said as such beside the form.
NOT_TAKING_BIDS = frozenset({"bidding-closed", "cancelled", "no-bids", "not-published"})


def form_id(value: Any) -> int:
    """An id a form sent back; anything else means the page was not ours or is stale."""
    text = value if isinstance(value, str) else ""
    if not text.isdigit() or not 1 <= int(text) <= INT64_MAX:
        raise NotFound("the form names no procurement or bid; open it again from the list")
    return int(text)


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def terms_of(app_state: Any) -> ProcurementTerms:
    return procurement_terms_of(app_state.settings)


async def list_context(uow: Any, app_state: Any, principal: Principal, page: int) -> dict[str, Any]:
    """The list: published procurements with the firm's readiness and own bid, then those
    past bidding on which the firm bid (so that it reads a cancellation and its reason)."""
    now = app_state.clock.now()
    terms = terms_of(app_state)
    key = app_state.bid_key()
    kind = ProcurementKind.INTERMEDIARY_SERVICE
    found = await listing.search_public(
        uow, SearchFilters(kind=kind, status=ProcurementStatus.PUBLISHED), page=page, per_page=PER_PAGE
    )
    open_rows = []
    for summary in found.items:
        ready = await bidding.bid_readiness(
            uow, principal, app_state.vocabulary, summary.id, now, terms=terms
        )
        avoided = ""
        if any(r.code == "avoided" for r in ready.reasons):
            detail = await listing.detail(uow, principal, summary.id)
            avoided = avoidance_reason_of(detail.terms, principal.organisation_uscc)
        mine = await bidding.my_bid(uow, principal, key, summary.id)
        open_rows.append(
            {
                "id": summary.id,
                "title": summary.title,
                "reference": summary.reference,
                "owner_name": summary.owner_name,
                "division": app_state.vocabulary.divisions.name(summary.division_code),
                "service_type": app_state.vocabulary.service_types.name(summary.service_type or ""),
                "ceiling": yuan(summary.ceiling),
                "quote_mode": summary.quote_mode.label if summary.quote_mode else "",
                "deadline": china(summary.bid_deadline),
                "left": remaining(summary.bid_deadline, now),
                "readiness": ready,
                "avoidance_reason": avoided,
                "bid": bid_view(mine) if mine else None,
                "form_link": form_link(summary.id),
            }
        )
    past_rows = []
    for status in AFTER_BIDDING:
        after = await listing.search_public(uow, SearchFilters(kind=kind, status=status), per_page=PER_PAGE)
        for summary in after.items:
            mine = await bidding.my_bid(uow, principal, key, summary.id)
            if mine is None:
                continue
            past_rows.append(
                {
                    "id": summary.id,
                    "title": summary.title,
                    "reference": summary.reference,
                    "owner_name": summary.owner_name,
                    "status": status.label,
                    "cancel_reason": mine.cancel_reason,
                    "bid": bid_view(mine),
                }
            )
    return {
        "now_text": china(now),
        "open_rows": open_rows,
        "open_total": found.total,
        "past_rows": past_rows,
        "page": found.page,
        "pages": max(1, -(-found.total // PER_PAGE)),
    }


async def form_context(
    uow: Any, app_state: Any, principal: Principal, procurement_id: int, now: datetime
) -> dict[str, Any]:
    terms = terms_of(app_state)
    detail = await listing.detail(uow, principal, procurement_id)
    ready = await bidding.bid_readiness(
        uow, principal, app_state.vocabulary, procurement_id, now, terms=terms
    )
    mine = await bidding.my_bid(uow, principal, app_state.bid_key(), procurement_id)
    bid = bid_view(mine) if mine else None
    return {
        "detail": detail,
        "p": procurement_view(detail, app_state.vocabulary, terms, now),
        "readiness": ready,
        "avoidance_reason": avoidance_reason_of(detail.terms, principal.organisation_uscc),
        "bid": bid,
        "replacing": bid is not None and bid.state != "withdrawn",
        "amendment": amendment_view(detail) if bid and bid.state == "to_reconfirm" else None,
        "limits": attachment_limits(terms.attachments),
        "form": {"quote": ""},
        "errors": [],
    }


def checked_quote(context: dict[str, Any], form: Any) -> tuple[QuoteMode, Decimal] | FieldError:
    """The typed quote read and held to the procurement's terms, or the refusal."""
    draft = context["detail"].terms
    ready = context["readiness"]
    if not ready.may_bid:
        closed = next((r for r in ready.reasons if r.code in NOT_TAKING_BIDS), None)
        if closed is not None:
            params = {"deadline": context["p"].deadline, "cancel_reason": context["p"].cancel_reason}
            return FieldError("form", closed.code, params)
        return FieldError(
            "form",
            "bid-not-allowed",
            {"reasons": ready.reasons, "avoidance_reason": context["avoidance_reason"]},
        )
    try:
        mode = QuoteMode(text_of(form.get("mode")))
    except ValueError:
        mode = draft.quote_mode or QuoteMode.AMOUNT
    value = quote_from_text(mode, text_of(form.get("quote")))
    if isinstance(value, FieldError):
        return value
    reason = quote_reason(draft, Quote(mode=mode.value, value=value))
    if reason is not None:
        return FieldError("quote", reason.code, quote_params(draft, mode, value))
    return mode, value


def bid_field(context: dict[str, Any], form: Any) -> int | None:
    """The live bid the form replaces; a form made before the bid changed is stale."""
    if not form.get("bid"):
        if context["replacing"]:  # bid meanwhile from another window: replace, never a second
            raise InvalidInput("stale form", field="form")
        return None
    bid_id = form_id(form.get("bid"))
    if not context["replacing"] or context["bid"].id != bid_id:
        raise InvalidInput("stale form", field="form")
    return bid_id


async def receipt_context(uow: Any, app_state: Any, principal: Principal, bid_id: int) -> dict[str, Any]:
    now = app_state.clock.now()
    receipt = await bidding.receipt(uow, principal, app_state.bid_key(), bid_id)
    detail = await listing.detail(uow, principal, receipt.procurement_id)
    p = procurement_view(detail, app_state.vocabulary, terms_of(app_state), now)
    open_now = p.status is ProcurementStatus.PUBLISHED and p.left is not None and p.left.seconds > 0
    return {"detail": detail, "p": p, "bid": bid_view(receipt), "may_act": open_now, "errors": []}
