"""Sealed bids over HTTP (中介机构 报价): submit, replace, withdraw, re-confirm, receipts, and
the opening list once the bids are opened.

No bid route carries a procurement id in its path (the procurement travels in the body or,
for "my bid on this procurement", in the query string, which is never logged), and every
one is marked ``sealed``: the request log leaves out the user and the client address, so
the access log cannot tie a user to a bid (web.observability).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody

from market.bidding import express, service
from market.bidding.opening_list import SealedUntilOpening, opening_list
from market.bidding.store import Receipt
from market.errors import NotFound
from market.models import Role
from market.procurement.terms import procurement_terms_of
from web.auth import SESSION_CHECKED_IN_WRITE, read_again, requires, session_digest, signed_in
from web.bid_schemas import (
    BID_BODY_BYTES,
    BidCreate,
    BidReplace,
    OpeningView,
    ProcurementQuery,
    ReceiptFile,
    ReceiptView,
)
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW, caller_of
from web.params import Id
from web.procurement_schemas import IdempotencyKey

SEALED = {"sealed": True}


class BidController(Controller):
    path = "/api/bids"
    tags = ["bids"]
    guards = [requires(Role.INTERMEDIARY)]
    opt = SEALED

    @post(
        "/",
        summary="Submit a sealed bid (提交报价)",
        description="Sealed at once under the procurement's key; nobody reads it before the "
        "opening. Refused with the reasons when the firm is not eligible now or is on the "
        "avoidance list (403), when it already has a live bid or bidding has closed (409), or "
        "when the quote breaks the ceiling, floor or quote mode (422).",
        request_max_body_size=BID_BODY_BYTES,
        status_code=201,
        opt=SESSION_CHECKED_IN_WRITE,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[BidCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> ReceiptView:
        target = data.procurement_id
        return await _take(request, target, data, idempotency_key, express.submit, service.submit)

    @get(
        "/",
        summary="My firm's bid on a procurement",
        description="The live bid, else the latest withdrawn one; 404 if the firm never bid.",
    )
    async def mine(
        self, procurement_id: ProcurementQuery, uow: UoW, principal: CurrentPrincipal, app_state: State
    ) -> ReceiptView:
        receipt = await service.my_bid(uow, principal, app_state.bid_key(), procurement_id)
        if receipt is None:
            raise NotFound(f"your firm has no bid on procurement {procurement_id}")
        return ReceiptView.of(receipt)

    @get("/{bid_id:int}", summary="A bid's receipt (回执)", description="Your firm's bids only.")
    async def get_receipt(
        self, bid_id: Id, uow: UoW, principal: CurrentPrincipal, app_state: State
    ) -> ReceiptView:
        return ReceiptView.of(await service.receipt(uow, principal, app_state.bid_key(), bid_id))

    @get(
        "/{bid_id:int}/receipt",
        summary="Download the receipt (下载回执)",
        description="The receipt as a JSON file, to keep.",
        media_type="application/json",
    )
    async def download_receipt(
        self, bid_id: Id, uow: UoW, principal: CurrentPrincipal, app_state: State
    ) -> Response[ReceiptFile]:
        receipt = await service.receipt(uow, principal, app_state.bid_key(), bid_id)
        name = f"bid-{receipt.bid_id}-v{receipt.version}-receipt.json"
        return Response(
            ReceiptFile.of(receipt),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @put(
        "/{bid_id:int}",
        summary="Replace the bid (修改报价)",
        description="A new version; earlier versions are kept. Also confirms the current terms.",
        request_max_body_size=BID_BODY_BYTES,
        opt=SESSION_CHECKED_IN_WRITE,
    )
    async def replace(
        self,
        request: Request[Any, Any, Any],
        bid_id: Id,
        data: JSONBody[BidReplace],
        idempotency_key: IdempotencyKey = None,
    ) -> ReceiptView:
        return await _take(request, bid_id, data, idempotency_key, express.replace, service.replace)

    @post("/{bid_id:int}/withdraw", summary="Withdraw the bid (撤回报价)", status_code=200)
    async def withdraw(
        self, bid_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> ReceiptView:
        receipt = await service.withdraw(
            uow, actor, principal, app_state.bid_key(), bid_id, app_state.clock.now()
        )
        await uow.commit()
        return ReceiptView.of(receipt)

    @post(
        "/{bid_id:int}/confirm",
        summary="Re-confirm the bid after an amendment (确认报价)",
        description="After an amendment bidders rely on, a bid counts only once re-confirmed "
        "(or replaced). The quote stays sealed: if the new ceiling or floor excludes it, replace it.",
        status_code=200,
    )
    async def confirm(
        self, bid_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> ReceiptView:
        receipt = await service.reconfirm(
            uow, actor, principal, app_state.bid_key(), bid_id, app_state.clock.now()
        )
        await uow.commit()
        return ReceiptView.of(receipt)


async def _take(
    request: Request[Any, Any, Any],
    target: int,
    data: BidCreate | BidReplace,
    idempotency_key: str | None,
    lane: Callable[..., Awaitable[Receipt | None]],
    through_service: Callable[..., Awaitable[Receipt]],
) -> ReceiptView:
    """A submission or a replacement (``target``: the procurement or the bid): the express
    lane's one statement when it can take the bid, else the service in a unit of work of its
    own, on the caller read again (the guard may have seen a principal read a moment ago)."""
    caller = caller_of(request)  # not as dependencies: see Caller
    app_state = caller.state
    quote, attachments, now = data.quote.quote(), data.files(), app_state.clock.now()
    terms = procurement_terms_of(app_state.settings)
    if idempotency_key is None and not attachments:
        # the usual bid, on a procurement this process has taken bids for: one statement
        done = await lane(
            app_state.database, caller.actor, caller.principal, app_state.bid_key(), target, quote, now,
            vocabulary=app_state.vocabulary, terms=terms, session=session_digest(request),
        )
        if done is not None:
            return ReceiptView.of(done)
    await read_again(request, Role.INTERMEDIARY)  # the service trusts its principal
    caller = caller_of(request)
    async with app_state.database.unit_of_work() as uow:
        receipt = await through_service(
            uow, caller.actor, caller.principal, app_state.bid_key(), target, quote, now,
            vocabulary=app_state.vocabulary, terms=terms, attachments=attachments,
            idempotency_key=idempotency_key, request_body=await request.body(),
        )
        await uow.commit()
    return ReceiptView.of(receipt)


class OpeningController(Controller):
    path = "/api/procurements"
    tags = ["bids"]
    guards = [signed_in]

    @get(
        "/{procurement_id:int}/opening",
        summary="The opening list (开标记录)",
        description="After the opening: the owner's organisation, the procurement's bidders, "
        "supervisors and administrators. Before it everyone is refused (403) and the attempt "
        "is written to the audit log.",
    )
    async def opening(
        self, procurement_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> OpeningView:
        try:
            found = await opening_list(uow, actor, principal, app_state.bid_key(), procurement_id)
        except SealedUntilOpening:
            await uow.commit()  # the refusal is audited: keep its entry
            raise
        return OpeningView.of(found)
