"""HTML for the contract both parties confirm: the owner's page of a procurement's contract
(draft form, confirmation, the next alternate after a missed limit: 合同确认), the firm's
awards with its confirmation (我的中选项目), and the supervisors' overdue list (逾期事项).

Every act goes through the services the API uses (:mod:`market.award.contract`,
:mod:`market.award.reassign`); a refusal shows the page again with its reason beside the
form (409/422), said in Chinese by :file:`contract/_messages.html` from the refusal's data,
with what was typed. What the reader may not see or do is the error page.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from market import policy
from market.award import award_views, contract, contract_rules, limits, reassign
from market.award.contract_rules import CONTRACT_KIND
from market.award.records import current_award
from market.errors import MarketError, PermissionDenied
from market.models import Role
from market.principal import Principal
from market.procurement.service import load
from market.procurement.terms import procurement_terms_of
from web.auth import requires, signed_in_principal
from web.contract_forms import PAYMENT_ROWS, form_of, terms_of, typed_form
from web.dependencies import CurrentActor, CurrentPrincipal, State, UoW
from web.errors import status_for
from web.page_access import PAGE_EXCEPTION_HANDLERS, SignInFirst, owner_pages_guard, tried
from web.params import Id
from web.procurement_page_views import china_time, yuan

_firms = requires(Role.INTERMEDIARY, Role.CONTRACTOR)


def _see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def _refusal(exc: MarketError) -> dict[str, Any]:
    """The code, the field and the data the message macro needs (no sentence)."""
    details = {k: (china_time(v) if k in ("due_at", "confirmed_at") else v) for k, v in exc.details.items()}
    return {"code": exc.code, "field": getattr(exc, "field", None) or "form", **details}


async def firm_pages_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The firms' users (中介机构 / 施工企业) only; a visitor is sent to sign in first."""
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})
    await _firms(connection, handler)


async def signed_in_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if signed_in_principal(connection) is None:
        raise SignInFirst("sign in first", extra={"code": "not-signed-in"})


def _signing(signing: Any) -> dict[str, Any] | None:
    if signing is None:
        return None
    return {
        "sequence": signing.sequence,
        "digest": signing.digest,
        "data": signing.data,
        "drafted_at": china_time(signing.drafted_at),
        "owner_confirmed_at": china_time(signing.owner_confirmed_at),
        "firm_confirmed_at": china_time(signing.firm_confirmed_at),
        "document_id": signing.document_id,
        "amount": yuan(signing.data.get("amount")),
    }


class ContractPages(Controller):
    """The owner's page of its procurement's contract."""

    path = "/my/procurements"
    tags = ["contracts"]
    include_in_schema = False
    guards = [owner_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        procurement_id: int,
        *,
        status: int = 200,
        refusal: dict[str, Any] | None = None,
        typed: dict[str, str] | None = None,
        done: str = "",
    ) -> Template:
        row = await load(uow, principal, procurement_id)
        if not policy.acts_for_owner(principal, row.owner_organisation_id):
            raise PermissionDenied("only the owner's organisation (业主) acts on its procurement's contract")
        now = app_state.clock.now()
        award = await current_award(uow, row.id)
        signing = await contract.current_signing(uow, award.id) if award is not None else None
        awarded = row.status.value == "awarded" and award is not None
        late = award is not None and contract_rules.past_due(award.contract_due_at, now)
        missed = await reassign.missed_limits(uow, award, now) if awarded and award is not None else []
        context: dict[str, Any] = {
            "platform_name": app_state.settings.platform_name,
            "row": row,
            "kind": CONTRACT_KIND[row.kind.value],
            "award": award,
            "firm_name": await contract.firm_name(uow, award) if award is not None else "",
            "amount": yuan(award.amount) if award is not None else "",
            "contract_due_at": china_time(award.contract_due_at) if award is not None else "",
            "signing": _signing(signing),
            "may_draft": awarded and not late and (signing is None or signing.firm_confirmed_at is None),
            "may_confirm": awarded
            and not late
            and signing is not None
            and signing.owner_confirmed_at is None,
            "may_reassign": bool(missed),
            "missed": [limits.LABELS[m.action] for m in missed],  # type: ignore[index]
            "form": typed if typed is not None else form_of(signing.data if signing is not None else None),
            "payment_rows": range(PAYMENT_ROWS),
            "refusal": refusal,
            "done": done,
        }
        return Template(template_name="contract/owner.html", context=context, status_code=status)

    @get("/{procurement_id:int}/contract", summary="The contract (合同确认)")
    async def contract_page(
        self,
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        done: FromQuery[str] = "",
    ) -> Template:
        shown = done if done in ("drafted", "confirmed", "reassigned") else ""
        return await self._page(uow, app_state, principal, procurement_id, done=shown)

    @post("/{procurement_id:int}/contract", summary="Draft the contract (拟定合同)")
    async def draft(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        typed = typed_form(await request.form())
        row = await load(uow, principal, procurement_id)
        _, exc = await tried(
            contract.draft(
                uow,
                actor,
                principal,
                procurement_id,
                terms_of(CONTRACT_KIND[row.kind.value], typed),
                app_state.clock.now(),
                vocabulary=app_state.vocabulary,
            )
        )
        if exc is not None:
            await uow.rollback()
            return await self._page(
                uow,
                app_state,
                principal,
                procurement_id,
                status=status_for(exc),
                refusal=_refusal(exc),
                typed=typed,
            )
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/contract?done=drafted")

    @post("/{procurement_id:int}/contract/confirm", summary="Confirm the contract (确认合同)")
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        digest = str((await request.form()).get("digest") or "")[:128]
        _, exc = await tried(
            contract.confirm(
                uow,
                actor,
                principal,
                procurement_id,
                digest,
                app_state.clock.now(),
                office=app_state.documents,
            )
        )
        if exc is not None:
            await uow.rollback()
            return await self._page(
                uow, app_state, principal, procurement_id, status=status_for(exc), refusal=_refusal(exc)
            )
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/contract?done=confirmed")

    @post("/{procurement_id:int}/reassign", summary="Award the next alternate (另行确定中选单位)")
    async def reassign_next(
        self,
        request: Request[Any, Any, Any],
        procurement_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        reason = str((await request.form()).get("reason") or "")[: 2 * reassign.REASON_MOST]
        _, exc = await tried(
            reassign.reassign(
                uow,
                actor,
                principal,
                procurement_id,
                reason,
                app_state.clock.now(),
                terms=procurement_terms_of(app_state.settings),
            )
        )
        if exc is not None:
            await uow.rollback()
            return await self._page(
                uow,
                app_state,
                principal,
                procurement_id,
                status=status_for(exc),
                refusal=_refusal(exc),
                typed={**form_of(None), "reason": reason},
            )
        await uow.commit()
        return _see_other(f"/my/procurements/{procurement_id}/contract?done=reassigned")


class AwardPages(Controller):
    """The firm's awards and its confirmation of a contract (我的中选项目)."""

    path = "/my/awards"
    tags = ["contracts"]
    include_in_schema = False
    guards = [firm_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    async def _page(
        self,
        uow: Any,
        app_state: Any,
        principal: Principal,
        *,
        status: int = 200,
        refusal: dict[str, Any] | None = None,
        refused_id: int | None = None,
        done: str = "",
    ) -> Template:
        now = app_state.clock.now()
        lines = [
            {
                "line": line,
                # the contract's limit passed before both confirmed: the owner may reassign
                "late": line.next_step in ("await_draft", "await_owner", "confirm")
                and contract_rules.past_due(line.award.contract_due_at, now),
                "amount": yuan(line.award.amount),
                "selected_at": china_time(line.award.selected_at),
                "publicity_ends_at": china_time(line.award.publicity_ends_at),
                "contract_due_at": china_time(line.award.contract_due_at),
                "ended_at": china_time(line.award.ended_at),
                "signing": _signing(line.signing),
            }
            for line in await award_views.firm_awards(uow, principal)
        ]
        context = {
            "platform_name": app_state.settings.platform_name,
            "lines": lines,
            "now_text": china_time(now),
            "refusal": refusal,
            "refused_id": refused_id,
            "done": done,
        }
        return Template(template_name="contract/awards.html", context=context, status_code=status)

    @get("/", summary="My firm's awards (我的中选项目)")
    async def list_page(
        self, uow: UoW, app_state: State, principal: CurrentPrincipal, done: FromQuery[str] = ""
    ) -> Template:
        return await self._page(uow, app_state, principal, done="confirmed" if done == "confirmed" else "")

    @post("/{award_id:int}/confirm", summary="Confirm the contract (确认合同)")
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        award_id: Id,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
    ) -> Template | Redirect:
        digest = str((await request.form()).get("digest") or "")[:128]
        line = await award_views.firm_award(uow, principal, award_id)
        _, exc = await tried(
            contract.confirm(
                uow,
                actor,
                principal,
                line.award.procurement_id,
                digest,
                app_state.clock.now(),
                office=app_state.documents,
            )
        )
        if exc is not None:
            await uow.rollback()
            return await self._page(
                uow, app_state, principal, status=status_for(exc), refusal=_refusal(exc), refused_id=award_id
            )
        await uow.commit()
        return _see_other(f"/my/awards?done=confirmed#award-{award_id}")


class OverduePages(Controller):
    """The supervisors' list of overdue items (逾期事项); anyone else is refused, audited."""

    path = "/supervision/overdue"
    tags = ["supervision"]
    include_in_schema = False
    guards = [signed_in_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", summary="Overdue items (逾期事项)")
    async def list_page(
        self,
        uow: UoW,
        app_state: State,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        action: FromQuery[str] = "",
    ) -> Template:
        now = app_state.clock.now()
        wanted = action if action in limits.LIMIT_ACTIONS else ""
        lines = await award_views.overdue(uow, actor, principal, now, wanted or None)
        context = {
            "platform_name": app_state.settings.platform_name,
            "lines": [
                {
                    "line": line,
                    "due_at": china_time(line.due_at),
                    "flagged_at": china_time(line.flagged_at),
                    "late_days": line.late_by.days,
                    "late_hours": line.late_by.seconds // 3600,
                }
                for line in lines
            ],
            "actions": list(limits.LABELS.items()),
            "action": wanted,
            "now_text": china_time(now),
        }
        return Template(template_name="contract/overdue.html", context=context)
