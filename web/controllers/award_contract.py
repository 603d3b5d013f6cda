"""The contract both parties confirm online, the next alternate after a missed limit, the
firm's awards and the supervisors' overdue list, over HTTP.

Each act is :mod:`market.award.contract`'s or :mod:`market.award.reassign`'s; a refusal is a
MarketError mapped in web/errors.py (the wrong party 403, twice / late / a stale digest 409
naming the problem, bad terms 422 naming the field), nothing written.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from market import policy
from market.award import award_views, contract, reassign
from market.errors import PermissionDenied
from market.models import Role
from market.procurement.service import load
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in
from web.award_schemas import (
    AwardList,
    AwardOut,
    ConfirmBody,
    ContractDraftBody,
    ContractOut,
    OverdueList,
    OverdueOut,
    ReassignBody,
    ReassignOut,
)
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.params import Id


async def _answer(uow: Any, procurement_id: int) -> ContractOut:
    await uow.session.flush()
    row = await contract.locked(uow, None, procurement_id)
    award, signing = await contract.signing_of(uow, procurement_id)
    return ContractOut.of(row.status, award, signing)


class ContractController(Controller):
    path = "/api/procurements/{procurement_id:int}"
    tags = ["contracts"]
    guards = [signed_in]  # who of the signed-in acts is the service's to say

    @get(
        "/contract",
        summary="The contract being confirmed (合同确认情况)",
        description="The current award's current draft: its data, the digest both parties "
        "confirm, who confirmed when, and the issued PDF's id once both did. For the owner's "
        "organisation, the awarded firm, supervisors and administrators.",
    )
    async def read(self, procurement_id: Id, uow: UoW, principal: CurrentPrincipal) -> ContractOut:
        row = await load(uow, principal, procurement_id)
        award, signing = await contract.signing_of(uow, procurement_id)
        if contract.side_of(principal, row, award) is None and not policy.is_official(principal):
            raise PermissionDenied("the contract is read by its parties, supervisors and administrators")
        return ContractOut.of(row.status, award, signing)

    @post(
        "/contract",
        status_code=201,
        summary="Draft the contract (拟定合同)",
        description="The owner's organisation, while awarded and before the limit: the terms "
        "(term, scope, payments adding up to 100, and the kind's own fields); the parties, the "
        "amount and the procurement come from the records. A new draft before the firm "
        "confirmed supersedes the current one, and the owner confirms again.",
    )
    async def draft(
        self,
        procurement_id: Id,
        data: JSONBody[ContractDraftBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ContractOut:
        await contract.draft(
            uow,
            actor,
            principal,
            procurement_id,
            data.terms(),
            app_state.clock.now(),
            vocabulary=app_state.vocabulary,
        )
        answer = await _answer(uow, procurement_id)
        await uow.commit()
        return answer

    @post(
        "/contract/confirm",
        status_code=200,
        summary="Confirm the contract (确认合同)",
        description="The owner's organisation first, then the awarded firm, each once, before "
        "the limit, giving the digest of the draft it read. The firm's confirmation issues the "
        "sealed PDF recording both confirmations and the procurement is contracted.",
    )
    async def confirm(
        self,
        procurement_id: Id,
        data: JSONBody[ConfirmBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ContractOut:
        await contract.confirm(
            uow,
            actor,
            principal,
            procurement_id,
            data.digest,
            app_state.clock.now(),
            office=app_state.documents,
        )
        answer = await _answer(uow, procurement_id)
        await uow.commit()
        return answer

    @post(
        "/reassign",
        status_code=200,
        summary="Award the next alternate (另行确定中选单位)",
        description="The owner's organisation, while awarded and once a contract limit of the "
        "current award is past due, with a reason: the award ends as replaced and the next firm "
        "of the record gets it with a new publicity, or the procurement fails with none left.",
    )
    async def reassign(
        self,
        procurement_id: Id,
        data: JSONBody[ReassignBody],
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
    ) -> ReassignOut:
        new = await reassign.reassign(
            uow,
            actor,
            principal,
            procurement_id,
            data.reason,
            app_state.clock.now(),
            terms=procurement_terms_of(app_state.settings),
        )
        row = await contract.locked(uow, None, procurement_id)
        answer = ReassignOut(row.id, row.status.value, new.id if new else None, new.uscc if new else None)
        await uow.commit()
        return answer


class MyAwardsController(Controller):
    path = "/api/my/awards"
    tags = ["contracts"]
    guards = [requires(Role.INTERMEDIARY, Role.CONTRACTOR)]

    @get(
        "/",
        summary="My firm's awards (我的中选项目)",
        description="The awards of the signed-in firm, current ones first: the procurement, its "
        "status, the contract's draft and what the firm owes or awaits next (next_step).",
    )
    async def mine(self, uow: UoW, principal: CurrentPrincipal) -> AwardList:
        return AwardList([AwardOut.of(line) for line in await award_views.firm_awards(uow, principal)])


class OverdueController(Controller):
    path = "/api/supervision/overdue"
    tags = ["supervision"]
    # not requires(SUPERVISOR): the service refuses the others itself, to audit the refusal
    guards = [signed_in]

    @get(
        "/",
        summary="Overdue time limits (逾期事项)",
        description="Open limits flagged by the lifecycle or past due, across procurements: "
        "who owes what since when and how late. For supervisors; a refusal is audited. "
        "Filter by action (objection_answer, contract_owner, …).",
    )
    async def overdue(
        self,
        uow: UoW,
        actor: CurrentActor,
        principal: CurrentPrincipal,
        app_state: State,
        action: FromQuery[str | None] = None,
    ) -> OverdueList:
        lines = await award_views.overdue(uow, actor, principal, app_state.clock.now(), action)
        return OverdueList([OverdueOut.of(line) for line in lines])
