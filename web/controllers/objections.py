"""Objections (质疑) and complaints (投诉) over HTTP, and the files lodged with them.

Each act is :mod:`market.award.objections`'; the lists are :mod:`market.award.objection_views`'.
Refusals are MarketErrors with a reason (403 the wrong party, 409 the wrong moment or a
second time, 422 bad text or files), nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from market.award import objection_views, objections
from market.models import Role
from market.procurement.terms import procurement_terms_of
from web.auth import PUBLIC, requires, signed_in_principal
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.objection_schemas import (
    AnswerBody,
    CaseForm,
    DecisionBody,
    ObjectionList,
    ObjectionOut,
    disposition,
    grounds_of,
    uploads,
)
from web.params import Id

firms = requires(Role.INTERMEDIARY, Role.CONTRACTOR)
officials = requires(Role.SUPERVISOR, Role.ADMIN)
Multipart = Body(media_type=RequestEncodingType.MULTI_PART)


class ObjectionController(Controller):
    path = "/api"
    tags = ["objections"]

    @post(
        "/procurements/{procurement_id:int}/objections",
        guards=[firms],
        status_code=201,
        summary="Object to a published result (提出质疑)",
        description="Multipart: 'grounds' (required, at most 4000 characters) and any number of "
        "'files' (evidence; types and sizes from reference data). Only a respondent of the round "
        "(a counted bid, or a firm of the drawn pool), not the winner, while the result is "
        "published; one per firm and result (409 the second). The award waits for the answer.",
    )
    async def lodge(
        self,
        procurement_id: Id,
        data: Annotated[CaseForm, Multipart],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ObjectionOut:
        terms = procurement_terms_of(app_state.settings)
        files = await uploads(data, terms.attachments.max_bytes)
        made = await objections.lodge(
            uow, actor, principal, procurement_id, grounds_of(data), files, app_state.clock.now(), terms=terms
        )
        answer = ObjectionOut.of(await objection_views.one(uow, principal, made.id))
        await uow.commit()
        return answer

    @get(
        "/procurements/{procurement_id:int}/objections",
        guards=[requires(Role.OWNER, Role.SUPERVISOR, Role.ADMIN)],
        summary="A procurement's objections (for its owner's organisation and officials)",
    )
    async def of_procurement(
        self, procurement_id: Id, uow: UoW, principal: CurrentPrincipal
    ) -> ObjectionList:
        _, lines = await objection_views.of_procurement(uow, principal, procurement_id)
        return ObjectionList([ObjectionOut.of(line) for line in lines])

    @get("/my/objections", guards=[firms], summary="My firm's objections (我的质疑)")
    async def mine(self, uow: UoW, principal: CurrentPrincipal) -> ObjectionList:
        return ObjectionList([ObjectionOut.of(line) for line in await objection_views.mine(uow, principal)])

    @get(
        "/supervision/objections",
        guards=[officials],
        summary="Objections owed an answer and complaints owed a decision (监督)",
    )
    async def supervision(self, uow: UoW, principal: CurrentPrincipal) -> ObjectionList:
        lines = await objection_views.supervision(uow, principal)
        return ObjectionList([ObjectionOut.of(line) for line in lines])

    @get(
        "/objections/{objection_id:int}",
        opt=PUBLIC,
        summary="One objection",
        description="For the objector's firm, the owner's organisation, supervisors and "
        "administrators; a 404 for anyone else.",
    )
    async def one(self, request: Request[Any, Any, Any], objection_id: Id, uow: UoW) -> ObjectionOut:
        return ObjectionOut.of(await objection_views.one(uow, signed_in_principal(request), objection_id))

    @post(
        "/objections/{objection_id:int}/answer",
        guards=[requires(Role.OWNER)],
        status_code=200,
        summary="The owner's answer (质疑答复)",
        description="By the owner's organisation only, once. Dismissed: the objector may complain "
        "and the publicity is extended to keep it the days to (公示期顺延). Upheld: the result is "
        "void — a new round is drawn without the firm, or the next alternate takes the place, as "
        "the reference data say for the kind.",
    )
    async def answer(
        self,
        objection_id: Id,
        data: JSONBody[AnswerBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ObjectionOut:
        await objections.answer(
            uow,
            actor,
            principal,
            app_state.bid_key(),
            objection_id,
            data.decision,
            data.answer,
            app_state.clock.now(),
            terms=procurement_terms_of(app_state.settings),
        )
        answer = ObjectionOut.of(await objection_views.one(uow, principal, objection_id))
        await uow.commit()
        return answer

    @post(
        "/objections/{objection_id:int}/complaint",
        guards=[firms],
        status_code=200,
        summary="Complain to a supervisor (投诉)",
        description="Multipart 'grounds' and 'files', by the objector after the owner dismissed "
        "its objection, before the award; once.",
    )
    async def complaint(
        self,
        objection_id: Id,
        data: Annotated[CaseForm, Multipart],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ObjectionOut:
        terms = procurement_terms_of(app_state.settings)
        files = await uploads(data, terms.attachments.max_bytes)
        await objections.complain(
            uow, actor, principal, objection_id, grounds_of(data), files, app_state.clock.now(), terms=terms
        )
        answer = ObjectionOut.of(await objection_views.one(uow, principal, objection_id))
        await uow.commit()
        return answer

    @post(
        "/objections/{objection_id:int}/decision",
        guards=[requires(Role.SUPERVISOR)],
        status_code=200,
        summary="A supervisor decides a complaint (投诉处理)",
        description="By a supervisor not of the owner's organisation, once. Upheld voids the "
        "result as an upheld answer does.",
    )
    async def decision(
        self,
        objection_id: Id,
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ObjectionOut:
        await objections.decide(
            uow,
            actor,
            principal,
            app_state.bid_key(),
            objection_id,
            data.decision,
            data.note,
            app_state.clock.now(),
            terms=procurement_terms_of(app_state.settings),
        )
        answer = ObjectionOut.of(await objection_views.one(uow, principal, objection_id))
        await uow.commit()
        return answer

    @get(
        "/case-files/{file_id:int}",
        opt=PUBLIC,
        media_type="application/octet-stream",
        summary="Download a file lodged with an objection, a complaint or a delivery",
        description="For those who may read its subject (the firm concerned, the owner's "
        "organisation, officials); a 404 for anyone else. X-Content-SHA256 is the stored hash.",
    )
    async def case_file(self, request: Request[Any, Any, Any], file_id: Id, uow: UoW) -> Response[bytes]:
        found = await objection_views.readable_file(uow, signed_in_principal(request), file_id)
        return Response(
            found.content,
            media_type=found.entry.media_type,
            headers={
                "Content-Disposition": disposition(found.entry.id, found.entry.name),
                "X-Content-SHA256": found.entry.sha256,
                "X-Content-Type-Options": "nosniff",
            },
        )
