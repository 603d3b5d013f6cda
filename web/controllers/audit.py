"""The audit log, for supervisors (监督) and administrators."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromQuery

from market import audit
from market.clock import local
from market.models import Role
from web.auth import requires
from web.dependencies import State
from web.params import BeforeId, Limit
from web.schemas import AuditEntryView, AuditVerifyView


class AuditController(Controller):
    path = "/api/audit"
    tags = ["audit"]
    guards = [requires(Role.SUPERVISOR, Role.ADMIN)]

    @get(
        "/entries",
        summary="Audit entries, newest first",
        description="Filter by action tag (e.g. login:refused), object type and id; page with "
        "before_id. seq/hash are null for the few seconds before an entry is sealed.",
    )
    async def entries(
        self,
        app_state: State,
        action: FromQuery[str | None] = None,
        object_type: FromQuery[str | None] = None,
        object_id: FromQuery[str | None] = None,
        before_id: BeforeId = None,
        limit: Limit = 100,
    ) -> list[AuditEntryView]:
        rows = await audit.list_entries(
            app_state.database,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before_id=before_id,
            limit=limit,
        )
        return [
            AuditEntryView(
                id=r["id"],
                seq=r["seq"],
                occurred_at=local(r["occurred_at"]),
                actor_id=r["actor_id"],
                actor_label=r["actor_label"],
                action=r["action"],
                object_type=r["object_type"],
                object_id=r["object_id"],
                payload=r["payload"],
                hash=r["hash"],
                prev_hash=r["prev_hash"],
            )
            for r in rows
        ]

    @get(
        "/verify",
        summary="Re-compute the hash chain",
        description="Seals what is pending, then re-computes every hash from the stored entries. "
        "intact=false names the first entry that does not match.",
    )
    async def verify(self, app_state: State) -> AuditVerifyView:
        await audit.seal_pending(app_state.database)
        report = await audit.verify_chain(app_state.database)
        return AuditVerifyView(
            report.intact, report.checked, report.unsealed, report.head_hash, report.problems
        )
