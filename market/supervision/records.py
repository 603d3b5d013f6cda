"""Every selection record, for supervisors: listed with filters, downloaded as its exact
canonical JSON, and **replayed** — the server runs the stand-alone verifier
(:mod:`selection.verify`, standard library only, no code shared with the engine) on the
stored record, against the freeze digests published in the audit log at the freeze, and says
MATCH or the first difference. The stored digest is checked against the stored bytes too, so
a record edited in the database shows as such even when it is self-consistent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from market.db import UnitOfWork
from market.errors import InvalidInput, NotFound
from market.models import AuditEntry, DrawRound, Procurement, SelectionRecordRow
from market.procurement.terms import ProcurementKind
from market.supervision.periods import Period
from selection.verify import verify_text

OUTCOMES = ("selected", "failed")


@dataclass(frozen=True, slots=True)
class RecordFilters:
    period: Period
    kind: str | None = None
    method: str | None = None
    outcome: str | None = None
    firm: str | None = None  # a USCC among the record's candidates

    def check(self) -> None:
        if self.kind is not None and self.kind not in {k.value for k in ProcurementKind}:
            raise InvalidInput(f"unknown kind {self.kind!r}", field="kind")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise InvalidInput(f"outcome is one of {', '.join(OUTCOMES)}", field="outcome")
        if self.method is not None and (len(self.method) > 40 or not self.method.replace("_", "").isalpha()):
            raise InvalidInput(
                "method is a selection method's code, e.g. random or lowest_price", field="method"
            )
        if self.firm is not None and (len(self.firm) != 18 or not self.firm.isalnum()):
            raise InvalidInput("firm is an 18-character unified social credit code (USCC)", field="firm")


@dataclass(frozen=True, slots=True)
class RecordLine:
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


def _query(filters: RecordFilters) -> Select[SelectionRecordRow, str | None, str, ProcurementKind]:
    document = cast(SelectionRecordRow.record, JSONB)
    query = (
        select(SelectionRecordRow, Procurement.reference, Procurement.title, Procurement.kind)
        .join(Procurement, Procurement.id == SelectionRecordRow.procurement_id)
        .where(
            SelectionRecordRow.created_at >= filters.period.start,
            SelectionRecordRow.created_at < filters.period.end,
        )
    )
    if filters.kind:
        query = query.where(Procurement.kind == filters.kind)
    if filters.outcome:
        query = query.where(SelectionRecordRow.outcome == filters.outcome)
    if filters.method:
        query = query.where(document["method"].astext == filters.method)
    if filters.firm:
        query = query.where(
            or_(
                document["inputs"]["candidates"].contains([filters.firm]),
                document["winners"].contains([filters.firm]),
            )
        )
    return query


async def listing(
    uow: UnitOfWork, filters: RecordFilters, *, limit: int, before_id: int | None = None
) -> tuple[list[RecordLine], int]:
    filters.check()
    query = _query(filters)
    total = await uow.session.scalar(select(func.count()).select_from(query.subquery()))
    if before_id is not None:
        query = query.where(SelectionRecordRow.id < before_id)
    rows = (await uow.session.execute(query.order_by(SelectionRecordRow.id.desc()).limit(limit))).all()
    lines = []
    for record, reference, title, kind in rows:
        data = json.loads(record.record)
        lines.append(
            RecordLine(
                record.id,
                record.procurement_id,
                reference or "",
                title,
                str(kind),
                record.round,
                str(data.get("method", "")),
                record.outcome,
                record.digest,
                record.created_at,
                [str(w) for w in data.get("winners", [])],
            )
        )
    return lines, int(total or 0)


async def get(uow: UnitOfWork, record_id: int) -> SelectionRecordRow:
    row = await uow.session.get(SelectionRecordRow, record_id)
    if row is None:
        raise NotFound(f"there is no selection record {record_id}", record_id=record_id)
    return row


@dataclass(frozen=True, slots=True)
class Replay:
    record_id: int
    procurement_id: int
    reference: str
    round: int
    match: bool
    difference: str | None  # the verifier's first difference, or the digest's
    stored_digest: str
    computed_digest: str
    published_freeze: dict[str, str] | None  # from the audit entry written at the freeze
    freeze_audit_id: int | None

    @property
    def command(self) -> str:
        """What anyone runs offline on the downloaded record to get the same answer."""
        if self.published_freeze:
            parts = [p for p in ("configuration", "candidates", "bids") if p in self.published_freeze]
            frozen = ",".join(f"{p}={self.published_freeze[p]}" for p in parts)
            return f"python -S -m selection.verify --frozen {frozen} record.json"
        return "python -S -m selection.verify record.json"


async def _published_freeze(
    uow: UnitOfWork, row: SelectionRecordRow
) -> tuple[dict[str, str] | None, int | None]:
    """The digests the freeze's audit entry published (not the draw row's copy: the log is
    the published record, chained)."""
    entry_id = await uow.session.scalar(
        select(DrawRound.freeze_audit_id).where(
            DrawRound.procurement_id == row.procurement_id, DrawRound.round == row.round
        )
    )
    if entry_id is None:
        return None, None
    payload = await uow.session.scalar(select(AuditEntry.payload).where(AuditEntry.id == entry_id))
    digests = (payload or {}).get("digests")
    if not isinstance(digests, dict):
        return None, entry_id
    return {
        str(k): str(v) for k, v in digests.items() if k in ("configuration", "candidates", "bids")
    }, entry_id


async def replay(uow: UnitOfWork, record_id: int) -> Replay:
    row = await get(uow, record_id)
    reference = await uow.session.scalar(
        select(Procurement.reference).where(Procurement.id == row.procurement_id)
    )
    text = row.record.encode("utf-8")
    computed = hashlib.sha256(text).hexdigest()
    published, entry_id = await _published_freeze(uow, row)
    # a record-1 (direct selection) has no ceremony and no freeze to hold it to
    try:
        is_ceremony = json.loads(text).get("format") == "market.selection-record/2"
    except (ValueError, AttributeError):
        is_ceremony = False  # the verifier names what is wrong with it
    difference = verify_text(text, published if (published and is_ceremony) else None)
    if difference is None and computed != row.digest:
        difference = f"the stored record's SHA-256 is {computed}, not the {row.digest} published with it"
    return Replay(
        row.id,
        row.procurement_id,
        reference or "",
        row.round,
        difference is None,
        difference,
        row.digest,
        computed,
        published,
        entry_id,
    )
