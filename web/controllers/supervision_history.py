"""Histories for supervisors (变更记录): every change of a procurement, bid (after the
opening), firm or document from the audit log, each entry checked against its seal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import PathParameter
from litestar.response import Template
from msgspec import Struct

from market.clock import local
from market.db import UnitOfWork
from market.supervision import history as histories
from web.audit_labels import action_label, payload_text
from web.dependencies import CurrentActor, State, UoW
from web.page_access import PAGE_EXCEPTION_HANDLERS
from web.supervision_access import supervisor_pages_guard, supervisors_only

ObjectType = Annotated[str, PathParameter(max_length=20, description="procurement, bid, firm or document")]
ObjectId = Annotated[str, PathParameter(max_length=80)]
LABELS = {"procurement": "采购项目", "bid": "报价", "firm": "企业", "document": "文件"}


class ChangeView(Struct):
    entry_id: int
    seq: int | None
    occurred_at: datetime
    actor: str
    action: str
    payload: dict[str, Any]
    intact: bool | None


class HistoryView(Struct):
    object_type: str
    object_id: str
    intact: bool
    first_broken: str | None
    changes: list[ChangeView]


async def _history(uow: UnitOfWork, actor: Any, object_type: str, object_id: str) -> HistoryView:
    try:
        found = await histories.history(uow, actor, object_type, object_id)
    except histories.EarlyBidHistory:
        await uow.commit()  # the refusal is audited: keep its entry
        raise
    changes = [
        ChangeView(c.entry_id, c.seq, local(c.occurred_at), c.actor_label, c.action, c.payload, c.intact)
        for c in found.changes
    ]
    return HistoryView(found.object_type, found.object_id, found.intact, found.first_broken, changes)


class HistoryController(Controller):
    path = "/api/supervision/history"
    tags = ["supervision"]
    guards = [supervisors_only]

    @get(
        "/{object_type:str}/{object_id:str}",
        summary="An object's history from the audit log, each entry checked against its seal",
        description="procurement, bid (once on an opening list; before, 403 and audited), firm or "
        "document. intact=false names the first entry that does not hold.",
    )
    async def history(
        self, object_type: ObjectType, object_id: ObjectId, uow: UoW, actor: CurrentActor
    ) -> HistoryView:
        return await _history(uow, actor, object_type, object_id)


class HistoryPages(Controller):
    path = "/supervision/history"
    tags = ["supervision"]
    include_in_schema = True
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/{object_type:str}/{object_id:str}", summary="An object's history (变更记录)")
    async def page(
        self, object_type: ObjectType, object_id: ObjectId, uow: UoW, actor: CurrentActor, app_state: State
    ) -> Template:
        found = await _history(uow, actor, object_type, object_id)
        return Template(
            template_name="supervision/history.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "history": found,
                "label": LABELS.get(object_type, object_type),
                "action_label": action_label,
                "payload_text": payload_text,
            },
        )
