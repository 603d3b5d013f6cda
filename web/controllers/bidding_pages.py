"""The intermediary's (中介机构) pages for bidding: the procurements its firm may bid on and
why not, the bid form with its confirmation step, the receipt (回执), replacement,
withdrawal and re-confirmation after an amendment.

Secrecy (PLAN of issue 11, docs/sealed-bids.md): routes that submit carry no procurement in
their path (the procurement is a form field, the bid a form field or, for its receipt, the
path like ``/api/bids/{bid_id}``); pages that submit or show a bid are ``sealed``, so their
log line names neither user nor address. Only the firm's own users reach any of it: the
bid service answers another firm's bid as if it did not exist, and owners, supervisors and
administrators are refused by the role guard. Nothing is written except by the bid service;
a refusal is shown beside its field with what was typed, and nothing is committed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from contracts.amounts import amount_in_words
from market.bidding import service as bidding
from market.bidding.rules import implied_price, quote_reason
from market.errors import InvalidInput, MarketError, NotFound
from market.principal import Principal, Role
from market.procurement import listing
from market.procurement.listing import SearchFilters
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementKind, ProcurementTerms, QuoteMode, procurement_terms_of
from market.sealed.bids import Attachment, Quote
from web.auth import requires
from web.bidding_context import (
    amendment_view,
    avoidance_reason_of,
    bid_view,
    form_link,
    procurement_view,
    quote_params,
    receipt_link,
    refusal_of,
    refusal_status,
)
from web.bidding_views import (
    FieldError,
    attachment_limits,
    attachment_problem,
    china,
    quote_from_text,
    remaining,
    yuan,
)
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import INT64_MAX, Id, Page

SEALED = {"sealed": True}
FormId = Annotated[int, QueryParameter(ge=1, le=INT64_MAX, description="id")]
PER_PAGE = 20
AFTER_BIDDING = (ProcurementStatus.BIDDING_CLOSED, ProcurementStatus.OPENED, ProcurementStatus.CANCELLED)
#: Reasons that are the procurement's, not the firm's: said as such beside the form.
NOT_TAKING_BIDS = frozenset({"bidding-closed", "cancelled", "no-bids", "not-published"})


def _form_id(value: Any) -> int:
    """An id a form sent back; anything else means the page was not ours or is stale."""
    text = value if isinstance(value, str) else ""
    if not text.isdigit() or not 1 <= int(text) <= INT64_MAX:
        raise NotFound("the form names no procurement or bid; open it again from the list")
    return int(text)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _terms(app_state: Any) -> ProcurementTerms:
    return procurement_terms_of(app_state.settings)


class BiddingPages(Controller):
    """HTML for intermediaries' users; every page about a bid is its own firm's."""

    path = "/bidding"
    tags = ["bidding"]
    include_in_schema = False
    guards = [requires(Role.INTERMEDIARY)]

    @staticmethod
    def _page(app_state: Any, name: str, context: dict[str, Any], status_code: int = 200) -> Template:
        context = {"platform_name": app_state.settings.platform_name, **context}
        return Template(template_name=f"bidding/{name}", context=context, status_code=status_code)

    # -- the list -------------------------------------------------------------------------------
    @get("/", summary="Procurements my firm may bid on (可参与的采购项目)")
    async def list_page(self, principal: CurrentPrincipal, uow: UoW, app_state: State, page: Page = 1) -> Template:
        now = app_state.clock.now()
        terms = _terms(app_state)
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
        return self._page(
            app_state,
            "list.html",
            {
                "now_text": china(now),
                "open_rows": open_rows,
                "open_total": found.total,
                "past_rows": past_rows,
                "page": found.page,
                "pages": max(1, -(-found.total // PER_PAGE)),
            },
        )

    # -- the form ---------------------------------------------------------------------------------
    async def _form_context(
        self, uow: Any, app_state: Any, principal: Principal, procurement_id: int, now: datetime
    ) -> dict[str, Any]:
        terms = _terms(app_state)
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

    @get("/form", opt=SEALED, summary="The bid form of one procurement (报价)")
    async def form_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, procurement: FormId
    ) -> Template:
        context = await self._form_context(uow, app_state, principal, procurement, app_state.clock.now())
        return self._page(app_state, "form.html", context)

    async def _checked_quote(
        self, context: dict[str, Any], form: Any
    ) -> tuple[QuoteMode, Decimal] | FieldError:
        """The typed quote read and held to the procurement's terms, or the refusal."""
        draft = context["detail"].terms
        ready = context["readiness"]
        if not ready.may_bid:
            closed = next((r for r in ready.reasons if r.code in NOT_TAKING_BIDS), None)
            if closed is not None:
                params = {"deadline": context["p"].deadline, "cancel_reason": context["p"].cancel_reason}
                return FieldError("form", closed.code, params)
            return FieldError(
                "form", "bid-not-allowed", {"reasons": ready.reasons, "avoidance_reason": context["avoidance_reason"]}
            )
        try:
            mode = QuoteMode(_text(form.get("mode")))
        except ValueError:
            mode = draft.quote_mode or QuoteMode.AMOUNT
        value = quote_from_text(mode, _text(form.get("quote")))
        if isinstance(value, FieldError):
            return value
        reason = quote_reason(draft, Quote(mode=mode.value, value=value))
        if reason is not None:
            return FieldError("quote", reason.code, quote_params(draft, mode, value))
        return mode, value

    def _bid_field(self, context: dict[str, Any], form: Any) -> int | None:
        """The live bid the form replaces; a form made before the bid changed is stale."""
        if not form.get("bid"):
            if context["replacing"]:  # bid meanwhile from another window: replace, never a second
                raise InvalidInput("stale form", field="form")
            return None
        bid_id = _form_id(form.get("bid"))
        if not context["replacing"] or context["bid"].id != bid_id:
            raise InvalidInput("stale form", field="form")
        return bid_id

    @post("/review", opt=SEALED, status_code=200, summary="Check a quote before it is submitted (核对)")
    async def review(
        self, request: Request[Any, Any, Any], principal: CurrentPrincipal, uow: UoW, app_state: State
    ) -> Template:
        form = await request.form()
        procurement_id = _form_id(form.get("procurement"))
        context = await self._form_context(uow, app_state, principal, procurement_id, app_state.clock.now())
        context["form"] = {"quote": _text(form.get("quote"))}
        try:
            bid_id = self._bid_field(context, form)
        except InvalidInput:
            context["errors"] = [FieldError("form", "form-expired")]
            return self._page(app_state, "form.html", context, 409)
        if form.get("edit"):
            return self._page(app_state, "form.html", context)
        checked = await self._checked_quote(context, form)
        if isinstance(checked, FieldError):
            context["errors"] = [checked]
            return self._page(app_state, "form.html", context, 422 if checked.field == "quote" else 409)
        mode, value = checked
        return self._page(app_state, "confirm.html", {**context, **_confirmation(context, mode, value, bid_id)})

    @post("/submit", opt=SEALED, summary="Submit or replace a bid (确认提交)")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        now = app_state.clock.now()
        procurement_id = _form_id(form.get("procurement"))
        context = await self._form_context(uow, app_state, principal, procurement_id, now)
        context["form"] = {"quote": _text(form.get("quote"))}
        try:
            bid_id = self._bid_field(context, form)
        except InvalidInput:
            context["errors"] = [FieldError("form", "form-expired")]
            return self._page(app_state, "form.html", context, 409)
        checked = await self._checked_quote(context, form)
        if isinstance(checked, FieldError):
            context["errors"] = [checked]
            return self._page(app_state, "form.html", context, 422 if checked.field == "quote" else 409)
        mode, value = checked
        confirming = {**context, **_confirmation(context, mode, value, bid_id)}
        confirming["idempotency_key"] = _text(form.get("idempotency_key"))[:100] or confirming["idempotency_key"]
        files = await _attachments(form.getall("attachments") if "attachments" in form else [])
        problem = attachment_problem(context["limits"], files)
        if problem is not None:
            confirming["errors"] = [problem]
            return self._page(app_state, "confirm.html", confirming, 422)
        terms = _terms(app_state)
        options: dict[str, Any] = {
            "vocabulary": app_state.vocabulary,
            "terms": terms,
            "attachments": files,
            "idempotency_key": confirming["idempotency_key"],
            "request_body": _fingerprint(procurement_id, bid_id, mode, value, files),
        }
        quote = Quote(mode=mode.value, value=value)
        key = app_state.bid_key()
        try:
            if bid_id is None:
                receipt = await bidding.submit(uow, actor, principal, key, procurement_id, quote, now, **options)
            else:
                receipt = await bidding.replace(uow, actor, principal, key, bid_id, quote, now, **options)
        except MarketError as exc:
            if isinstance(exc, NotFound):
                raise
            error = refusal_of(
                exc,
                context["detail"].terms,
                mode,
                value,
                avoidance_reason=context["avoidance_reason"],
                cancel_reason=context["detail"].cancel_reason,
                submitting=bid_id is None,
            )
            if error.field == "attachments":
                confirming["errors"] = [error]
                return self._page(app_state, "confirm.html", confirming, refusal_status(exc))
            context["errors"] = [error]
            return self._page(app_state, "form.html", context, refusal_status(exc))
        await uow.commit()
        return Redirect(path=receipt_link(receipt.bid_id), status_code=303)

    # -- the receipt ------------------------------------------------------------------------------
    async def _receipt_context(
        self, uow: Any, app_state: Any, principal: Principal, bid_id: int
    ) -> dict[str, Any]:
        now = app_state.clock.now()
        receipt = await bidding.receipt(uow, principal, app_state.bid_key(), bid_id)
        detail = await listing.detail(uow, principal, receipt.procurement_id)
        p = procurement_view(detail, app_state.vocabulary, _terms(app_state), now)
        open_now = p.status is ProcurementStatus.PUBLISHED and p.left is not None and p.left.seconds > 0
        return {"detail": detail, "p": p, "bid": bid_view(receipt), "may_act": open_now, "errors": []}

    @get("/receipts/{bid_id:int}", opt=SEALED, summary="A bid's receipt (回执)")
    async def receipt_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid_id: Id
    ) -> Template:
        return self._page(app_state, "receipt.html", await self._receipt_context(uow, app_state, principal, bid_id))

    @get("/receipts/{bid_id:int}/download", opt=SEALED, summary="A bid's receipt as a file (下载回执)")
    async def receipt_file(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid_id: Id
    ) -> Template:
        context = await self._receipt_context(uow, app_state, principal, bid_id)
        bid = context["bid"]
        return Template(
            template_name="bidding/receipt.txt",
            context={"platform_name": app_state.settings.platform_name, **context},
            media_type="text/plain; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="bid-receipt-{bid.id}-v{bid.version}.txt"'
            },
        )

    # -- withdrawal and re-confirmation -----------------------------------------------------------
    @get("/withdraw", opt=SEALED, summary="Confirm withdrawing a bid (撤回报价)")
    async def withdraw_page(
        self, principal: CurrentPrincipal, uow: UoW, app_state: State, bid: FormId
    ) -> Template:
        return self._page(app_state, "withdraw.html", await self._receipt_context(uow, app_state, principal, bid))

    @post("/withdraw", opt=SEALED, summary="Withdraw a bid")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        bid_id = _form_id(form.get("bid"))
        return await self._act(uow, app_state, principal, actor, bid_id, "withdraw", form.get("confirmed") == "1")

    @post("/reconfirm", opt=SEALED, summary="Re-confirm a bid after an amendment (重新确认)")
    async def reconfirm(
        self,
        request: Request[Any, Any, Any],
        principal: CurrentPrincipal,
        actor: CurrentActor,
        uow: UoW,
        app_state: State,
    ) -> Template | Redirect:
        form = await request.form()
        bid_id = _form_id(form.get("bid"))
        return await self._act(uow, app_state, principal, actor, bid_id, "reconfirm", True)

    async def _act(
        self, uow: Any, app_state: Any, principal: Principal, actor: Any, bid_id: int, action: str, confirmed: bool
    ) -> Template | Redirect:
        page = "withdraw.html" if action == "withdraw" else "receipt.html"
        field = "bid" if action == "withdraw" else "reconfirm"
        if not confirmed:  # a withdrawal is asked twice: the page's own button says so
            return self._page(app_state, page, await self._receipt_context(uow, app_state, principal, bid_id))
        act = bidding.withdraw if action == "withdraw" else bidding.reconfirm
        try:
            await act(uow, actor, principal, app_state.bid_key(), bid_id, app_state.clock.now())
        except MarketError as exc:
            if isinstance(exc, NotFound):
                raise
            context = await self._receipt_context(uow, app_state, principal, bid_id)
            draft = context["detail"].terms
            error = refusal_of(exc, draft, QuoteMode.AMOUNT, None, cancel_reason=context["p"].cancel_reason)
            context["errors"] = [FieldError(field, error.code, error.params)]
            return self._page(app_state, page, context, refusal_status(exc))
        await uow.commit()
        return Redirect(path=receipt_link(bid_id), status_code=303)


def _confirmation(context: dict[str, Any], mode: QuoteMode, value: Decimal, bid_id: int | None) -> dict[str, Any]:
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


async def _attachments(chosen: list[Any]) -> list[Attachment]:
    files = []
    for item in chosen:
        if isinstance(item, UploadFile) and item.filename:
            files.append(Attachment(name=item.filename, content=await item.read()))
            await item.close()
    return files


def _fingerprint(
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
