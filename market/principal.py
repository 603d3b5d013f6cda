"""Who is asking: the roles a user may hold and the signed-in user as the rules see them.

Kept apart from the ORM (``market.models`` re-exports :class:`Role`) so that the access
rules of :mod:`market.policy` are plain Python, free of SQLAlchemy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from market.registry.admission_rules import FirmStatus


class Role(enum.StrEnum):
    """What a user may do. A user may hold several."""

    OWNER = "owner"
    INTERMEDIARY = "intermediary"
    CONTRACTOR = "contractor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user as the rest of the system sees them. Who did something, for the
    audit log, is an :class:`~market.audit.Actor` built by the web layer with the client's
    address; a principal knows no address."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    organisation_id: int | None
    organisation_uscc: str | None = None
    # Where the user's organisation stands in the registries, if it is a firm: an applicant
    # (applied, returned, rejected) sees its own application and only what the public sees.
    firm_status: FirmStatus | None = None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles.intersection(roles))
