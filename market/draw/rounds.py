"""A procurement's draw round, stored: made at publication, read by every later step.

:func:`prepare_round` is the publication hook. It records the owner's commitment (made
outside the platform) and the platform's own: a fresh 32-byte secret whose commitment is
published now and whose secret is sealed under a key derived from the key file, so that
neither the database nor its dumps show it before the platform reveals it at the freeze.
The platform cannot steer the draw with it: its commitment is fixed at publication, before
the inputs exist, and the owner's secret (and the beacon) stay unknown to it until after the
inputs are frozen.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from market import audit, policy
from market.audit import Actor
from market.db import UnitOfWork
from market.draw.declaration import ROUND, BeaconDeclaration, beacon_problems, commitment_problem
from market.errors import Conflict, NotFound, PermissionDenied
from market.models import DrawCommitment, DrawReveal, DrawRound, Procurement
from market.principal import Principal, Role
from market.procurement.draft import DraftTerms
from market.procurement.problems import Problem
from market.procurement.publication import pool_freeze_time, reveal_deadline
from market.procurement.states import ProcurementStatus
from market.procurement.terms import ProcurementTerms
from market.sealed.keys import KeyEncryptionKey
from selection.ceremony import commitment as commitment_of

SECRET_PURPOSE = "draw platform secret"  # noqa: S105 (a key-derivation label, not a secret)


class CommitmentReused(Conflict):
    """The commitment was seen before, in this or another procurement or round."""

    code = "commitment-reused"


def secret_context(reference: str, round_number: int) -> str:
    return f"{reference}#{round_number}"


async def commitment_seen(uow: UnitOfWork, value: str) -> bool:
    found = await uow.session.scalar(select(DrawCommitment.id).where(DrawCommitment.commitment == value))
    return found is not None


async def add_commitment(
    uow: UnitOfWork,
    row: Procurement,
    round_number: int,
    party: str,
    value: str,
    by: int | None,
    now: datetime,
) -> None:
    """Insert a commitment; the unique index refuses one seen before (also between two
    requests racing with the same digest), and nothing else of the transaction is lost."""
    if await commitment_seen(uow, value):
        raise CommitmentReused(
            "this commitment has been used before; make a new secret for this procurement and round",
            party=party,
        )
    try:
        async with uow.session.begin_nested():
            uow.session.add(
                DrawCommitment(
                    procurement_id=row.id,
                    round=round_number,
                    party=party,
                    commitment=value,
                    committed_by=by,
                    committed_at=now,
                )
            )
            await uow.session.flush()
    except IntegrityError:
        raise CommitmentReused(
            f"the {party} of {row.reference} has committed already, or this commitment was used before",
            party=party,
        ) from None


def _reference_problem(terms: ProcurementTerms, row: Procurement, draft: DraftTerms) -> Problem | None:
    if row.reference is None:
        return Problem(
            "owner_commitment",
            "reserve the procurement's reference first (预留编号): the commitment is made over it",
        )
    if not row.reference.startswith(terms.of(draft.kind).prefix + "-"):
        return Problem("owner_commitment", f"{row.reference} was reserved for another kind; reserve again")
    return None


async def draw_problems(
    uow: UnitOfWork,
    terms: ProcurementTerms,
    row: Procurement,
    draft: DraftTerms,
    owner_commitment: str | None,
    beacon: BeaconDeclaration | None,
) -> list[Problem]:
    """The draw's declaration: the beacon, and the owner's commitment (optional for a direct
    selection, which draws nothing), over a reserved reference and never seen before."""
    problems = beacon_problems(terms, beacon)
    if owner_commitment is None and draft.method == "direct":
        return problems
    problem = commitment_problem("owner_commitment", owner_commitment)
    problem = problem or _reference_problem(terms, row, draft)
    if problem is None and await commitment_seen(uow, str(owner_commitment)):
        problem = Problem("owner_commitment", "this commitment was used before; make a new secret")
    return problems + ([problem] if problem is not None else [])


async def prepare_round(
    uow: UnitOfWork,
    actor: Actor,
    bid_key: KeyEncryptionKey,
    row: Procurement,
    owner_commitment: str | None,
    beacon: BeaconDeclaration,
    now: datetime,
    *,
    terms: ProcurementTerms,
) -> None:
    """Open round 1 of the draw of ``row`` (being published, with its reference): the
    platform's commitment, the owner's (``None`` only for a direct selection, which draws
    nothing) and the declared beacon; audited as ``draw:committed``. The caller commits."""
    assert row.reference is not None
    secret = secrets.token_hex(32)
    uow.session.add(
        DrawRound(
            procurement_id=row.id,
            round=ROUND,
            reveal_deadline=reveal_deadline(row.selection_time, terms.of(row.kind)),
            beacon_source=beacon.source,
            beacon_reference=beacon.reference.strip(),
            beacon_form=beacon.form,
            platform_secret_sealed=bid_key.seal(
                SECRET_PURPOSE, secret_context(row.reference, ROUND), secret.encode()
            ),
            platform_secret_key_id=bid_key.key_id,
            created_at=now,
        )
    )
    await uow.session.flush()
    platform = commitment_of(row.reference, ROUND, "platform", secret)
    await add_commitment(uow, row, ROUND, "platform", platform, None, now)
    committed = {"platform": platform}
    if owner_commitment is not None:
        await add_commitment(uow, row, ROUND, "owner", owner_commitment, actor.id, now)
        committed["owner"] = owner_commitment
    await audit.record(
        uow,
        actor,
        "draw:committed",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "round": ROUND,
            "commitments": committed,
            "beacon": {"source": beacon.source, "form": beacon.form, "reference": beacon.reference.strip()},
        },
    )


def committing_party(principal: Principal, row: Procurement, draw_round: int) -> str:
    """A supervisor commits to any round; the owner committed to round 1 at publication and
    commits to a redrawn round (after an upheld objection) here."""
    if Role.SUPERVISOR in principal.roles:
        return "supervisor"
    if draw_round > 1 and policy.acts_for_owner(principal, row.owner_organisation_id):
        return "owner"
    raise PermissionDenied(
        "a supervisor (监督) commits here; the owner (业主) commits at publication, or to a redrawn round"
    )


def commitments_close(row: Procurement, terms: ProcurementTerms) -> datetime:
    if row.status is ProcurementStatus.REDRAWING and row.redraw_freeze_at is not None:
        return row.redraw_freeze_at
    return row.bid_deadline or pool_freeze_time(row.selection_time, terms.of(row.kind))


async def current_round(uow: UnitOfWork, procurement_id: int, *, lock: bool = False) -> DrawRound:
    query = (
        select(DrawRound)
        .where(DrawRound.procurement_id == procurement_id)
        .order_by(DrawRound.round.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update()
    found = await uow.session.scalar(query)
    if found is None:
        raise NotFound(f"procurement {procurement_id} has no draw", procurement_id=procurement_id)
    return found


async def commitments_of(uow: UnitOfWork, draw: DrawRound) -> list[DrawCommitment]:
    return list(
        await uow.session.scalars(
            select(DrawCommitment)
            .where(DrawCommitment.procurement_id == draw.procurement_id, DrawCommitment.round == draw.round)
            .order_by(DrawCommitment.id)
        )
    )


async def reveals_of(uow: UnitOfWork, draw: DrawRound) -> list[DrawReveal]:
    return list(
        await uow.session.scalars(
            select(DrawReveal)
            .where(DrawReveal.procurement_id == draw.procurement_id, DrawReveal.round == draw.round)
            .order_by(DrawReveal.revealed_at)
        )
    )


def platform_secret(bid_key: KeyEncryptionKey, reference: str, draw: DrawRound) -> str:
    """The platform's secret, unsealed: only the freeze reveals it."""
    blob = draw.platform_secret_sealed
    return bid_key.unseal(SECRET_PURPOSE, secret_context(reference, draw.round), blob).decode("ascii")
