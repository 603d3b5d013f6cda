"""Selection records for supervisors (选取记录复核): the list with filters, each record's exact
canonical JSON, and the replay — the stand-alone verifier run on the stored record by the
server (:mod:`market.supervision.records`). API and pages; supervisors only, a refusal audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Template
from msgspec import Struct

from market.clock import local
from market.db import UnitOfWork
from market.supervision import records as selection_records
from web.dependencies import State, UoW
from web.page_access import PAGE_EXCEPTION_HANDLERS
from web.params import BeforeId, Id, Limit
from web.record_schema import RecordDocument
from web.supervision_access import Text40, requested_period, supervisor_pages_guard, supervisors_only


class RecordLineView(Struct):
    id: int
    procurement_id: int
    reference: str
    title: str
    kind: str
    round: int
    method: str
    outcome: str
    digest: str
    created_at: datetime
    winners: list[str]


class RecordListView(Struct):
    period: str
    since: str
    until: str
    total: int
    items: list[RecordLineView]


class ReplayView(Struct):
    record_id: int
    procurement_id: int
    reference: str
    round: int
    match: bool
    result: str  # MATCH, or DIFFERENCE and the first difference
    difference: str | None
    stored_digest: str
    computed_digest: str
    published_freeze: dict[str, str] | None
    freeze_audit_id: int | None
    command: str


def _filters(
    app_state: Any,
    period: str | None,
    since: str | None,
    until: str | None,
    kind: str | None,
    method: str | None,
    outcome: str | None,
    firm: str | None,
) -> selection_records.RecordFilters:
    chosen = requested_period(app_state, period, since, until)
    filters = selection_records.RecordFilters(
        chosen, kind or None, method or None, outcome or None, firm or None
    )
    filters.check()
    return filters


async def _list(
    uow: UnitOfWork, filters: selection_records.RecordFilters, limit: int, before_id: int | None
) -> RecordListView:
    lines, total = await selection_records.listing(uow, filters, limit=limit, before_id=before_id)
    items = [
        RecordLineView(
            r.id,
            r.procurement_id,
            r.reference,
            r.title,
            r.kind,
            r.round,
            r.method,
            r.outcome,
            r.digest,
            local(r.created_at),
            r.winners,
        )
        for r in lines
    ]
    p = filters.period
    return RecordListView(p.label, p.first.isoformat(), p.last.isoformat(), total, items)


def _replay_view(found: selection_records.Replay) -> ReplayView:
    return ReplayView(
        found.record_id,
        found.procurement_id,
        found.reference,
        found.round,
        found.match,
        "MATCH" if found.match else f"DIFFERENCE {found.difference}",
        found.difference,
        found.stored_digest,
        found.computed_digest,
        found.published_freeze,
        found.freeze_audit_id,
        found.command,
    )


class SupervisionRecordController(Controller):
    path = "/api/supervision/records"
    tags = ["supervision"]
    guards = [supervisors_only]

    @get(
        "/",
        summary="Selection records, newest first (supervisors)",
        description="Filter by period (2026, 2026-Q3, 2026-11; or since/until YYYY-MM-DD; this year by "
        "default), kind, method, outcome (selected|failed) and firm (a USCC among the candidates).",
    )
    async def listing(
        self,
        uow: UoW,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
        kind: Text40 = None,
        method: Text40 = None,
        outcome: Text40 = None,
        firm: Text40 = None,
        before_id: BeforeId = None,
        limit: Limit = 100,
    ) -> RecordListView:
        filters = _filters(app_state, period, since, until, kind, method, outcome, firm)
        return await _list(uow, filters, limit, before_id)

    @get(
        "/{record_id:int}/json",
        summary="A selection record's canonical JSON, exactly as stored",
        media_type="application/json",
        responses={
            200: ResponseSpec(
                data_container=RecordDocument, description="the record", generate_examples=False
            )
        },
    )
    async def download(self, record_id: Id, uow: UoW) -> Response[bytes]:
        row = await selection_records.get(uow, record_id)
        name = f"selection-record-{row.procurement_id}-r{row.round}.json"
        return Response(
            row.record.encode("utf-8"),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @post(
        "/{record_id:int}/replay",
        status_code=200,
        summary="Replay a selection record with the stand-alone verifier",
        description="Runs selection.verify on the stored record against the freeze digests published "
        "in the audit log; MATCH, or the first difference. The command does the same offline.",
    )
    async def replay(self, record_id: Id, uow: UoW) -> ReplayView:
        return _replay_view(await selection_records.replay(uow, record_id))


class SupervisionRecordPages(Controller):
    path = "/supervision/records"
    tags = ["supervision"]
    include_in_schema = True
    guards = [supervisor_pages_guard]
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    @get("/", summary="Selection records (选取记录复核)")
    async def page(
        self,
        uow: UoW,
        app_state: State,
        period: Text40 = None,
        since: Text40 = None,
        until: Text40 = None,
        kind: Text40 = None,
        method: Text40 = None,
        outcome: Text40 = None,
        firm: Text40 = None,
    ) -> Template:
        filters = _filters(app_state, period, since, until, kind, method, outcome, firm)
        listed = await _list(uow, filters, 200, None)
        return Template(
            template_name="supervision/records.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "listed": listed,
                "asked": {
                    "period": period or "",
                    "kind": kind or "",
                    "method": method or "",
                    "outcome": outcome or "",
                    "firm": firm or "",
                    "since": since or "",
                    "until": until or "",
                },
            },
        )

    @get("/{record_id:int}", summary="Replay of one selection record (复核)")
    async def replay_page(self, record_id: Id, uow: UoW, app_state: State) -> Template:
        found = _replay_view(await selection_records.replay(uow, record_id))
        return Template(
            template_name="supervision/replay.html",
            context={"platform_name": app_state.settings.platform_name, "replay": found},
        )
