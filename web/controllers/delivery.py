"""Delivery, acceptance and evaluation over HTTP (issue 13): the awarded firm's delivery
(multipart: files + note), the owner's acceptance, return and evaluation, the firm's
evaluations and its one objection, and the supervisors' list and decision.

Each act is :mod:`market.award.delivery`'s or :mod:`market.award.evaluation`'s; refusals are
MarketErrors mapped in web/errors.py: the wrong party 403, the wrong moment or a second time
409 naming the state, a bad score, text or file 422 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, KwargDefinition

from market.award import delivery, evaluation
from market.db import UnitOfWork
from market.errors import NotFound
from market.models import ProcurementEvaluation, Role
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in, signed_in_principal
from web.delivery_schemas import (
    DecisionBody,
    DeliveryList,
    DeliveryView,
    EvaluationBody,
    EvaluationList,
    EvaluationView,
    ObjectionBody,
    ReturnBody,
)
from web.delivery_views import lodged
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id

firms = requires(Role.INTERMEDIARY, Role.CONTRACTOR)
owners = requires(Role.OWNER)
supervisors = requires(Role.SUPERVISOR)


@dataclass
class DeliveryUpload:
    """The multipart form of a delivery."""

    # Any, not UploadFile: a text field, one file or several must all reach _lodged()
    files: Annotated[
        Any,
        KwargDefinition(
            description="the result files (成果文件), one or more: PDF, DOCX, XLSX or ZIP (limits in "
            "reference data); optional for small works",
            schema_extra={"type": "array", "items": {"type": "string", "format": "binary"}},
        ),
    ] = None
    note: Annotated[
        Any,
        KwargDefinition(description="交付说明; for small works the completion report (竣工报告), required"),
    ] = None


async def _delivery_view(
    uow: UnitOfWork, principal: Any, procurement_id: int, delivery_id: int
) -> DeliveryView:
    await uow.session.flush()
    lines = await delivery.deliveries(uow, principal, procurement_id)
    return DeliveryView.of(next(line for line in lines if line.delivery.id == delivery_id))


class DeliveryController(Controller):
    path = "/api/procurements/{procurement_id:int}"
    tags = ["delivery"]

    @post(
        "/deliveries",
        guards=[firms],
        status_code=201,
        summary="Deliver the service result or report completion (交付成果 / 竣工)",
        description="By the awarded firm while the procurement is contracted (履约中). Multipart: "
        "'files' (one or more; at least one for an intermediary service) and 'note' (required for "
        "small works: the completion report). Files are checked like attachments (type by "
        "extension and first bytes, sizes) and kept with their SHA-256. The owner then owes the "
        "acceptance within the configured working days.",
    )
    async def deliver(
        self,
        procurement_id: Id,
        data: Annotated[DeliveryUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DeliveryView:
        terms = procurement_terms_of(app_state.settings)
        files = await lodged(data.files, terms.attachments)
        note = data.note if isinstance(data.note, str) else ""
        made = await delivery.deliver(
            uow,
            actor,
            principal,
            procurement_id,
            note=note,
            files=files,
            now=app_state.clock.now(),
            terms=terms,
        )
        answer = await _delivery_view(uow, principal, procurement_id, made.id)
        await uow.commit()
        return answer

    @get(
        "/deliveries",
        guards=[signed_in],
        summary="A procurement's deliveries (交付记录), latest first",
        description="The two parties' and the officials': each delivery with its files' SHA-256, "
        "its due time (the contract's end), and the owner's decision.",
    )
    async def deliveries(self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW) -> DeliveryList:
        lines = await delivery.deliveries(uow, signed_in_principal(request), procurement_id)
        return DeliveryList([DeliveryView.of(line) for line in lines])

    @post(
        "/evaluation",
        guards=[owners],
        status_code=201,
        summary="Evaluate the accepted service or works (服务评价)",
        description="By the owner's organisation, once, after the acceptance: a score 1–5 for every "
        "criterion of the reference data and a comment. The rating (the mean, rounded half up) and "
        "the punctuality go to the firm's credit by the registry's credit policy.",
    )
    async def evaluate(
        self,
        procurement_id: Id,
        data: JSONBody[EvaluationBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> EvaluationView:
        terms = procurement_terms_of(app_state.settings)
        await evaluation.evaluate(
            uow, actor, principal, procurement_id, scores=data.scores, comment=data.comment,
            now=app_state.clock.now(), terms=terms, policy_=app_state.vocabulary.credit,
        )  # fmt: skip
        await uow.session.flush()
        line = await evaluation.evaluation_of(uow, principal, procurement_id, terms)
        assert line is not None
        await uow.commit()
        return EvaluationView.of(line)

    @get(
        "/evaluation",
        guards=[signed_in],
        summary="A procurement's evaluation (服务评价)",
        description="The two parties' and the officials'; 404 before the evaluation.",
    )
    async def evaluation(
        self, request: Request[Any, Any, Any], procurement_id: Id, uow: UoW, app_state: State
    ) -> EvaluationView:
        terms = procurement_terms_of(app_state.settings)
        line = await evaluation.evaluation_of(uow, signed_in_principal(request), procurement_id, terms)
        if line is None:
            raise NotFound(f"procurement {procurement_id} has not been evaluated yet")
        return EvaluationView.of(line)


class AcceptanceController(Controller):
    path = "/api/deliveries/{delivery_id:int}"
    tags = ["delivery"]
    guards = [owners]

    @post(
        "/accept",
        status_code=200,
        summary="Accept a delivery (验收通过)",
        description="By the owner's organisation, once; the evaluation is then owed.",
    )
    async def accept(
        self, delivery_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> DeliveryView:
        terms = procurement_terms_of(app_state.settings)
        found = await delivery.accept(
            uow, actor, principal, delivery_id, now=app_state.clock.now(), terms=terms
        )
        answer = await _delivery_view(uow, principal, found.procurement_id, found.id)
        await uow.commit()
        return answer

    @post(
        "/return",
        status_code=200,
        summary="Return a delivery with reasons (退回)",
        description="By the owner's organisation, once, with its reasons; the firm delivers again.",
    )
    async def return_it(
        self,
        delivery_id: Id,
        data: JSONBody[ReturnBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DeliveryView:
        found = await delivery.return_delivery(
            uow, actor, principal, delivery_id, reason=data.reason, now=app_state.clock.now()
        )
        answer = await _delivery_view(uow, principal, found.procurement_id, found.id)
        await uow.commit()
        return answer


async def _evaluation_view(
    uow: UnitOfWork, principal: Any, evaluation_id: int, app_state: Any
) -> EvaluationView:
    await uow.session.flush()
    found = await uow.session.get(ProcurementEvaluation, evaluation_id)
    assert found is not None
    line = await evaluation.evaluation_of(
        uow, principal, found.procurement_id, procurement_terms_of(app_state.settings)
    )
    assert line is not None
    return EvaluationView.of(line)


class EvaluationController(Controller):
    path = "/api"
    tags = ["delivery"]

    @get(
        "/my/evaluations",
        guards=[firms],
        summary="My firm's evaluations (我的服务评价)",
        description="Latest first, each with its scores, what it did to the credit, and the "
        "objection: until when it may be made, and its decision.",
    )
    async def mine(self, uow: UoW, principal: CurrentPrincipal, app_state: State) -> EvaluationList:
        lines = await evaluation.firm_evaluations(uow, principal, procurement_terms_of(app_state.settings))
        return EvaluationList([EvaluationView.of(line) for line in lines])

    @post(
        "/evaluations/{evaluation_id:int}/objection",
        guards=[firms],
        status_code=200,
        summary="Object to an evaluation (评价异议)",
        description="By the evaluated firm, once, within the configured working days, with grounds; "
        "a supervisor then decides.",
    )
    async def object_to(
        self,
        evaluation_id: Id,
        data: JSONBody[ObjectionBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> EvaluationView:
        terms = procurement_terms_of(app_state.settings)
        await evaluation.object_to(
            uow, actor, principal, evaluation_id, grounds=data.grounds, now=app_state.clock.now(), terms=terms
        )
        answer = await _evaluation_view(uow, principal, evaluation_id, app_state)
        await uow.commit()
        return answer

    @post(
        "/evaluations/{evaluation_id:int}/decision",
        guards=[supervisors],
        status_code=200,
        summary="Decide a firm's objection to its evaluation (评价异议处理)",
        description="By a supervisor outside the owner's organisation, once: upheld annuls the "
        "evaluation and takes its credit effect back; dismissed (with a note) leaves it.",
    )
    async def decide(
        self,
        evaluation_id: Id,
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> EvaluationView:
        await evaluation.decide(
            uow,
            actor,
            principal,
            evaluation_id,
            decision=data.decision,
            note=data.note,
            now=app_state.clock.now(),
        )
        answer = await _evaluation_view(uow, principal, evaluation_id, app_state)
        await uow.commit()
        return answer

    @get(
        "/supervision/evaluations",
        guards=[supervisors],
        summary="Objections to evaluations (评价异议), undecided first",
    )
    async def objections(self, uow: UoW, principal: CurrentPrincipal, app_state: State) -> EvaluationList:
        lines = await evaluation.objections(uow, principal, procurement_terms_of(app_state.settings))
        return EvaluationList([EvaluationView.of(line) for line in lines])
