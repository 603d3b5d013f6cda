"""Registry answers shared by the public and the administrators' controllers (plain dicts
for now), so that neither controller imports the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from market.registry import licences

T = TypeVar("T")


def listing_view(found: licences.Listing[T], view: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """A page of a list as the API returns it: the total, where the page starts, its items."""
    return {"total": found.total, "offset": found.offset, "items": [view(item) for item in found.items]}


def expiring_view(e: licences.ExpiringLicence) -> dict[str, Any]:
    return {
        "licence_id": e.licence_id,
        "firm_id": e.firm_id,
        "firm_name": e.firm_name,
        "licence_type": e.licence_type,
        "grade": e.grade,
        "number": e.number,
        "valid_until": e.valid_until.isoformat(),
        "days_left": e.days_left,
    }
