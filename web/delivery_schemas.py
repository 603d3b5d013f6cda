"""The delivery, acceptance and evaluation API's bodies and answers (msgspec Structs; no ORM
object leaves): :mod:`web.controllers.delivery`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta, Struct

from market.award import delivery_rules, evaluation_rules
from market.award.delivery import DeliveryLine
from market.award.evaluation import EvaluationLine
from market.models import CaseFile


class CaseFileView(Struct):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    download: str  # the case-file route (H2's), for the parties and the officials

    @classmethod
    def of(cls, f: CaseFile) -> CaseFileView:
        return cls(f.id, f.name, f.media_type, f.size, f.sha256, f"/api/case-files/{f.id}")


class DeliveryView(Struct):
    id: int
    procurement_id: int
    award_id: int
    sequence: int
    note: str
    submitted_at: datetime
    due_at: datetime | None
    on_time: bool
    decision: str | None  # accepted | returned, None while the owner decides
    decision_reason: str
    decided_at: datetime | None
    files: list[CaseFileView]

    @classmethod
    def of(cls, line: DeliveryLine) -> DeliveryView:
        d = line.delivery
        return cls(
            id=d.id,
            procurement_id=d.procurement_id,
            award_id=d.award_id,
            sequence=d.sequence,
            note=d.note,
            submitted_at=d.submitted_at,
            due_at=d.due_at,
            on_time=line.on_time,
            decision=d.decision,
            decision_reason=d.decision_reason,
            decided_at=d.decided_at,
            files=[CaseFileView.of(f) for f in line.files],
        )


class DeliveryList(Struct):
    items: list[DeliveryView]


class ReturnBody(Struct, forbid_unknown_fields=True):
    reason: Annotated[
        str,
        Meta(max_length=delivery_rules.RETURN_REASON, description="why the delivery is returned (退回理由)"),
    ]


Score = Annotated[int, Meta(ge=-1000, le=1000)]  # the range itself is the rule's (422 naming the criterion)


class EvaluationBody(Struct, forbid_unknown_fields=True):
    scores: Annotated[
        dict[Annotated[str, Meta(max_length=40)], Score],
        Meta(max_length=20, description="criterion code -> 1..5, every criterion of the reference data"),
    ]
    comment: Annotated[str, Meta(max_length=evaluation_rules.COMMENT)] = ""


class ObjectionBody(Struct, forbid_unknown_fields=True):
    grounds: Annotated[str, Meta(max_length=evaluation_rules.GROUNDS, description="异议理由")]


class DecisionBody(Struct, forbid_unknown_fields=True):
    decision: Annotated[str, Meta(max_length=20, description="upheld (annul the evaluation) or dismissed")]
    note: Annotated[str, Meta(max_length=evaluation_rules.NOTE)] = ""


class EvaluationView(Struct):
    id: int
    procurement_id: int
    reference: str
    title: str
    owner_name: str
    firm_name: str
    scores: dict[str, int]
    rating: int
    on_time: bool
    comment: str
    evaluated_at: datetime
    objection_window_ends: datetime
    objection_grounds: str
    objected_at: datetime | None
    objection_due_at: datetime | None
    objection_decision: str | None
    objection_note: str
    decided_at: datetime | None
    annulled: bool

    @classmethod
    def of(cls, line: EvaluationLine) -> EvaluationView:
        e = line.evaluation
        return cls(
            id=e.id,
            procurement_id=e.procurement_id,
            reference=line.reference,
            title=line.title,
            owner_name=line.owner_name,
            firm_name=line.firm_name,
            scores=dict(e.scores),
            rating=e.rating,
            on_time=e.on_time,
            comment=e.comment,
            evaluated_at=e.evaluated_at,
            objection_window_ends=line.objection_window_ends,
            objection_grounds=e.objection_grounds,
            objected_at=e.objected_at,
            objection_due_at=e.objection_due_at,
            objection_decision=e.objection_decision,
            objection_note=e.objection_note,
            decided_at=e.decided_at,
            annulled=e.objection_decision == "upheld",
        )


class EvaluationList(Struct):
    items: list[EvaluationView]
