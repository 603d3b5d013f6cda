"""Small works' offers over HTTP: the drawn contractor's list of its own offers, its
confirmation or decline (确认 / 放弃), and a procurement's offer chain as the public sees it.

Each act is :mod:`market.draw.offers`'; refusals are MarketErrors mapped in web/errors.py:
another firm's offer is a 404 (a firm does not learn that another was asked), an answer
after the limit or a second answer a 409, an empty decline reason a 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from msgspec import Meta, Struct

from market.draw import offer_views, offers
from market.draw.offer_rules import CONFIRMED, DECLINED
from market.models import Role
from market.procurement import limits
from market.procurement.terms import procurement_terms_of
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id


class OfferOut(Struct):
    id: int
    procurement_id: int
    reference: str
    title: str
    round: int
    rank: int
    firm_name: str
    uscc: str
    offered_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None
    reason: str

    @classmethod
    def of(cls, line: offer_views.OfferLine) -> OfferOut:
        return cls(
            id=line.id,
            procurement_id=line.procurement_id,
            reference=line.reference,
            title=line.title,
            round=line.round,
            rank=line.rank,
            firm_name=line.firm_name,
            uscc=line.uscc,
            offered_at=line.offered_at,
            due_at=line.due_at,
            answer=line.answer,
            answered_at=line.answered_at,
            reason=line.reason,
        )


class OfferList(Struct):
    items: list[OfferOut]


class DeclineBody(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=limits.REASON, description="why the firm declines (放弃理由)")]


async def _answered(uow: Any, offer_id: int) -> OfferOut:
    await uow.session.flush()
    return OfferOut.of(await offer_views.offer_line(uow, offer_id))


class OfferController(Controller):
    path = "/api/offers"
    tags = ["offers"]
    guards = [requires(Role.CONTRACTOR)]

    @get(
        "/",
        summary="My firm's offers of small works (我的抽取通知)",
        description="The offers made to the signed-in contractor's firm after a draw, open ones "
        "first: each with its procurement, its rank in the draw, its limit and its answer.",
    )
    async def mine(self, uow: UoW, principal: CurrentPrincipal) -> OfferList:
        return OfferList([OfferOut.of(line) for line in await offer_views.firm_offers(uow, principal)])

    @post(
        "/{offer_id:int}/confirm",
        status_code=200,
        summary="Confirm an offer (确认承接)",
        description="Before its limit, once. The procurement is then selected with this firm.",
    )
    async def confirm(
        self, offer_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> OfferOut:
        terms = procurement_terms_of(app_state.settings)
        now = app_state.clock.now()
        await offers.answer(uow, actor, principal, offer_id, CONFIRMED, "", now, terms=terms)
        answer = await _answered(uow, offer_id)
        await uow.commit()
        return answer

    @post(
        "/{offer_id:int}/decline",
        status_code=200,
        summary="Decline an offer, saying why (放弃)",
        description="Before its limit, once, with a reason (1 to 500 characters). The works pass "
        "to the next alternate of the draw; with none left the procurement fails (流标).",
    )
    async def decline(
        self,
        offer_id: Id,
        data: JSONBody[DeclineBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> OfferOut:
        terms = procurement_terms_of(app_state.settings)
        now = app_state.clock.now()
        await offers.answer(uow, actor, principal, offer_id, DECLINED, data.reason, now, terms=terms)
        answer = await _answered(uow, offer_id)
        await uow.commit()
        return answer


class OfferChainController(Controller):
    path = "/api/procurements/{procurement_id:int}/offers"
    tags = ["offers"]

    @get(
        "/",
        opt=PUBLIC,
        summary="A small works' offer chain (抽取确认情况)",
        description="Public once drawn: each firm asked, in the draw's order, with its limit, "
        "its answer and when, and a decline's reason. Empty before the draw.",
    )
    async def chain(self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW) -> OfferList:
        lines = await offer_views.offer_chain(uow, signed_in_principal(request), procurement_id)
        return OfferList([OfferOut.of(line) for line in lines])
