"""Published checkpoints of the audit chain (审计链检查点), for anyone: the list, and the
check that the chain still contains checkpoints someone kept (:mod:`market.audit_checkpoints`).

The check re-computes the whole chain, so it shares the public upload checks' rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody
from litestar.response import Template
from msgspec import Meta, Struct

from market import audit, audit_checkpoints
from market.clock import local
from market.db import UnitOfWork
from market.models import AuditCheckpoint
from web.auth import PUBLIC
from web.dependencies import State, UoW
from web.params import BeforeId, Limit
from web.verify_rate import VERIFY_RATE_LIMITED

REASONS = {"daily": "每日", "selection": "选取后", "manual": "管理员发布"}


class CheckpointView(Struct):
    id: int
    seq: int
    hash: str
    checkpoint: str  # SEQ:HASH, as written on notices and checked by the verifier
    published_at: datetime
    reason: str
    object_type: str | None
    object_id: str | None


class CheckpointList(Struct):
    items: list[CheckpointView]
    total: int


class CheckpointsToVerify(Struct, forbid_unknown_fields=True):
    checkpoints: Annotated[
        list[Annotated[str, Meta(max_length=200)]],
        Meta(max_length=audit_checkpoints.MAX_CHECKPOINTS, description="SEQ:HASH as published"),
    ]


class CheckpointVerifyView(Struct):
    intact: bool
    checked: int
    head_hash: str
    checkpoints: list[str]
    problems: list[str]


def _view(row: AuditCheckpoint) -> CheckpointView:
    return CheckpointView(
        row.id,
        row.seq,
        row.hash,
        f"{row.seq}:{row.hash}",
        local(row.published_at),
        row.reason,
        row.object_type,
        row.object_id,
    )


async def _listing(uow: UnitOfWork, limit: int, before_id: int | None) -> CheckpointList:
    rows, total = await audit_checkpoints.listing(uow, limit=limit, before_id=before_id)
    return CheckpointList([_view(r) for r in rows], total)


async def _verify(
    app_state: Any, texts: list[str]
) -> tuple[list[audit_checkpoints.Checkpoint], audit.VerifyReport]:
    wanted = audit_checkpoints.parse_many([t for t in texts if t.strip()])
    return wanted, await audit_checkpoints.verify(app_state.database, wanted)


class CheckpointController(Controller):
    path = "/api/audit/checkpoints"
    tags = ["audit"]

    @get(
        "/",
        opt=PUBLIC,
        summary="Published checkpoints of the audit chain, newest first",
        description="Each is a seal's number and hash (SEQ:HASH) published at a selection or "
        "daily. Keep one: the verify call proves later that the chain still contains it.",
    )
    async def listing(self, uow: UoW, before_id: BeforeId = None, limit: Limit = 100) -> CheckpointList:
        return await _listing(uow, limit, before_id)

    @post(
        "/verify",
        opt=PUBLIC | VERIFY_RATE_LIMITED,
        status_code=200,
        summary="Check that the chain contains published checkpoints",
        description="Re-computes the chain from its entries and checks each SEQ:HASH (at most "
        f"{audit_checkpoints.MAX_CHECKPOINTS}). intact=false names the first problem: an altered "
        "entry, or a checkpoint the chain no longer contains (its tail was removed or rewritten).",
    )
    async def verify(self, data: JSONBody[CheckpointsToVerify], app_state: State) -> CheckpointVerifyView:
        wanted, report = await _verify(app_state, data.checkpoints)
        return CheckpointVerifyView(
            report.intact, report.checked, report.head_hash, [str(c) for c in wanted], report.problems
        )


@dataclass
class CheckpointForm:
    checkpoints: str = ""  # one SEQ:HASH per line; the page's textarea allows 2,000 characters


Form = Annotated[CheckpointForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


class CheckpointPages(Controller):
    path = "/checkpoints"
    tags = ["audit"]
    include_in_schema = True

    async def _page(self, uow: UnitOfWork, app_state: Any, **extra: Any) -> Template:
        listed = await _listing(uow, 50, None)
        return Template(
            template_name="audit/checkpoints.html",
            context={
                "platform_name": app_state.settings.platform_name,
                "checkpoints": listed.items,
                "total": listed.total,
                "reasons": REASONS,
                **extra,
            },
        )

    @get("/", opt=PUBLIC, summary="Checkpoints page (审计链检查点)")
    async def page(self, uow: UoW, app_state: State) -> Template:
        return await self._page(uow, app_state)

    @post(
        "/",
        opt=PUBLIC | VERIFY_RATE_LIMITED,
        status_code=200,
        summary="Check checkpoints (page)",
        description="Form field 'checkpoints': one SEQ:HASH per line.",
    )
    async def check(self, data: Form, uow: UoW, app_state: State) -> Template:
        texts = data.checkpoints[:4000].splitlines()[: audit_checkpoints.MAX_CHECKPOINTS + 1]
        wanted, report = await _verify(app_state, texts)
        return await self._page(uow, app_state, report=report, wanted=wanted, given=data.checkpoints)
