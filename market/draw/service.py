"""The draw ceremony as people take part in it (docs/draw-spec.md §3).

- a supervisor may add a commitment until the freeze (:func:`commit`);
- the owner's organisation and a supervisor reveal their secrets after the freeze, at or
  before the reveal deadline (:func:`reveal`); a second reveal, a reveal outside the window or
  one that does not match its commitment is refused with its reason and nothing is written;
- a supervisor enters the external beacon's value after the reveal deadline and before the
  selection, exactly in its declared form and for the declared event (:func:`enter_beacon`);
- anyone reads the ceremony once the procurement is published (:func:`ceremony_view`) —
  who has revealed, but no secret until the window has closed — and the record once there
  is one (:func:`record_of`).

What time does (the freeze, the selection) is in :mod:`market.draw.steps`. Each function
takes the caller's unit of work and the time; the caller commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from market import audit, policy
from market.audit import Actor
from market.clock import local
from market.db import UnitOfWork
from market.draw.declaration import HEX64
from market.draw.rounds import (
    add_commitment,
    commitments_close,
    commitments_of,
    committing_party,
    current_round,
    prepare_round,
    reveals_of,
)
from market.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from market.models import DrawReveal, DrawRound, Procurement, SelectionRecordRow
from market.principal import Principal, Role
from market.procurement.service import load
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from selection.ceremony import beacon_form_ok
from selection.ceremony import commitment as commitment_of

__all__ = [
    "CeremonyView",
    "ceremony_view",
    "commit",
    "enter_beacon",
    "prepare_round",
    "record_of",
    "reveal",
]

OUTSIDE_PARTIES = ("owner", "supervisor")


class RevealMismatch(InvalidInput):
    """The secret does not give the party's commitment for this procurement and round."""

    code = "reveal-mismatch"


class RevealRefused(Conflict):
    """Not now or not again: outside the reveal window, revealed already, or never committed."""

    code = "reveal-refused"


class CommitmentsClosed(Conflict):
    code = "commitments-closed"


class BeaconFormMismatch(InvalidInput):
    """The value is not written exactly in the declared form (one event, one spelling)."""

    code = "beacon-form-mismatch"


class BeaconRefused(Conflict):
    """Not now, not this source, or entered already."""

    code = "beacon-refused"


def _supervisor(principal: Principal) -> None:
    if Role.SUPERVISOR not in principal.roles:
        raise PermissionDenied("only a supervisor (监督) does this")


async def _procurement(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int
) -> tuple[Procurement, str]:
    row = await load(uow, principal, procurement_id, lock=True)
    if row.reference is None:
        raise NotFound(f"procurement {procurement_id} is not published: it has no draw")
    return row, row.reference


async def commit(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    commitment: str,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> None:
    """A supervisor's commitment — or, to a redrawn round, the owner's — until the freeze (the
    bid deadline, a pool's freeze, a redraw's freeze): after it the inputs are fixed and a late
    commitment could be chosen knowing them."""
    if Role.SUPERVISOR not in principal.roles and Role.OWNER not in principal.roles:
        _supervisor(principal)
    row, _ = await _procurement(uow, principal, procurement_id)
    draw = await current_round(uow, row.id, lock=True)
    party = committing_party(principal, row, draw.round)
    closes = commitments_close(row, terms)
    open_status = row.status in (ProcurementStatus.PUBLISHED, ProcurementStatus.REDRAWING)
    if not open_status or now >= closes:
        raise CommitmentsClosed(
            f"commitments to the draw of {row.reference} closed at the freeze "
            f"({local(closes):%Y-%m-%d %H:%M} China time)",
            closed_at=closes.isoformat(),
        )
    if not isinstance(commitment, str) or HEX64.fullmatch(commitment) is None:
        raise InvalidInput("the commitment is 64 lowercase hex digits (SHA-256)", field="commitment")
    if any(c.party == party for c in await commitments_of(uow, draw)):
        raise CommitmentsClosed(f"the {party} has committed to round {draw.round} of {row.reference} already")
    await add_commitment(uow, row, draw.round, party, commitment, principal.user_id, now)
    await audit.record(
        uow,
        actor,
        "draw:committed",
        "procurement",
        row.id,
        {"reference": row.reference, "round": draw.round, "commitments": {party: commitment}},
    )


def _may_reveal_for(principal: Principal, row: Procurement, party: str) -> None:
    if party == "owner" and not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied("the owner's secret is revealed by the owner's organisation (业主)")
    if party == "supervisor":
        _supervisor(principal)
    if party not in OUTSIDE_PARTIES:
        raise InvalidInput("party is owner or supervisor (the platform reveals its own)", field="party")


async def reveal(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    party: str,
    secret: str,
    now: datetime,
) -> None:
    """Reveal ``party``'s secret in the window: after the freeze, at or before the deadline."""
    row, reference = await _procurement(uow, principal, procurement_id)
    _may_reveal_for(principal, row, party)
    draw = await current_round(uow, row.id, lock=True)
    if draw.frozen_at is None or now <= draw.frozen_at:
        raise RevealRefused(
            f"the inputs of {row.reference} are not frozen yet: secrets are revealed after the freeze "
            "at the bid deadline",
            party=party,
        )
    if now > draw.reveal_deadline:
        raise RevealRefused(
            f"the reveal window of {row.reference} closed at {draw.reveal_deadline.isoformat()}; "
            f"the {party} is left out of the draw (withheld)",
            party=party,
            reveal_deadline=draw.reveal_deadline.isoformat(),
        )
    if row.status is not ProcurementStatus.FROZEN:
        # failed at the freeze (too few respondents): its record was made without reveals
        raise RevealRefused(
            f"no draw will be made for {row.reference} ({row.status.label}): there is nothing to reveal",
            party=party,
            procurement_status=row.status.value,
        )
    committed = next((c for c in await commitments_of(uow, draw) if c.party == party), None)
    if committed is None:
        raise RevealRefused(f"the {party} did not commit to the draw of {row.reference}", party=party)
    if any(r.party == party for r in await reveals_of(uow, draw)):
        raise RevealRefused(
            f"the {party}'s secret for {row.reference} has been revealed already", party=party
        )
    if not isinstance(secret, str) or HEX64.fullmatch(secret) is None:
        raise InvalidInput("the secret is the 64 lowercase hex digits you kept", field="secret")
    if commitment_of(reference, draw.round, party, secret) != committed.commitment:
        raise RevealMismatch(
            f"this secret does not match the {party}'s commitment {committed.commitment} for "
            f"{row.reference} round {draw.round}; check that it is the secret kept for this procurement",
            field="secret",
            party=party,
        )
    uow.session.add(
        DrawReveal(
            procurement_id=row.id,
            round=draw.round,
            party=party,
            secret=secret,
            revealed_at=now,
            revealed_by=principal.user_id,
            counted=True,
        )
    )
    await uow.session.flush()
    # the secret stays out of the audit entry: it is shown only once the window has closed
    await audit.record(
        uow,
        actor,
        "draw:revealed",
        "procurement",
        row.id,
        {"reference": row.reference, "round": draw.round, "party": party, "commitment": committed.commitment},
    )


async def enter_beacon(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    value: str,
    reference: str,
    now: datetime,
) -> None:
    """The external beacon's value, by a supervisor, after the reveal deadline and before the
    selection, for the event declared at publication and exactly in its declared form."""
    _supervisor(principal)
    row, _ = await _procurement(uow, principal, procurement_id)
    draw = await current_round(uow, row.id, lock=True)
    if draw.beacon_source != "external":
        raise BeaconRefused(
            f"the beacon of {row.reference} is the platform's audit chain head, sealed at the selection time"
        )
    if draw.beacon_value is not None:
        raise BeaconRefused(f"the beacon value of {row.reference} was entered already: {draw.beacon_value}")
    if now <= draw.reveal_deadline or now >= row.selection_time or row.status is not ProcurementStatus.FROZEN:
        raise BeaconRefused(
            f"the beacon of {row.reference} is entered after the reveal deadline "
            f"{draw.reveal_deadline.isoformat()} and before the selection {row.selection_time.isoformat()}",
            reveal_deadline=draw.reveal_deadline.isoformat(),
            selection_time=row.selection_time.isoformat(),
        )
    if not isinstance(reference, str) or reference.strip() != draw.beacon_reference:
        raise InvalidInput(
            f"the beacon declared at publication is {draw.beacon_reference!r}; enter the value of that event",
            field="reference",
        )
    if not isinstance(value, str) or not beacon_form_ok(draw.beacon_form, value):
        raise BeaconFormMismatch(
            f"{value!r} is not written in the declared form {draw.beacon_form} "
            "(digits:N: exactly N ASCII digits, no spaces or separators; hex64: 64 lowercase hex digits)",
            field="value",
            form=draw.beacon_form,
        )
    draw.beacon_value, draw.beacon_at, draw.beacon_entered_by = value, now, principal.user_id
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "draw:beacon_entered",
        "procurement",
        row.id,
        {"reference": row.reference, "round": draw.round, "beacon": draw.beacon_reference, "value": value},
    )


# -- reading ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CommitmentView:
    party: str
    commitment: str
    committed_at: datetime


@dataclass(frozen=True, slots=True)
class RevealView:
    party: str
    revealed_at: datetime
    counted: bool
    secret: str | None  # None until the reveal window has closed


@dataclass(frozen=True, slots=True)
class BeaconView:
    source: str
    form: str
    reference: str
    value: str | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class FreezeView:
    audit_entry: str
    frozen_at: datetime
    configuration: str
    candidates: str
    bids: str


@dataclass(frozen=True, slots=True)
class RecordSummary:
    digest: str
    outcome: str
    created_at: datetime
    winners: list[str]
    alternates: list[str]


@dataclass(frozen=True, slots=True)
class CeremonyView:
    procurement_id: int
    reference: str
    round: int
    status: ProcurementStatus
    reveal_deadline: datetime
    selection_time: datetime
    window_closed: bool
    commitments: list[CommitmentView]
    freeze: FreezeView | None
    reveals: list[RevealView]
    withheld: list[str]  # committed parties with no counted reveal, once the window has closed
    beacon: BeaconView
    record: RecordSummary | None

    @property
    def verify_command(self) -> str | None:
        """The command that re-computes the record and checks it against the frozen digests."""
        if self.freeze is None or self.record is None:
            return None
        f = self.freeze
        frozen = f"configuration={f.configuration},candidates={f.candidates},bids={f.bids}"
        return f"python -S -m selection.verify --frozen {frozen} record.json"


def freeze_view(draw: DrawRound) -> FreezeView | None:
    if draw.frozen_at is None or draw.freeze_digests is None:
        return None
    d = draw.freeze_digests
    return FreezeView(
        f"audit:{draw.freeze_audit_id}", draw.frozen_at, d["configuration"], d["candidates"], d["bids"]
    )


async def stored_record(uow: UnitOfWork, procurement_id: int, round_number: int) -> SelectionRecordRow | None:
    return await uow.session.scalar(
        select(SelectionRecordRow).where(
            SelectionRecordRow.procurement_id == procurement_id, SelectionRecordRow.round == round_number
        )
    )


async def ceremony_view(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, *, now: datetime
) -> CeremonyView:
    """The ceremony as anyone may see it once the procurement is published."""
    row = await load(uow, principal, procurement_id)
    if row.reference is None:
        raise NotFound(f"procurement {procurement_id} is not published: it has no draw")
    draw = await current_round(uow, row.id)
    record = await stored_record(uow, row.id, draw.round)
    closed = now > draw.reveal_deadline or record is not None
    commitments = await commitments_of(uow, draw)
    reveals = await reveals_of(uow, draw)
    counted = {r.party for r in reveals if r.counted}
    summary = None
    if record is not None:
        data = json.loads(record.record)
        summary = RecordSummary(
            record.digest, record.outcome, record.created_at, list(data["winners"]), list(data["alternates"])
        )
    return CeremonyView(
        procurement_id=row.id,
        reference=row.reference,
        round=draw.round,
        status=row.status,
        reveal_deadline=draw.reveal_deadline,
        selection_time=row.selection_time,
        window_closed=closed,
        commitments=[CommitmentView(c.party, c.commitment, c.committed_at) for c in commitments],
        freeze=freeze_view(draw),
        reveals=[
            RevealView(r.party, r.revealed_at, r.counted, r.secret if closed else None) for r in reveals
        ],
        withheld=[c.party for c in commitments if c.party not in counted]
        if closed and draw.frozen_at
        else [],
        beacon=BeaconView(
            draw.beacon_source, draw.beacon_form, draw.beacon_reference, draw.beacon_value, draw.beacon_at
        ),
        record=summary,
    )


async def record_of(
    uow: UnitOfWork, principal: Principal | None, procurement_id: int, round_number: int | None = None
) -> bytes:
    """The record's canonical JSON, as ``selection`` wrote it, once the selection (or its
    failure) has been made."""
    row = await load(uow, principal, procurement_id)
    if round_number is None:
        try:
            round_number = (await current_round(uow, row.id)).round
        except NotFound:  # a direct selection draws nothing: no round, its record is round 1
            round_number = 1
    stored = await stored_record(uow, row.id, round_number)
    if stored is None:
        raise NotFound(
            f"procurement {procurement_id} has no selection record for round {round_number} yet",
            procurement_id=procurement_id,
        )
    return stored.record.encode("utf-8")
