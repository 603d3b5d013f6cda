"""The draw's declaration at publication, for tests that publish: the owner's secret made
here (as `python -m selection.secret` would, outside the platform) and kept by reference so a
test can reveal it later, and a beacon declaration."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from market.audit import Actor
from market.calendar import WorkingCalendar
from market.db import UnitOfWork
from market.draw.declaration import BeaconDeclaration
from market.models import Procurement
from market.principal import Principal
from market.procurement import service
from market.procurement.terms import ProcurementTerms
from selection.ceremony import commitment

LOTTERY = BeaconDeclaration("external", "digits:3", "中国福利彩票3D 第2026318期")
OWNER_SECRETS: dict[str, str] = {}  # reference -> the owner's secret (the owner keeps it)


def owner_commitment(reference: str) -> str:
    """A fresh owner secret for ``reference`` (kept in OWNER_SECRETS) and its commitment."""
    OWNER_SECRETS[reference] = secrets.token_hex(32)
    return commitment(reference, 1, "owner", OWNER_SECRETS[reference])


def publish_json(reference: str, beacon: BeaconDeclaration = LOTTERY, **more: Any) -> dict[str, Any]:
    """The publish API's body with the draw's declaration."""
    return {
        "owner_commitment": owner_commitment(reference),
        "beacon": {"source": beacon.source, "form": beacon.form, "reference": beacon.reference},
        **more,
    }


async def publish(
    uow: UnitOfWork,
    actor: Actor,
    principal: Principal,
    procurement_id: int,
    now: datetime,
    calendar: WorkingCalendar,
    terms: ProcurementTerms,
    *,
    beacon: BeaconDeclaration = LOTTERY,
    **options: Any,
) -> Procurement:
    """:func:`service.publish` as an owner does it: reserve the reference, commit over it."""
    reference = await service.reserve_reference(uow, actor, principal, procurement_id, now, terms)
    return await service.publish(
        uow,
        actor,
        principal,
        procurement_id,
        now,
        calendar,
        terms,
        owner_commitment=owner_commitment(reference),
        beacon=beacon,
        **options,
    )
