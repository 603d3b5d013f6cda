"""ORM tables. Importing this package registers every table on :data:`Base.metadata`
(Alembic's autogenerate and ``alembic check`` read it)."""

from market.models.accounts import (
    LoginAttempt,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserRole,
    UserSession,
)
from market.models.audit import AuditEntry, AuditSeal, AuditUnsealed
from market.models.base import Base
from market.models.documents import DocumentStatus, DocumentTemplate, IssuedDocument

__all__ = [
    "AuditEntry",
    "AuditSeal",
    "AuditUnsealed",
    "Base",
    "DocumentStatus",
    "DocumentTemplate",
    "IssuedDocument",
    "LoginAttempt",
    "Organisation",
    "OrganisationKind",
    "Role",
    "User",
    "UserRole",
    "UserSession",
]
