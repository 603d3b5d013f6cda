"""What the API and the pages show of re-publication and direct selection requests (shared,
since controllers never import one another)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from msgspec import Meta, Struct

from market.direct.service import RequestLine
from market.procurement import limits
from market.procurement.republish import AttemptChain
from web.procurement_page_views import china_time

Reason = Annotated[str, Meta(max_length=limits.REASON, description=f"at most {limits.REASON} characters")]
Uscc = Annotated[str, Meta(max_length=40, description="统一社会信用代码 of the firm, 18 characters")]

#: The words a decision is shown with.
DECISION_LABELS = {None: "待审批", "approved": "已批准", "rejected": "已驳回"}


class DirectRequestBody(Struct, forbid_unknown_fields=True):
    uscc: Uscc
    reason: Reason


class DecisionBody(Struct, forbid_unknown_fields=True):
    note: Annotated[
        str, Meta(max_length=limits.REASON, description="why (required to reject; optional to approve)")
    ] = ""


class DirectRequestView(Struct):
    """A request for direct selection after failed attempts, and how it was decided."""

    id: int
    procurement_id: int
    reference: str | None
    title: str
    uscc: str
    firm_name: str
    reason: str
    requested_at: datetime
    decision: Annotated[str | None, Meta(description="null while pending; approved or rejected")]
    decision_label: str
    decided_at: datetime | None
    decision_note: str
    successor_id: Annotated[int | None, Meta(description="the attempt an approval made")]

    @classmethod
    def of(cls, line: RequestLine) -> DirectRequestView:
        r = line.request
        return cls(
            id=r.id,
            procurement_id=r.procurement_id,
            reference=line.reference,
            title=line.title,
            uscc=line.uscc,
            firm_name=line.firm_name,
            reason=r.reason,
            requested_at=r.requested_at,
            decision=r.decision,
            decision_label=DECISION_LABELS.get(r.decision, r.decision or ""),
            decided_at=r.decided_at,
            decision_note=r.decision_note,
            successor_id=r.successor_id,
        )


class DirectRequestList(Struct):
    items: list[DirectRequestView]


def chain_context(procurement_id: int, chain: AttemptChain | None) -> dict[str, Any]:
    """What ``rounds/_chain.html`` needs, times in China time."""
    approved = chain.direct.approved_at if chain is not None and chain.direct is not None else None
    return {"chain": chain, "row_id": procurement_id, "approved_at": china_time(approved)}
