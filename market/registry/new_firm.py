"""The rows a new firm gets, as plain facts: one builder for every way a firm is made.

A firm comes into the registries two ways: one at a time through the ORM (an application,
:func:`market.registry.firms.apply`) and thousands at a time through set-based SQL (an
import, :mod:`market.registry.bulk`). Both write what :func:`new_firm` says — the
organisation, the firm in its first status, that status's history row, the base credit
event and the score it gives, the licences (pending for an applicant, approved for an
admitted import) and the track records — so the two cannot drift apart (the bulk path
once wrote the policy's base score unclamped). The builder touches no session; the
writers only add the ids the database gives. ``tests/integration/test_new_firm.py``
compares the rows both paths write for the same record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.audit import Actor
from market.models import ORGANISATION_KIND, FirmStatus, LicenceStatus
from market.registry.credit import base_event_values
from market.registry.records import FIRM_COLUMNS, FirmInput, LicenceInput, TrackRecordInput, fields_of
from market.registry.vocabulary import CreditPolicy

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NewFirm:
    """Column values of a new firm's rows, without the ids (the firm's id is its
    organisation's, known once the organisation is written)."""

    organisation: Row
    firm: Row
    status_change: Row
    credit_event: Row
    licences: tuple[Row, ...]
    track_records: tuple[Row, ...]


def new_firm(
    record: FirmInput,
    *,
    status: FirmStatus,
    reason: str,
    actor: Actor,
    now: datetime,
    credit: CreditPolicy,
) -> NewFirm:
    """The rows of a firm made from ``record`` at ``now`` by ``actor``, in ``status``
    (``applied`` or ``admitted``) for ``reason``."""
    if status not in (FirmStatus.APPLIED, FirmStatus.ADMITTED):
        raise ValueError(f"a new firm is applied or admitted, not {status}")
    event = base_event_values(credit, actor=actor, now=now)
    pending = status is FirmStatus.APPLIED
    return NewFirm(
        organisation={
            "kind": ORGANISATION_KIND[record.kind],
            "name": record.name,
            "uscc": record.uscc,
            "address": record.address,
            "contact_phone": record.contact_phone,
        },
        firm={
            "kind": record.kind,
            **fields_of(record, FIRM_COLUMNS),
            "status": status,
            "status_reason": reason,
            "status_changed_at": now,
            "applied_at": now,
            "admitted_at": None if pending else now,
            "credit_score": event["score_after"],
        },
        status_change={
            "from_status": None,
            "to_status": status,
            "reason": reason,
            "actor_id": actor.id,
            "actor_label": actor.label,
            "changed_at": now,
        },
        credit_event=event,
        licences=tuple(
            licence_values(lic, pending=pending, actor=actor, reason=reason, now=now)
            for lic in record.licences
        ),
        track_records=tuple(track_record_values(track) for track in record.track_records),
    )


def licence_values(
    licence: LicenceInput, *, pending: bool, actor: Actor, reason: str, now: datetime
) -> dict[str, Any]:
    """A licence row: ``pending`` waits for review (with its firm's application);
    otherwise it is approved, reviewed by ``actor`` at ``now`` for ``reason``."""
    return {
        "licence_type": licence.licence_type,
        "number": licence.number,
        "grade": licence.grade,
        "issuer": licence.issuer,
        "issued_on": licence.issued_on,
        "valid_until": licence.valid_until,
        "e_licence_ref": licence.e_licence_ref,
        "status": LicenceStatus.PENDING if pending else LicenceStatus.APPROVED,
        "review_reason": "" if pending else reason,
        "reviewed_at": None if pending else now,
        "reviewed_by": None if pending else actor.id,
    }


def track_record_values(track: TrackRecordInput) -> dict[str, Any]:
    """A track record (业绩) row."""
    return {
        "project": track.project,
        "owner_name": track.owner_name,
        "contract_value": track.contract_value,
        "completed_on": track.completed_on,
        "field_code": track.field_code,
    }
