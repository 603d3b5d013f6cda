"""What time does to the draw: the freeze at the deadline and the selection at the announced
time. Only :mod:`market.lifecycle` imports this module (an import-linter contract): nobody
freezes or draws by pressing a button.

Both steps are idempotent — a procurement no longer in the status a step starts from is left
alone — and write everything they change in the caller's one transaction, so a process
killed in the middle leaves either nothing or the whole step. The selection record is unique
per procurement and round: two processes racing past their row locks still store one.

**The freeze** (docs/draw-spec.md §3.2) builds the method's inputs from the opening list and
the registries, lets :func:`selection.engine.freeze` fill in every default, stores the three
documents themselves (the selection re-reads exactly them) with their digests, and publishes
the digests in the ``procurement:frozen`` audit entry that the record names. Then the platform
reveals its own secret, sealed since publication: first, before any outside party, so that it
cannot decide whether to reveal knowing the others' secrets. With too few counted bids the
procurement fails (流标) there, with the engine's failure record when the engine can make one.

**The selection** assembles the ceremony (commitments, freeze, reveal deadline, reveals with
their times, the beacon — for ``audit_head`` the chain head sealed now), runs
:func:`selection.run` on the frozen inputs, and stores the canonical record with its SHA-256.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select as sql_select

import selection
from market import audit
from market.audit import Actor
from market.award.records import open_award
from market.db import UnitOfWork
from market.draw import offers, redraw
from market.draw.inputs import NoReview, inputs_of_frozen, method_inputs
from market.draw.rounds import commitments_of, current_round, platform_secret, reveals_of
from market.lifecycle.schedule import move
from market.models import DrawReveal, DrawRound, Procurement, SelectionRecordRow
from market.outside_errors import RefusedBySelection, SelectionFailed, translated_errors
from market.procurement.publication import reveal_deadline
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.registry.vocabulary import Vocabulary
from market.sealed.keys import KeyEncryptionKey
from selection.engine import freeze as freeze_inputs
from selection.record import SelectionRecord

log = logging.getLogger("market.draw")

DRAW_ACTOR = Actor.system("选取（系统）")
TICK = timedelta(microseconds=1)  # the ceremony's times have microseconds; "after" is strict


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _locked(uow: UnitOfWork, row: Procurement) -> Procurement:
    locked = await uow.session.scalar(
        sql_select(Procurement)
        .where(Procurement.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def _picks(params: dict[str, Any]) -> int:
    return int(params.get("winners", 1)) + int(params.get("alternates", 0))


async def freeze(
    uow: UnitOfWork,
    bid_key: KeyEncryptionKey,
    row: Procurement,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> None:
    """Freeze the draw's inputs of an opened procurement, or of a published one without bids
    (its pool, :mod:`market.draw.pool`), or of a redrawn round (:mod:`market.draw.redraw`);
    the caller commits."""
    row = await _locked(uow, row)
    starts = ProcurementStatus.OPENED if row.bid_deadline is not None else ProcurementStatus.PUBLISHED
    redrawing = row.status is ProcurementStatus.REDRAWING
    if (row.status is not starts and not redrawing) or row.reference is None:
        return
    draw = await current_round(uow, row.id, lock=True)
    if draw.frozen_at is not None:
        return
    excluded: list[redraw.Exclusion] = []
    if redrawing:  # the previous round's frozen documents less the disqualified firms
        method, inputs, excluded = await redraw.redrawn_inputs(uow, row, draw)
        review = None
    else:
        try:
            method, inputs, review = await method_inputs(uow, row, terms, vocabulary=vocabulary, at=now)
        except NoReview as none:
            await _fail(uow, row, draw, now, none.failure)
            return
    if review is not None:  # who counted and who was left out, before the digests are published
        details = {
            "reference": row.reference,
            "counted": list(review.counted),
            "left_out": list(review.left_out),
        }
        await audit.record(uow, DRAW_ACTOR, "review:closed", "procurement", row.id, details)
    # a freeze that runs late (the service was down) still leaves a window, however short
    draw.reveal_deadline = max(reveal_deadline(row.selection_time, terms.of(row.kind)), now + 2 * TICK)
    if method != "direct" and len(inputs["candidates"]) < _picks(inputs["params"]):
        await _fail_without_record(uow, row, draw, now, len(inputs["candidates"]), _picks(inputs["params"]))
        return
    with translated_errors(within="inputs"):
        frozen = freeze_inputs(method, inputs)
    entry = await audit.record(
        uow,
        DRAW_ACTOR,
        "procurement:frozen",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "round": draw.round,
            "frozen_at": utc_text(now),
            "digests": frozen["digests"],
            "reveal_deadline": utc_text(draw.reveal_deadline),
            "eligible_count": frozen["eligible_count"],
            "minimum": frozen["minimum"],
            **(
                {"excluded": [{"uscc": e.uscc, "objection_id": e.objection_id} for e in excluded]}
                if redrawing
                else {}
            ),
        },
    )
    draw.frozen_at = now
    draw.frozen_documents = frozen["documents"]
    draw.freeze_digests = frozen["digests"]
    draw.freeze_audit_id = entry
    await uow.session.flush()
    if frozen["eligible_count"] < frozen["minimum"]:
        # fails whatever the seed: the failure record is made now, with no reveal (spec §3.5)
        record = await _run(uow, row, draw)
        await _store(uow, row, draw, record, now, terms)
        return
    secret = platform_secret(bid_key, row.reference, draw)
    uow.session.add(
        DrawReveal(
            procurement_id=row.id,
            round=draw.round,
            party="platform",
            secret=secret,
            revealed_at=now + TICK,
            revealed_by=None,
            counted=True,
        )
    )
    await move(uow, row, "freeze", now)
    await audit.record(
        uow,
        DRAW_ACTOR,
        "draw:revealed",
        "procurement",
        row.id,
        {"reference": row.reference, "round": draw.round, "party": "platform"},
    )


async def _fail_without_record(
    uow: UnitOfWork, row: Procurement, draw: DrawRound, now: datetime, counted: int, needed: int
) -> None:
    """Fewer counted bids than winners and alternates: the engine refuses such inputs rather
    than failing them, so there is no record to make; the failure is audited with its counts."""
    await _fail(
        uow, row, draw, now, {"code": "insufficient_respondents", "eligible": counted, "minimum": needed}
    )


async def ceremony_of(uow: UnitOfWork, draw: DrawRound) -> dict[str, Any]:
    """The ``ceremony`` object of the record, from what is stored (docs/draw-spec.md §3)."""
    assert draw.frozen_at is not None and draw.freeze_digests is not None
    beacon = {
        "source": draw.beacon_source,
        "reference": draw.beacon_reference,
        "form": draw.beacon_form,
        "value": draw.beacon_value,
        "at": utc_text(draw.beacon_at) if draw.beacon_at is not None else None,
    }
    return {
        "round": draw.round,
        "commitments": {c.party: c.commitment for c in await commitments_of(uow, draw)},
        "freeze": {
            "audit_entry": f"audit:{draw.freeze_audit_id}",
            "frozen_at": utc_text(draw.frozen_at),
            **draw.freeze_digests,
        },
        "reveal_deadline": utc_text(draw.reveal_deadline),
        "reveals": {
            r.party: {"secret": r.secret, "at": utc_text(r.revealed_at)} for r in await reveals_of(uow, draw)
        },
        "beacon": beacon,
    }


async def _run(uow: UnitOfWork, row: Procurement, draw: DrawRound) -> SelectionRecord:
    assert row.reference is not None and draw.frozen_documents is not None
    documents = draw.frozen_documents
    inputs = {**inputs_of_frozen(row.reference, documents), "ceremony": await ceremony_of(uow, draw)}
    try:
        with translated_errors(within="inputs"):
            return selection.run(documents["configuration"]["method"], inputs)
    except SelectionFailed as failed:  # too few eligible firms: 流标, with its record
        return failed.record


async def _store(
    uow: UnitOfWork,
    row: Procurement,
    draw: DrawRound,
    record: SelectionRecord,
    now: datetime,
    terms: ProcurementTerms,
) -> None:
    """The record, the status and the audit entry: one transaction, so they exist together."""
    digest = record.digest()
    uow.session.add(
        SelectionRecordRow(
            procurement_id=row.id,
            round=draw.round,
            record=record.to_json().decode("utf-8"),
            digest=digest,
            outcome=record.outcome,
            created_at=now,
        )
    )
    details = {
        "reference": row.reference,
        "round": draw.round,
        "record_sha256": digest,
        "outcome": record.outcome,
        "failure": record.data.get("failure"),
        "winners": record.winners,
        "alternates": record.alternates,
        "withheld": record.data["seed"].get("withheld", []) if record.data.get("seed") else [],
    }
    if record.outcome == "selected" and row.bid_deadline is None:
        # a pool draw: the drawn contractor is offered the works (its entry names the record)
        await uow.session.flush()
        await offers.open_next(uow, row, draw.round, now, terms, drawn=details)
        return
    action = await move(uow, row, "select" if record.outcome == "selected" else "fail", now)
    await audit.record(uow, DRAW_ACTOR, action, "procurement", row.id, details)
    if record.outcome == "selected":  # the result's publicity starts (issue 13)
        await open_award(uow, row, round_number=draw.round, rank=1, now=now, terms=terms)


async def select(
    uow: UnitOfWork,
    bid_key: KeyEncryptionKey,
    row: Procurement,
    now: datetime,
    *,
    vocabulary: Vocabulary,
    terms: ProcurementTerms,
) -> None:
    """Select from the frozen inputs at the selection time (the caller commits). Idempotent:
    a procurement that is not frozen any more, or whose round has its record, is left alone."""
    del bid_key, vocabulary  # everything the draw needs was frozen or revealed before
    row = await _locked(uow, row)
    if row.status is not ProcurementStatus.FROZEN:
        return
    draw = await current_round(uow, row.id, lock=True)
    found = await uow.session.scalar(
        sql_select(SelectionRecordRow.id).where(
            SelectionRecordRow.procurement_id == row.id, SelectionRecordRow.round == draw.round
        )
    )
    if found is not None:
        return
    if draw.beacon_source == "audit_head" and draw.beacon_value is None:
        seq, head = await audit.sealed_head(uow)
        draw.beacon_value, draw.beacon_at = f"{seq}:{head}", now
        await uow.session.flush()
    try:
        record = await _run(uow, row, draw)
    except RefusedBySelection as refused:
        if refused.code != "insufficient-contributions":
            raise
        await _fail_refused(uow, row, draw, now, refused)
        return
    await _store(uow, row, draw, record, now, terms)


async def _fail_refused(
    uow: UnitOfWork, row: Procurement, draw: DrawRound, now: datetime, refused: RefusedBySelection
) -> None:
    """Too few independent contributions were revealed (the outside parties withheld and no
    outside beacon counted): no draw may be made, and none is; the procurement fails, audited
    with the engine's reason."""
    await _fail(uow, row, draw, now, {"code": "insufficient_contributions", "reason": refused.message})


async def _fail(
    uow: UnitOfWork, row: Procurement, draw: DrawRound, now: datetime, failure: dict[str, Any]
) -> None:
    """The procurement fails without a selection record, audited with the failure's reason."""
    action = await move(uow, row, "fail", now)
    details = {"reference": row.reference, "round": draw.round, "failure": failure, "record_sha256": None}
    await audit.record(uow, DRAW_ACTOR, action, "procurement", row.id, details)
