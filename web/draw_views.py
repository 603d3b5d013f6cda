"""The draw ceremony as the pages show it: where each party's act stands (a code the
templates turn into a sentence, ``templates/draw/_messages.html``), a refusal as that code,
and the owner's publish step (the reserved reference, the beacon declaration as posted).

Which act is open is decided by :mod:`market.draw.service` when it is tried; these stages
only tell a person beforehand, from the same view anyone can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.draw import service as draw
from market.draw.declaration import AUDIT_HEAD, ROUND, BeaconDeclaration
from market.errors import InvalidInput, MarketError, NotFound
from market.models import Procurement
from market.principal import Principal, Role
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from web.procurement_page_views import china_time

PARTIES = ("platform", "owner", "supervisor")
# the draw is over (a small works waiting for its contractor has been drawn too)
ENDED = (
    ProcurementStatus.CANCELLED,
    ProcurementStatus.FAILED,
    ProcurementStatus.SELECTED,
    ProcurementStatus.CONFIRMING,
)
DRAW_FIELDS = ("owner_commitment", "beacon_source", "beacon_form", "beacon_reference")


def reveal_stage(view: draw.CeremonyView, party: str, now: datetime) -> str:
    """``revealed``, ``not-committed``, ``not-frozen`` (the window opens at the freeze),
    ``open``, ``closed`` (past the reveal deadline: left out) or ``ended``."""
    if any(r.party == party for r in view.reveals):
        return "revealed"
    if not any(c.party == party for c in view.commitments):
        return "not-committed"
    if view.freeze is None or now <= view.freeze.frozen_at:  # reveals come strictly after it
        return "ended" if view.freeze is None and view.status in ENDED else "not-frozen"
    if view.window_closed or now > view.reveal_deadline:
        return "closed"
    return "open"


def commit_stage(view: draw.CeremonyView, closes: datetime, now: datetime) -> str:
    """A supervisor's commitment: ``committed``, ``open`` (until ``closes``, when the inputs
    are fixed: the bid deadline or a small works' pool freeze) or ``closed``."""
    if any(c.party == "supervisor" for c in view.commitments):
        return "committed"
    return "open" if view.status is ProcurementStatus.PUBLISHED and now < closes else "closed"


def beacon_stage(view: draw.CeremonyView, now: datetime) -> str:
    """``platform`` (audit head, nothing to enter), ``entered``, ``early`` (before the reveal
    deadline), ``open`` or ``late`` (the selection has come)."""
    if view.beacon.source != "external":
        return "platform"
    if view.beacon.value is not None:
        return "entered"
    if view.status in ENDED or now >= view.selection_time:
        return "late"
    if now <= view.reveal_deadline or view.status is not ProcurementStatus.FROZEN:
        return "early"
    return "open"


def party_of(principal: Principal, asked: str) -> str:
    """The party a person reveals for: a supervisor's, else the owner's (``asked`` decides
    for an account holding both roles)."""
    if asked in ("owner", "supervisor"):
        return asked
    return "supervisor" if Role.SUPERVISOR in principal.roles else "owner"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused act, for the template: ``code`` picks the sentence, ``field`` where it goes."""

    code: str
    field: str
    detail: str = ""


def refusal_of(exc: MarketError, stage: str) -> Refusal:
    """The sentence a refusal of the draw's service gets. Conflicts (not now, not again) are
    said from the stage of the ceremony, which the service's own check agrees with."""
    if isinstance(exc, draw.RevealMismatch):
        return Refusal("mismatch", "secret")
    if isinstance(exc, draw.BeaconFormMismatch):
        return Refusal("beacon-form", "value", str(exc.details.get("form", "")))
    if isinstance(exc, InvalidInput):
        field = exc.field or "form"
        return Refusal(f"bad-{field}", field)
    if getattr(exc, "code", "") == "commitment-reused":
        return Refusal("reused", "commitment")
    return Refusal(f"stage-{stage}", "form")


async def ceremony_or_none(
    uow: Any, principal: Principal | None, procurement_id: int, now: datetime
) -> draw.CeremonyView | None:
    """The ceremony, or None for a draft or a procurement published before draws had one."""
    try:
        return await draw.ceremony_view(uow, principal, procurement_id, now=now)
    except NotFound:
        return None


@dataclass(frozen=True, slots=True)
class CeremonyPage:
    """The public section (公开抽取过程) with its times in China time."""

    view: draw.CeremonyView
    reveal_deadline: str
    frozen_at: str
    beacon_at: str
    record_at: str
    committed_at: Mapping[str, str]
    revealed_at: Mapping[str, str]
    record_link: str


def ceremony_page(view: draw.CeremonyView) -> CeremonyPage:
    return CeremonyPage(
        view=view,
        reveal_deadline=china_time(view.reveal_deadline),
        frozen_at=china_time(view.freeze.frozen_at) if view.freeze else "",
        beacon_at=china_time(view.beacon.at),
        record_at=china_time(view.record.created_at) if view.record else "",
        committed_at={c.party: china_time(c.committed_at) for c in view.commitments},
        revealed_at={r.party: china_time(r.revealed_at) for r in view.reveals},
        record_link=f"/api/procurements/{view.procurement_id}/record",
    )


# -- the owner's publish step ----------------------------------------------------------------
def declaration_of(posted: Mapping[str, Any]) -> tuple[dict[str, str], BeaconDeclaration | None]:
    """The draw fields of the publish form as typed, and the beacon they declare. Choosing
    the audit head needs nothing else typed: its form and event are the platform's."""
    fields = {name: str(posted.get(name) or "").strip() for name in DRAW_FIELDS}
    source = fields["beacon_source"]
    if not source:
        return fields, None
    if source == AUDIT_HEAD.source:
        return fields, AUDIT_HEAD
    return fields, BeaconDeclaration(source, fields["beacon_form"], fields["beacon_reference"])


NEW_DECLARATION = {"beacon_source": "external", "beacon_form": "digits:3", "beacon_reference": ""}


def publish_context(
    terms: ProcurementTerms, row: Procurement | None, typed: Mapping[str, str] | None
) -> dict[str, Any]:
    """What the publish step shows: whether the draft has its reference for the commitment
    (one reserved for another kind is reserved again), the round, the beacon sources."""
    reference = row.reference if row is not None else None
    fits = bool(reference and row is not None and reference.startswith(terms.of(row.kind).prefix + "-"))
    return {
        "draw_reference": reference if fits else None,
        "draw_round": ROUND,
        "beacon_sources": terms.beacon_sources,
        "draw_form": {**NEW_DECLARATION, **(typed or {})},
    }
