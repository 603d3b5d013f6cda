"""A new round of the draw after an objection was upheld (重新抽取): never an edit of the old
record, which stays published with its award marked voided.

:func:`open_round` starts round n+1 when the result is voided: a fresh platform secret,
sealed like round 1's and committed to now, the same beacon declaration, and the new times
(``redraw_freeze_at`` = now + ``redraw_freeze_working_days``; the selection
``redraw_reveal_working_days`` later, its reveal deadline from the kind's reveal gap as at
publication). Until the freeze the owner and a supervisor commit to the new round through
the ceremony's commit API (:func:`market.draw.service.commit`).

At ``redraw_freeze_at`` the lifecycle's ``freeze`` (:mod:`market.draw.steps`) takes
:func:`redrawn_inputs`: the PREVIOUS round's frozen documents — not data read again, which
may have changed since — less every firm an upheld objection of that round disqualified (its
candidate entry and every piece of its firm data: quote, bid digest, scores, band). The
exclusion is written into the configuration's avoidance rule with the objection's number,
so the new record says why the firm is absent. The rest is the usual ceremony: reveals,
the beacon, the selection, a second record that ``python -S -m selection.verify`` checks on
its own against the new freeze digests.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from market import audit
from market.audit import Actor
from market.calendar import WorkingCalendar
from market.db import UnitOfWork
from market.draw.inputs import inputs_of_frozen
from market.draw.rounds import SECRET_PURPOSE, add_commitment, current_round, secret_context
from market.errors import Conflict, NotFound
from market.models import Award, DrawRound, Firm, Objection, Procurement
from market.procurement.publication import reveal_deadline
from market.procurement.terms import ProcurementTerms
from market.sealed.keys import KeyEncryptionKey
from selection.ceremony import commitment as commitment_of

REDRAW_ACTOR = Actor.system("重新抽取（系统）")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A firm an upheld objection took out of the next round."""

    uscc: str
    objection_id: int

    @property
    def reason(self) -> str:
        return f"objection:{self.objection_id} upheld (质疑成立，取消中选资格)"


async def open_round(
    uow: UnitOfWork,
    bid_key: KeyEncryptionKey,
    row: Procurement,
    now: datetime,
    *,
    terms: ProcurementTerms,
    calendar: WorkingCalendar,
    cause: dict[str, Any],
) -> DrawRound:
    """Round n+1 of ``row`` (locked, just moved to ``redrawing``): its platform commitment,
    the beacon declared as before, the freeze and selection times; audited
    ``draw:redraw_opened`` with ``cause`` (the upheld objection). The caller commits."""
    assert row.reference is not None
    previous = await current_round(uow, row.id, lock=True)
    if previous.frozen_documents is None:
        raise Conflict(
            f"round {previous.round} of {row.reference} was never frozen: there is nothing to redraw"
        )
    number = previous.round + 1
    after = terms.after
    row.redraw_freeze_at = calendar.add_working_days(now, after.redraw_freeze_working_days)
    row.selection_time = calendar.add_working_days(row.redraw_freeze_at, after.redraw_reveal_working_days)
    row.updated_at = now
    secret = secrets.token_hex(32)
    draw = DrawRound(
        procurement_id=row.id,
        round=number,
        reveal_deadline=reveal_deadline(row.selection_time, terms.of(row.kind)),
        # the same kind of beacon as declared at publication: the owner chose it then
        beacon_source=previous.beacon_source,
        beacon_reference=previous.beacon_reference,
        beacon_form=previous.beacon_form,
        platform_secret_sealed=bid_key.seal(
            SECRET_PURPOSE, secret_context(row.reference, number), secret.encode()
        ),
        platform_secret_key_id=bid_key.key_id,
        created_at=now,
    )
    uow.session.add(draw)
    await uow.session.flush()
    platform = commitment_of(row.reference, number, "platform", secret)
    await add_commitment(uow, row, number, "platform", platform, None, now)
    await audit.record(
        uow,
        REDRAW_ACTOR,
        "draw:redraw_opened",
        "procurement",
        row.id,
        {
            "reference": row.reference,
            "round": number,
            "previous_round": previous.round,
            "commitments": {"platform": platform},
            "beacon": {
                "source": draw.beacon_source,
                "form": draw.beacon_form,
                "reference": draw.beacon_reference,
            },
            "redraw_freeze_at": row.redraw_freeze_at,
            "selection_time": row.selection_time,
            "reveal_deadline": draw.reveal_deadline,
            "cause": cause,
        },
    )
    return draw


async def exclusions_of(uow: UnitOfWork, procurement_id: int, round_number: int) -> list[Exclusion]:
    """The firms upheld objections to the awards of round ``round_number`` disqualified."""
    rows = await uow.session.execute(
        select(Firm.uscc, Objection.id)
        .join(Award, Award.id == Objection.award_id)
        .join(Firm, Firm.id == Objection.against_firm_id)
        .where(
            Award.procurement_id == procurement_id,
            Award.round == round_number,
            Objection.outcome == "upheld",
        )
        .order_by(Objection.id)
    )
    found: list[Exclusion] = []
    for uscc, objection_id in rows:
        if all(e.uscc != uscc for e in found):
            found.append(Exclusion(uscc, objection_id))
    return found


def less_excluded(documents: dict[str, Any], excluded: list[Exclusion]) -> dict[str, Any]:
    """The three frozen documents without the excluded firms, each named in the avoidance
    rule with its objection (a copy: the previous round's documents stay as published)."""
    gone = {e.uscc for e in excluded}
    result = copy.deepcopy(documents)
    candidates = result["candidates"]
    candidates["candidates"] = [c for c in candidates["candidates"] if c not in gone]
    for name, value in list(candidates.items()):
        if name != "candidates" and isinstance(value, dict):
            candidates[name] = {k: v for k, v in value.items() if k not in gone}
    result["bids"] = {k: v for k, v in result["bids"].items() if k not in gone}
    rules = result["configuration"]["rules"]
    avoided = {a["id"] for a in rules.get("avoid", [])}
    rules["avoid"] = sorted(
        [
            *rules.get("avoid", []),
            *({"id": e.uscc, "reason": e.reason} for e in excluded if e.uscc not in avoided),
        ],
        key=lambda a: a["id"],
    )
    return result


async def redrawn_inputs(
    uow: UnitOfWork, row: Procurement, draw: DrawRound
) -> tuple[str, dict[str, Any], list[Exclusion]]:
    """``(method, inputs, exclusions)`` of round ``draw`` from the previous round's frozen
    documents less its disqualified firms, for :func:`selection.engine.freeze`."""
    assert row.reference is not None
    previous = await uow.session.get(DrawRound, (row.id, draw.round - 1))
    if previous is None or previous.frozen_documents is None:
        raise NotFound(f"{row.reference} has no frozen round {draw.round - 1} to redraw from")
    excluded = await exclusions_of(uow, row.id, previous.round)
    documents = less_excluded(previous.frozen_documents, excluded)
    method = str(documents["configuration"]["method"])
    return method, inputs_of_frozen(row.reference, documents), excluded
