"""Domain errors. They carry data; the web layer turns them into HTTP problems in one place."""

from __future__ import annotations

from typing import Any


class MarketError(Exception):
    """Base of every error the domain raises on purpose.

    ``code`` is a stable machine-readable name; ``message`` is a sentence a person can act on;
    ``details`` holds the data behind it (field names, limits, ids).
    """

    code = "market-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(MarketError):
    """The service was configured in a way it cannot run with."""

    code = "configuration"


class EmbeddedDatabaseError(MarketError):
    """The embedded PostgreSQL could not be found, created or started."""

    code = "embedded-database"


class DatabaseUnavailable(MarketError):
    """PostgreSQL cannot be reached."""

    code = "database-unavailable"


class InvalidInput(MarketError):
    """A value is missing or out of range; ``field`` names it."""

    code = "invalid-input"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class NotFound(MarketError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "not-found"


class Conflict(MarketError):
    """The request clashes with the current state (a duplicate name, a stale version)."""

    code = "conflict"


class AuthenticationFailed(MarketError):
    """Wrong user name or password, or an expired session."""

    code = "authentication-failed"


class PermissionDenied(MarketError):
    """The caller is signed in but their role does not allow this."""

    code = "permission-denied"


class TooManyAttempts(MarketError):
    """Too many refused logins; ``retry_after`` says how many seconds to wait."""

    code = "too-many-attempts"

    def __init__(self, message: str, *, retry_after: int, **details: Any) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after
