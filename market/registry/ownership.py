"""Who may change a firm's record: its own users, and administrators."""

from __future__ import annotations

from market.errors import PermissionDenied
from market.models import Role
from market.principal import Principal


def ensure_may_edit(principal: Principal, firm_id: int) -> None:
    """A firm's own users and administrators may change it; nobody else."""
    if Role.ADMIN in principal.roles:
        return
    if principal.organisation_id != firm_id or not principal.has_any((Role.CONTRACTOR, Role.INTERMEDIARY)):
        raise PermissionDenied("you may only change your own firm's record", firm_id=firm_id)
