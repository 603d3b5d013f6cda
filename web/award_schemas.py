"""What the contract, the awards list and the overdue list look like over HTTP (msgspec
structs with ``.of()``; no ORM object leaves)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from contracts.field_limits import DEFAULT_TEXT_LIMIT, TEXT_LIMITS
from market.award.award_views import AwardLine, OverdueLine
from market.clock import local
from market.models import Award, ContractSigning
from market.procurement.states import ProcurementStatus


def _text(field: str, *, required: bool = False) -> Meta:
    """The length bounds of a contract's text field: the document's own (contracts.field_limits)."""
    return Meta(min_length=1 if required else 0, max_length=TEXT_LIMITS.get(field, DEFAULT_TEXT_LIMIT))


Scope = Annotated[str, _text("scope", required=True)]
Due = Annotated[str, _text("description", required=True)]
Deliverables = Annotated[str, _text("deliverables")]
Quality = Annotated[str, _text("quality_requirements")]
Site = Annotated[str, _text("site")]
Manager = Annotated[str, _text("project_manager")]
Standard = Annotated[str, _text("quality_standard")]
Percent = Annotated[str, Meta(max_length=12, description="percent as a decimal string, e.g. \"30\"")]


class DisputeChoice(StrEnum):
    LITIGATION = "litigation"
    ARBITRATION = "arbitration"


class TermBody(Struct, forbid_unknown_fields=True):
    start: date
    end: date


class PaymentBody(Struct, forbid_unknown_fields=True):
    description: Due  # 支付节点
    percent: Percent


class ContractDraftBody(Struct, forbid_unknown_fields=True):
    """The owner's terms (合同条款). The parties, the amount, the procurement and the number
    come from the platform's records. ``site``, ``project_manager``, ``quality_standard``,
    ``warranty_months`` and ``retention_percent`` are for small works; ``deliverables`` and
    ``quality_requirements`` for intermediary services."""

    term: TermBody
    scope: Scope  # 服务内容 / 工程内容
    payments: Annotated[list[PaymentBody], Meta(min_length=1, max_length=20)]
    deliverables: Deliverables | UnsetType = UNSET
    quality_requirements: Quality | UnsetType = UNSET
    site: Site | UnsetType = UNSET
    project_manager: Manager | UnsetType = UNSET
    quality_standard: Standard | UnsetType = UNSET
    warranty_months: Annotated[int, Meta(ge=1, le=120)] | UnsetType = UNSET
    retention_percent: Percent | UnsetType = UNSET
    dispute_resolution: DisputeChoice | UnsetType = UNSET

    def terms(self) -> dict[str, Any]:
        """The owner's terms as the contract's JSON-like data (the fields given)."""
        given: dict[str, Any] = {
            "term": {"start": self.term.start.isoformat(), "end": self.term.end.isoformat()},
            "scope": self.scope,
            "payments": [{"description": p.description, "percent": p.percent} for p in self.payments],
        }
        for name in (
            "deliverables",
            "quality_requirements",
            "site",
            "project_manager",
            "quality_standard",
            "warranty_months",
            "retention_percent",
            "dispute_resolution",
        ):
            value = getattr(self, name)
            if value is not UNSET:
                given[name] = value.value if isinstance(value, StrEnum) else value
        return given


class ConfirmBody(Struct, forbid_unknown_fields=True):
    digest: Annotated[
        str,
        Meta(
            pattern="^[0-9a-fA-F]{64}$",
            description="the SHA-256 of the draft you read (its `digest`): a later draft is refused",
        ),
    ]


class ReassignBody(Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000, description="why (另行确定中选单位的理由)")]


class ContractOut(Struct):
    procurement_id: int
    award_id: int
    status: str
    contract_due_at: datetime | None
    sequence: int | None
    kind: str | None
    digest: str | None
    drafted_at: datetime | None
    owner_confirmed_at: datetime | None
    firm_confirmed_at: datetime | None
    document_id: str | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, status: ProcurementStatus, award: Award, signing: ContractSigning | None) -> ContractOut:
        def at(value: datetime | None) -> datetime | None:
            return local(value) if value is not None else None

        return cls(
            procurement_id=award.procurement_id,
            award_id=award.id,
            status=status.value,
            contract_due_at=at(award.contract_due_at),
            sequence=signing.sequence if signing else None,
            kind=signing.kind if signing else None,
            digest=signing.digest if signing else None,
            drafted_at=at(signing.drafted_at) if signing else None,
            owner_confirmed_at=at(signing.owner_confirmed_at) if signing else None,
            firm_confirmed_at=at(signing.firm_confirmed_at) if signing else None,
            document_id=signing.document_id if signing else None,
            data=dict(signing.data) if signing else None,
        )


class ReassignOut(Struct):
    procurement_id: int
    status: str
    award_id: int | None  # the new award, or None when nobody was left (流标)
    uscc: str | None


class AwardOut(Struct):
    award_id: int
    procurement_id: int
    reference: str
    title: str
    owner_name: str
    status: str
    status_label: str
    round: int
    rank: int
    amount: Decimal
    selected_at: datetime
    publicity_ends_at: datetime
    awarded_at: datetime | None
    contract_due_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    contract_sequence: int | None
    contract_digest: str | None
    contract_document_id: str | None
    next_step: str

    @classmethod
    def of(cls, line: AwardLine) -> AwardOut:
        a, s = line.award, line.signing
        return cls(
            award_id=a.id,
            procurement_id=a.procurement_id,
            reference=line.reference,
            title=line.title,
            owner_name=line.owner_name,
            status=line.status.value,
            status_label=line.status.label,
            round=a.round,
            rank=a.rank,
            amount=a.amount,
            selected_at=local(a.selected_at),
            publicity_ends_at=local(a.publicity_ends_at),
            awarded_at=local(a.awarded_at) if a.awarded_at else None,
            contract_due_at=local(a.contract_due_at) if a.contract_due_at else None,
            ended_at=local(a.ended_at) if a.ended_at else None,
            ended_reason=a.ended_reason,
            contract_sequence=s.sequence if s else None,
            contract_digest=s.digest if s else None,
            contract_document_id=s.document_id if s else None,
            next_step=line.next_step,
        )


class AwardList(Struct):
    items: list[AwardOut]


class OverdueOut(Struct):
    limit_id: int
    procurement_id: int
    reference: str
    title: str
    owner_name: str
    firm_name: str
    action: str
    label: str
    party: str
    subject: str
    started_at: datetime
    due_at: datetime
    flagged_at: datetime | None
    late_hours: int

    @classmethod
    def of(cls, line: OverdueLine) -> OverdueOut:
        return cls(
            limit_id=line.limit_id,
            procurement_id=line.procurement_id,
            reference=line.reference,
            title=line.title,
            owner_name=line.owner_name,
            firm_name=line.firm_name,
            action=line.action,
            label=line.label,
            party=line.party,
            subject=line.subject,
            started_at=local(line.started_at),
            due_at=local(line.due_at),
            flagged_at=local(line.flagged_at) if line.flagged_at else None,
            late_hours=max(0, int(line.late_by.total_seconds() // 3600)),
        )


class OverdueList(Struct):
    items: list[OverdueOut]
