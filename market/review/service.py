"""The review step, stored (评审): naming reviewers, entering and submitting scores, and a
reviewer's own sheet (what follows the deadline is :mod:`.published`).

Who may do what: the owner's organisation (its owner accounts) names reviewers among its own
owner accounts, until the bid deadline; a named reviewer enters and submits its own scores
after the opening and before the review deadline. Before the freeze nobody but the reviewer
sees its scores — the owner's organisation and supervisors see who is named and who
submitted; after the freeze every submitted score is public. Each act is audited; a refusal
raises before anything is written (the caller commits).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from market import audit, policy
from market.audit import Actor
from market.clock import local
from market.db import UnitOfWork
from market.draw.rounds import current_round
from market.errors import Conflict, InvalidInput, PermissionDenied
from market.models import (
    BidOpening,
    Procurement,
    ProcurementReviewer,
    ReviewScore,
    Role,
    User,
)
from market.principal import Principal
from market.procurement.draft import DraftTerms, ReviewCriterion
from market.procurement.review_terms import needs_review
from market.procurement.service import load, stored_terms
from market.procurement.states import ProcurementStatus
from market.review import rules
from market.review.rules import Sheet, Window


class NoReviewStep(Conflict):
    """The procurement's method does not weigh technical scores: there is nothing to review."""

    code = "no-review-step"


@dataclass(frozen=True, slots=True)
class Firm:
    uscc: str
    firm_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Reviewer:
    user_id: int
    display_name: str
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReviewSheet:
    """One reviewer's sheet as the reviewer sees it."""

    procurement_id: int
    reference: str | None
    title: str
    criteria: tuple[ReviewCriterion, ...]
    firms: tuple[Firm, ...]
    scores: Sheet
    window: Window
    open: bool  # scores may still be changed now


def _review_terms(row: Procurement) -> DraftTerms:
    draft = stored_terms(row)
    if not needs_review(draft) or row.review_deadline is None:
        raise NoReviewStep(
            f"procurement {row.id} has no review step: its method does not weigh technical scores",
            procurement_id=row.id,
        )
    return draft


async def counted_firms(uow: UnitOfWork, procurement_id: int) -> tuple[Firm, ...]:
    """The counted bids of the opening list, by USCC (empty before the opening)."""
    opening = await uow.session.get(BidOpening, procurement_id)
    entries = [e for e in (opening.entries if opening else []) if e["counted"]]
    return tuple(
        sorted((Firm(e["uscc"], int(e["firm_id"]), e["firm_name"]) for e in entries), key=lambda f: f.uscc)
    )


async def reviewers_of(uow: UnitOfWork, procurement_id: int) -> list[Reviewer]:
    rows = await uow.session.execute(
        select(ProcurementReviewer.user_id, User.display_name, ProcurementReviewer.submitted_at)
        .join(User, User.id == ProcurementReviewer.user_id)
        .where(ProcurementReviewer.procurement_id == procurement_id)
        .order_by(ProcurementReviewer.user_id)
    )
    return [Reviewer(user_id, name, at) for user_id, name, at in rows]


async def is_frozen(uow: UnitOfWork, row: Procurement) -> bool:
    if row.status in (ProcurementStatus.DRAFT, ProcurementStatus.PUBLISHED):
        return False
    draw = await current_round(uow, row.id)
    return draw.frozen_at is not None


# -- naming the reviewers ---------------------------------------------------------------------
async def name_reviewers(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    user_ids: Sequence[int],
    now: datetime,
) -> list[Reviewer]:
    """Replace the procurement's reviewers with ``user_ids`` (owner accounts of the owner's
    organisation), until the bid deadline."""
    row = await load(uow, principal, procurement_id, lock=True)
    if not policy.may_edit_procurement(principal, row.owner_organisation_id):
        raise PermissionDenied(
            "only the owner's organisation (业主) names the reviewers of its procurement",
            procurement_id=procurement_id,
        )
    _review_terms(row)
    open_states = (ProcurementStatus.DRAFT, ProcurementStatus.PUBLISHED)
    if row.status not in open_states or (row.bid_deadline is not None and now >= row.bid_deadline):
        deadline = f"{local(row.bid_deadline):%Y-%m-%d %H:%M}" if row.bid_deadline else "the bid deadline"
        raise Conflict(f"reviewers are named until the bid deadline ({deadline}); it has passed")
    wanted = sorted(set(user_ids))
    if not wanted:
        raise InvalidInput("name at least one reviewer (评审人)", field="user_ids")
    if len(wanted) > rules.MOST_REVIEWERS:
        raise InvalidInput(f"at most {rules.MOST_REVIEWERS} reviewers", field="user_ids")
    users = {u.id: u for u in await uow.session.scalars(select(User).where(User.id.in_(wanted)))}
    for user_id in wanted:
        user = users.get(user_id)
        if (
            user is None
            or not user.is_active
            or user.organisation_id != row.owner_organisation_id
            or Role.OWNER not in {r.role for r in user.roles}
        ):
            raise InvalidInput(
                f"user {user_id} cannot review: reviewers are active owner accounts of the "
                "owner's organisation",
                field="user_ids",
                user_id=user_id,
            )
    await uow.session.execute(
        delete(ProcurementReviewer).where(
            ProcurementReviewer.procurement_id == row.id, ProcurementReviewer.user_id.not_in(wanted)
        )
    )
    have = {r.user_id for r in await reviewers_of(uow, row.id)}
    for user_id in wanted:
        if user_id not in have:
            uow.session.add(
                ProcurementReviewer(procurement_id=row.id, user_id=user_id, added_by=actor.id, added_at=now)
            )
    await uow.session.flush()
    await audit.record(
        uow,
        actor,
        "review:reviewers_named",
        "procurement",
        row.id,
        {"reference": row.reference, "user_ids": wanted},
    )
    return await reviewers_of(uow, row.id)


async def reviewer_candidates(uow: UnitOfWork, principal: Principal, procurement_id: int) -> list[Reviewer]:
    """The accounts the owner may name: active owner accounts of its organisation (the
    owner's page lists them to choose from)."""
    row = await load(uow, principal, procurement_id)
    if not policy.acts_for_owner(principal, row.owner_organisation_id):
        raise PermissionDenied("only the owner's organisation (业主) names the reviewers of its procurement")
    users = await uow.session.scalars(
        select(User)
        .where(User.organisation_id == row.owner_organisation_id, User.is_active.is_(True))
        .order_by(User.id)
    )
    return [Reviewer(u.id, u.display_name, None) for u in users if Role.OWNER in {r.role for r in u.roles}]


async def reviewers_view(uow: UnitOfWork, principal: Principal, procurement_id: int) -> list[Reviewer]:
    """Who reviews and who has submitted: for the owner's organisation, the officials and
    the reviewers themselves."""
    row = await load(uow, principal, procurement_id)
    named = await reviewers_of(uow, row.id)
    allowed = (
        policy.acts_for_owner(principal, row.owner_organisation_id)
        or policy.is_official(principal)
        or principal.user_id in {r.user_id for r in named}
    )
    if not allowed:
        raise PermissionDenied(
            "the reviewers of a procurement are shown to its owner, its reviewers and supervisors",
            procurement_id=procurement_id,
        )
    return named


# -- a reviewer's sheet -------------------------------------------------------------------------
async def _reviewer(
    uow: UnitOfWork, principal: Principal, row: Procurement, *, lock: bool
) -> ProcurementReviewer:
    query = select(ProcurementReviewer).where(
        ProcurementReviewer.procurement_id == row.id, ProcurementReviewer.user_id == principal.user_id
    )
    if lock:
        query = query.with_for_update()
    reviewer = await uow.session.scalar(query)
    if reviewer is None:
        raise PermissionDenied(
            f"you are not a reviewer of procurement {row.id}: the owner names its reviewers",
            procurement_id=row.id,
        )
    return reviewer


async def sheet_of(uow: UnitOfWork, procurement_id: int, reviewer_id: int) -> Sheet:
    opening = await uow.session.get(BidOpening, procurement_id)
    entries = opening.entries if opening else []
    uscc_of = {int(e["firm_id"]): e["uscc"] for e in entries}
    sheet: Sheet = {}
    scores = await uow.session.scalars(
        select(ReviewScore).where(
            ReviewScore.procurement_id == procurement_id, ReviewScore.reviewer_id == reviewer_id
        )
    )
    for score in scores:
        sheet.setdefault(uscc_of[score.firm_id], {})[score.criterion] = score.score
    return sheet


async def _window(uow: UnitOfWork, row: Procurement, reviewer: ProcurementReviewer) -> Window:
    assert row.review_deadline is not None
    opened = row.status not in (
        ProcurementStatus.DRAFT,
        ProcurementStatus.PUBLISHED,
        ProcurementStatus.BIDDING_CLOSED,
    )
    return Window(
        opened=opened and row.status is not ProcurementStatus.CANCELLED,
        frozen=await is_frozen(uow, row),
        review_deadline=row.review_deadline,
        submitted_at=reviewer.submitted_at,
    )


async def sheet_view(
    uow: UnitOfWork, principal: Principal, procurement_id: int, now: datetime
) -> ReviewSheet:
    """The reviewer's own sheet: criteria, counted bids, its scores and whether it may still
    change them."""
    row = await load(uow, principal, procurement_id)
    draft = _review_terms(row)
    reviewer = await _reviewer(uow, principal, row, lock=False)
    window = await _window(uow, row, reviewer)
    try:
        rules.check_open(window, now)
        still_open = True
    except rules.ReviewClosed:
        still_open = False
    return ReviewSheet(
        procurement_id=row.id,
        reference=row.reference,
        title=row.title,
        criteria=draft.review_criteria,
        firms=await counted_firms(uow, row.id),
        scores=await sheet_of(uow, row.id, principal.user_id),
        window=window,
        open=still_open,
    )


def _sheet_digest(sheet: Sheet) -> str:
    plain = {f: {c: str(s) for c, s in scores.items()} for f, scores in sheet.items()}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


async def put_scores(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    raw: Mapping[str, Mapping[str, object]],
    now: datetime,
) -> ReviewSheet:
    """Replace the reviewer's sheet with ``raw`` (cells left out are cleared)."""
    row = await load(uow, principal, procurement_id, lock=True)
    draft = _review_terms(row)
    reviewer = await _reviewer(uow, principal, row, lock=True)
    rules.check_open(await _window(uow, row, reviewer), now)
    firms = await counted_firms(uow, row.id)
    sheet = rules.read_sheet(raw, draft.review_criteria, [f.uscc for f in firms])
    firm_id = {f.uscc: f.firm_id for f in firms}
    await uow.session.execute(
        delete(ReviewScore).where(
            ReviewScore.procurement_id == row.id, ReviewScore.reviewer_id == principal.user_id
        )
    )
    for uscc, scores in sheet.items():
        for code, score in scores.items():
            uow.session.add(
                ReviewScore(
                    procurement_id=row.id,
                    reviewer_id=principal.user_id,
                    firm_id=firm_id[uscc],
                    criterion=code,
                    score=score,
                    entered_at=now,
                )
            )
    await uow.session.flush()
    # the scores stay secret until the freeze: the audit entry holds their digest, not them
    cells = sum(len(s) for s in sheet.values())
    details = {"reference": row.reference, "cells": cells, "sheet_sha256": _sheet_digest(sheet)}
    await audit.record(uow, actor, "review:scored", "procurement", row.id, details)
    return await sheet_view(uow, principal, procurement_id, now)


async def submit(
    uow: UnitOfWork, actor: Actor, principal: Principal, procurement_id: int, now: datetime
) -> ReviewSheet:
    """Declare the sheet complete and final (签署)."""
    row = await load(uow, principal, procurement_id, lock=True)
    draft = _review_terms(row)
    reviewer = await _reviewer(uow, principal, row, lock=True)
    rules.check_open(await _window(uow, row, reviewer), now)
    firms = [f.uscc for f in await counted_firms(uow, row.id)]
    sheet = await sheet_of(uow, row.id, principal.user_id)
    rules.check_complete(sheet, draft.review_criteria, firms)
    reviewer.submitted_at = now
    await uow.session.flush()
    details = {"reference": row.reference, "sheet_sha256": _sheet_digest(sheet)}
    await audit.record(uow, actor, "review:submitted", "procurement", row.id, details)
    return await sheet_view(uow, principal, procurement_id, now)
