"""流标 and after, over HTTP: the owner re-publishes a failed procurement as its next attempt,
or — after the configured number of failed attempts — asks for direct selection of one firm,
which a supervisor approves or rejects.

Each act is a service's (:mod:`market.procurement.republish`, :mod:`market.direct.service`);
a refusal is a MarketError with its reason, mapped in web/errors.py, and nothing is written.
"""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from market.direct import service as direct
from market.errors import InvalidInput
from market.models import Role
from market.procurement.republish import republish
from market.procurement.terms import procurement_terms_of
from web.auth import requires
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id
from web.procurement_answers import view_of
from web.procurement_views import ProcurementView
from web.rounds_views import DecisionBody, DirectRequestBody, DirectRequestList, DirectRequestView

owners = requires(Role.OWNER)
supervisors = requires(Role.SUPERVISOR)


class RoundController(Controller):
    path = "/api"
    tags = ["procurements"]

    @post(
        "/procurements/{procurement_id:int}/republish",
        guards=[owners],
        status_code=201,
        summary="Re-publish a failed procurement (重新发布) as its next attempt",
        description="A new draft of the owner's organisation with the failed one's terms (dates "
        "moved forward to the earliest allowed from now), linked to it (previous_id, attempt + 1), "
        "with a fresh reference reserved for the owner's commitment. At most one next attempt per "
        "failed procurement: a second request is a 409 naming the one there is.",
    )
    async def republish(
        self, procurement_id: Id, uow: UoW, actor: CurrentActor, principal: CurrentPrincipal, app_state: State
    ) -> ProcurementView:
        now = app_state.clock.now()
        row = await republish(
            uow,
            actor,
            principal,
            procurement_id,
            now,
            await app_state.calendars.current(uow),
            procurement_terms_of(app_state.settings),
        )
        view = await view_of(uow, principal, row.id)
        await uow.commit()
        return view

    @post(
        "/procurements/{procurement_id:int}/direct-requests",
        guards=[owners],
        status_code=201,
        summary="Ask for direct selection (申请直接选取) after failed attempts",
        description="On a failed procurement whose chain has failed at least the kind's "
        "direct_after_failed_attempts times and that has no next attempt: name one firm (USCC) the "
        "registries find eligible now for its terms, and why. 409 naming the number needed and the "
        "count when there are too few failed attempts; 422 with the reasons' codes for a firm that "
        "is not eligible.",
    )
    async def request_direct(
        self,
        procurement_id: Id,
        data: JSONBody[DirectRequestBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DirectRequestView:
        request = await direct.request_direct(
            uow,
            actor,
            principal,
            procurement_id,
            app_state.clock.now(),
            procurement_terms_of(app_state.settings),
            uscc=data.uscc,
            reason=data.reason,
            vocabulary=app_state.vocabulary,
        )
        view = DirectRequestView.of(await direct.one_request(uow, principal, request.id))
        await uow.commit()
        return view

    @get(
        "/direct-requests",
        guards=[requires(Role.OWNER, Role.SUPERVISOR)],
        summary="Requests for direct selection (直接选取申请)",
        description="Supervisors see every request, an owner its organisation's; status=pending "
        "(the default) or all.",
    )
    async def requests(
        self, uow: UoW, principal: CurrentPrincipal, status: FromQuery[str] = "pending"
    ) -> DirectRequestList:
        if status not in ("pending", "all"):
            raise InvalidInput("status is pending or all", field="status")
        found = await direct.requests(uow, principal, pending_only=status == "pending")
        return DirectRequestList([DirectRequestView.of(line) for line in found])

    @post(
        "/direct-requests/{request_id:int}/approve",
        guards=[supervisors],
        status_code=200,
        summary="Approve a request for direct selection (批准)",
        description="Makes the next attempt, selected directly with its record (round 1, "
        "re-computed by python -m selection.verify). Not by the requesting organisation; a "
        "decided request is a 409; a firm no longer eligible is a 409 with the reasons' codes.",
    )
    async def approve(
        self,
        request_id: Id,
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DirectRequestView:
        await direct.approve(
            uow,
            actor,
            principal,
            request_id,
            app_state.clock.now(),
            procurement_terms_of(app_state.settings),
            note=data.note,
            vocabulary=app_state.vocabulary,
        )
        view = DirectRequestView.of(await direct.one_request(uow, principal, request_id))
        await uow.commit()
        return view

    @post(
        "/direct-requests/{request_id:int}/reject",
        guards=[supervisors],
        status_code=200,
        summary="Reject a request for direct selection (驳回), saying why",
    )
    async def reject(
        self,
        request_id: Id,
        data: JSONBody[DecisionBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> DirectRequestView:
        await direct.reject(uow, actor, principal, request_id, app_state.clock.now(), note=data.note)
        view = DirectRequestView.of(await direct.one_request(uow, principal, request_id))
        await uow.commit()
        return view
