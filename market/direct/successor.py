"""The attempt an approved request for direct selection makes: the failed procurement's
terms with method ``direct`` naming the firm, published and selected at once, with the
record of ``selection.run("direct", …)`` stored as round 1 and audited ``procurement:selected``.

Nothing is drawn, so there is no ceremony: the record is a ``market.selection-record/1`` of
the direct method (no commitments; ``python -S -m selection.verify`` re-computes it), and the
engine itself checks once more that the named firm is a candidate not excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import selection
from market import audit
from market.audit import Actor
from market.award.records import open_award
from market.clock import local
from market.db import UnitOfWork
from market.lifecycle.schedule import reschedule
from market.models import Procurement, ProcurementVersion, SelectionRecordRow
from market.outside_errors import translated_errors
from market.procurement import service
from market.procurement.draft import DraftTerms
from market.procurement.draft_input import terms_json
from market.procurement.states import ProcurementStatus, transition
from market.procurement.terms import ProcurementTerms


@dataclass(frozen=True, slots=True)
class NamedFirm:
    id: int
    uscc: str
    name: str


async def selected_successor(
    uow: UnitOfWork,
    actor: Actor,
    failed: Procurement,
    before: DraftTerms,
    firm: NamedFirm,
    reason: str,
    now: datetime,
    terms: ProcurementTerms,
) -> Procurement:
    """The next attempt of ``failed``, selected directly: written in the caller's transaction."""
    draft = replace(
        before,
        method="direct",
        variant=None,
        method_params={"firm_id": firm.uscc, "reason": reason},
        winners=1,
        alternates=0,
        quote_mode=None,  # nobody bids: the firm is named
        bid_deadline=None,
        floor=None,
        selection_time=now,
        review_criteria=(),  # nothing is scored: no review step
        review_deadline=None,
    )
    row = Procurement(
        status=transition(ProcurementStatus.DRAFT, "select_directly", now=now).to,
        owner_organisation_id=failed.owner_organisation_id,
        created_by=actor.id,
        previous_id=failed.id,
        attempt=failed.attempt + 1,
        reference=await service.next_reference(uow, terms.of(failed.kind).prefix, local(now).year),
        published_at=now,
        created_at=now,
        updated_at=now,
    )
    service._store_terms(row, draft)  # the columns and the JSON from one DraftTerms, as drafts are
    reschedule(uow, row)
    uow.session.add(row)
    await uow.session.flush()
    uow.session.add(
        ProcurementVersion(
            procurement_id=row.id,
            sequence=1,
            terms=terms_json(draft),
            reason=reason,
            actor_id=actor.id,
            actor_label=actor.label[:200],
            created_at=now,
        )
    )
    assert row.reference is not None
    inputs = {
        "method": "direct",
        "procurement_ref": row.reference,
        "params": {"firm_id": firm.uscc, "reason": reason, "allowed": True},
        "candidates": [firm.uscc],
    }
    with translated_errors(within="inputs"):
        record = selection.run("direct", inputs)
    digest = record.digest()
    uow.session.add(
        SelectionRecordRow(
            procurement_id=row.id,
            round=1,
            record=record.to_json().decode("utf-8"),
            digest=digest,
            outcome=record.outcome,
            created_at=now,
        )
    )
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "procurement:selected",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "round": 1,
            "method": "direct",
            "previous_id": failed.id,
            "attempt": row.attempt,
            "record_sha256": digest,
            "outcome": record.outcome,
            "winners": record.winners,
            "terms_sha256": service.terms_digest(draft),
        },
    )
    # the direct selection's result is published like any other (issue 13)
    await open_award(uow, row, round_number=1, rank=1, now=now, terms=terms)
    return row
