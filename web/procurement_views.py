"""What the procurement API answers, as msgspec Read structs built by ``.of()`` from what
:mod:`market.procurement.listing` and the services return; request bodies are in
:mod:`web.procurement_schemas`. Amounts go out as JSON strings ("180000.00"), times RFC 3339.
Nothing here says anything about bids (issue 11's secrecy rules)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from msgspec import Meta, Struct

from market.procurement.draft import DraftTerms
from market.procurement.listing import (
    AttachmentEntry,
    EligibilityCount,
    Listing,
    ProcurementDetail,
    ProcurementSummary,
    VersionEntry,
)
from market.procurement.republish import Attempt, AttemptChain
from market.procurement.service import Amended

Yuan = Annotated[Decimal, Meta(description='yuan, e.g. "180000.00"')]


class ProcurementLine(Struct):
    """One procurement in a list."""

    id: int
    reference: str | None
    kind: str
    kind_label: str
    status: str
    status_label: str
    title: str
    owner_organisation_id: int
    owner_name: str
    division_code: str
    service_type: str | None
    work_field: str | None
    budget: Yuan
    ceiling: Yuan
    quote_mode: str | None
    bid_deadline: datetime | None
    selection_time: datetime
    published_at: datetime | None
    version: Annotated[int, Meta(description="send it back (If-Match or expected_version) to change it")]

    @classmethod
    def of(cls, s: ProcurementSummary) -> ProcurementLine:
        return cls(
            id=s.id,
            reference=s.reference,
            kind=s.kind.value,
            kind_label=s.kind.label,
            status=s.status.value,
            status_label=s.status.label,
            title=s.title,
            owner_organisation_id=s.owner_organisation_id,
            owner_name=s.owner_name,
            division_code=s.division_code,
            service_type=s.service_type,
            work_field=s.work_field,
            budget=s.budget,
            ceiling=s.ceiling,
            quote_mode=None if s.quote_mode is None else s.quote_mode.value,
            bid_deadline=s.bid_deadline,
            selection_time=s.selection_time,
            published_at=s.published_at,
            version=s.version,
        )


class ProcurementList(Struct):
    items: list[ProcurementLine]
    total: int
    page: int
    per_page: int
    pages: int

    @classmethod
    def of(cls, listing: Listing) -> ProcurementList:
        return cls(
            [ProcurementLine.of(s) for s in listing.items],
            listing.total,
            listing.page,
            listing.per_page,
            listing.pages,
        )


class AvoidanceView(Struct):
    firm: Annotated[str, Meta(description="the firm's USCC (统一社会信用代码)")]
    reason: str


class CriterionView(Struct):
    code: str
    name: str
    max_points: Annotated[Decimal, Meta(description="points, two places; the criteria add up to 100")]


class TermsView(Struct):
    """The terms as the owner set them (what a draft body sends, and amendments change)."""

    kind: str
    title: str
    description: str
    division: str
    service_type: str | None
    work_field: str | None
    budget: Yuan
    ceiling: Yuan
    floor: Yuan | None
    quote_mode: str | None
    method: str
    variant: str | None
    method_params: dict[str, Any]
    winners: int
    alternates: int
    bid_deadline: datetime | None
    selection_time: datetime
    contact_name: str
    contact_phone: str
    avoidance: list[AvoidanceView]
    requirements: dict[str, Any]
    # the review step of a scored method weighing technical scores (评审因素, 评审截止时间)
    review_criteria: list[CriterionView] = []
    review_deadline: datetime | None = None

    @classmethod
    def of(cls, t: DraftTerms) -> TermsView:
        return cls(
            kind=t.kind.value,
            title=t.title,
            description=t.description,
            division=t.division,
            service_type=t.service_type,
            work_field=t.work_field,
            budget=t.budget,
            ceiling=t.ceiling,
            floor=t.floor,
            quote_mode=None if t.quote_mode is None else t.quote_mode.value,
            method=t.method,
            variant=t.variant,
            method_params=dict(t.method_params),
            winners=t.winners,
            alternates=t.alternates,
            bid_deadline=t.bid_deadline,
            selection_time=t.selection_time,
            contact_name=t.contact_name,
            contact_phone=t.contact_phone,
            avoidance=[AvoidanceView(a.firm, a.reason) for a in t.avoidance],
            requirements=dict(t.requirements),
            review_criteria=[CriterionView(c.code, c.name, c.max_points) for c in t.review_criteria],
            review_deadline=t.review_deadline,
        )


class VersionView(Struct):
    """A published version: 1 is the publication, each later one an amendment (变更公告)."""

    sequence: int
    created_at: datetime
    reason: str
    diff: Annotated[dict[str, Any], Meta(description="per changed field: {old, new}")]
    terms_sha256: str

    @classmethod
    def of(cls, v: VersionEntry) -> VersionView:
        return cls(v.sequence, v.created_at, v.reason, v.diff, v.terms_sha256)


class VersionDetail(Struct):
    sequence: int
    created_at: datetime
    reason: str
    diff: dict[str, Any]
    terms_sha256: str
    terms: TermsView


class VersionList(Struct):
    procurement_id: int
    reference: str | None
    versions: list[VersionView]


class AttachmentView(Struct):
    id: int
    name: str
    media_type: str
    size: Annotated[int, Meta(description="bytes")]
    sha256: Annotated[str, Meta(description="SHA-256 of the file, hex: check your download against it")]
    added_in_version: Annotated[int | None, Meta(description="null while the procurement is a draft")]
    created_at: datetime
    download: str

    @classmethod
    def of(cls, procurement_id: int, a: AttachmentEntry) -> AttachmentView:
        url = f"/api/procurements/{procurement_id}/attachments/{a.id}"
        return cls(a.id, a.name, a.media_type, a.size, a.sha256, a.added_in_version, a.created_at, url)


class AttachmentList(Struct):
    procurement_id: int
    attachments: list[AttachmentView]


class AttemptView(Struct):
    """Another attempt of the same procurement (流标 and re-publication)."""

    id: int
    reference: str | None
    attempt: Annotated[int, Meta(description="第N次")]
    status: str
    status_label: str
    method: str

    @classmethod
    def of(cls, a: Attempt) -> AttemptView:
        return cls(a.id, a.reference, a.attempt, a.status.value, a.status.label, a.method)


class DirectDecisionView(Struct):
    """How a directly selected attempt came about: the owner's request and its approval."""

    request_id: int
    reason: str
    requested_at: datetime
    approved_at: datetime
    note: str


class ProcurementView(Struct):
    """One procurement with everything its readers may see."""

    id: int
    reference: str | None
    kind: str
    kind_label: str
    status: str
    status_label: str
    owner_organisation_id: int
    owner_name: str
    version: int
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    bids_valid_from: Annotated[
        int, Meta(description="bids confirmed against an earlier version must be re-confirmed")
    ]
    terms: TermsView
    versions: list[VersionView]
    attachments: list[AttachmentView]
    attempt: Annotated[int, Meta(description="第N次: 1 unless it follows failed attempts")] = 1
    earlier_attempts: Annotated[list[AttemptView], Meta(description="oldest first")] = []
    next_attempt: AttemptView | None = None
    direct_decision: DirectDecisionView | None = None

    @classmethod
    def of(cls, d: ProcurementDetail) -> ProcurementView:
        s = d.summary
        chain = d.chain or AttemptChain(1)
        decision = chain.direct
        return cls(
            id=s.id,
            reference=s.reference,
            kind=s.kind.value,
            kind_label=s.kind.label,
            status=s.status.value,
            status_label=s.status.label,
            owner_organisation_id=s.owner_organisation_id,
            owner_name=s.owner_name,
            version=s.version,
            published_at=s.published_at,
            cancelled_at=d.cancelled_at,
            cancel_reason=d.cancel_reason,
            bids_valid_from=d.bids_valid_from,
            terms=TermsView.of(d.terms),
            versions=[VersionView.of(v) for v in d.versions],
            attachments=[AttachmentView.of(s.id, a) for a in d.attachments],
            attempt=chain.attempt,
            earlier_attempts=[AttemptView.of(a) for a in chain.earlier],
            next_attempt=None if chain.next is None else AttemptView.of(chain.next),
            direct_decision=None if decision is None else DirectDecisionView(**asdict(decision)),
        )


class RefusalCount(Struct):
    code: Annotated[str, Meta(description="the registries' reason code, e.g. licence-missing")]
    firms: int


class ProblemView(Struct):
    field: str
    message: str


class EligibilityView(Struct):
    """How many firms the procurement could draw from now, and why the others could not."""

    at: datetime
    counted: Annotated[bool, Meta(description="false: the requirements have problems (see problems)")]
    eligible: int
    needed: Annotated[int, Meta(description="firms the method needs at least")]
    enough: bool
    published_firms: Annotated[int, Meta(description="published firms of the registry drawn from")]
    refusals: list[RefusalCount]
    judged: Annotated[int, Meta(description="ineligible firms whose reasons are counted (bounded)")]
    refusals_complete: bool
    problems: list[ProblemView]

    @classmethod
    def of(cls, c: EligibilityCount) -> EligibilityView:
        return cls(
            at=c.at,
            counted=c.counted,
            eligible=c.eligible,
            needed=c.needed,
            enough=c.enough,
            published_firms=c.published,
            refusals=[RefusalCount(code, n) for code, n in c.refusals.items()],
            judged=c.judged,
            refusals_complete=c.refusals_complete,
            problems=[ProblemView(p.field, p.message) for p in c.problems],
        )


class AmendmentView(Struct):
    """A published amendment (变更公告)."""

    procurement_id: int
    reference: str | None
    version: int
    sequence: Annotated[int, Meta(description="the new published version's number")]
    reason: str
    diff: dict[str, Any]
    deadline_moved: bool
    reconfirm_bids: Annotated[bool, Meta(description="bids already in must be confirmed again")]
    bid_deadline: datetime | None
    selection_time: datetime
    bids_valid_from: int

    @classmethod
    def of(cls, amended: Amended, reason: str, diff: dict[str, Any]) -> AmendmentView:
        row, effect = amended.procurement, amended.effect
        return cls(
            procurement_id=row.id,
            reference=row.reference,
            version=row.version,
            sequence=amended.sequence,
            reason=reason,
            diff=diff,
            deadline_moved=effect.deadline_moved,
            reconfirm_bids=effect.reconfirm_bids,
            bid_deadline=row.bid_deadline,
            selection_time=row.selection_time,
            bids_valid_from=row.bids_valid_from,
        )
