"""Settings, read once from the environment.

Nothing else in the code base reads ``os.environ``: the CLI calls :meth:`Settings.from_env`
and passes the result down; tests build :class:`Settings` directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from market.errors import ConfigurationError


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"cannot read {value!r} as a yes/no flag; use 1/0, true/false or yes/no")


def _optional_flag(value: str | None) -> bool | None:
    """A yes/no flag whose absence means "work it out from the other settings"."""
    return None if value is None or value == "" else _flag(value, False)


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number") from None


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and return the asyncpg form."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("postgresql+asyncpg://"):
        return url
    raise ConfigurationError(
        "DATABASE_URL must be a PostgreSQL URL such as postgresql+asyncpg://user:password@host:5432/market"
    )


MIN_METRICS_TOKEN_LENGTH = 16


def _ocid_prefix(value: str | None) -> str:
    if not value:
        return "ocds-sg0000"
    if not re.fullmatch(r"ocds-[a-z0-9]{6}", value):
        raise ConfigurationError(
            f"MARKET_OCID_PREFIX={value!r} is not an OCID prefix: 'ocds-' and the six registered "
            "letters or digits"
        )
    return value


def _metrics_token(value: str | None) -> str | None:
    if not value:
        return None
    if len(value) < MIN_METRICS_TOKEN_LENGTH or any(c.isspace() for c in value):
        raise ConfigurationError(
            f"MARKET_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} characters without "
            "spaces; make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


DEFAULT_PLATFORM_NAME = "韶关市公共资源交易中心 电子交易平台"

ENVIRONMENTS = ("development", "training", "production")


def _time_settings(env: Mapping[str, str]) -> tuple[str, float, datetime | None]:
    environment = (env.get("MARKET_ENVIRONMENT") or "development").strip().lower()
    raw = env.get("MARKET_TIME_ACCELERATION") or "1"
    try:
        factor = float(raw)
    except ValueError:
        raise ConfigurationError(
            f"MARKET_TIME_ACCELERATION={raw!r} is not a number (1440: a day per minute)"
        ) from None
    origin: datetime | None = None
    if raw_origin := env.get("MARKET_TIME_ORIGIN"):
        try:
            origin = datetime.fromisoformat(raw_origin.strip())
        except ValueError:
            raise ConfigurationError(
                f"MARKET_TIME_ORIGIN={raw_origin!r} is not a time like 2026-11-30T08:00+08:00"
            ) from None
        if origin.tzinfo is None:
            raise ConfigurationError(f"MARKET_TIME_ORIGIN={raw_origin!r} needs a zone, e.g. +08:00")
    return environment, factor, origin


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """How people sign in."""

    session_hours: int = 12
    """Lifetime of a login session (bearer token and cookie), in hours."""

    cookie_name: str = "market_session"
    """Name of the HTTP-only cookie that carries the session token for the HTML pages."""

    cookie_secure: bool | None = None
    """Send the cookies only over HTTPS (MARKET_COOKIE_SECURE). Unset: on exactly when
    MARKET_PUBLIC_URL is https (see :attr:`Settings.secure_cookies`); set it to override,
    e.g. 0 while trying an https address over plain http on one machine."""

    max_failures_per_account: int = 5
    """Refused logins allowed for one account inside the window before further tries get 429."""

    max_failures_per_address: int = 20
    """Refused logins allowed from one client address inside the window before 429."""

    failure_window_minutes: int = 15
    """Length of the sliding window used by the two limits above, in minutes."""

    min_password_length: int = 10
    """Shortest password accepted when an account is created or its password changed."""

    max_applications_per_address: int = 20
    """Self-service registry applications accepted from one client address per hour; more
    get 429 (a trading centre's front desk may file many, a script should not)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service can be told from outside."""

    home: Path = field(default_factory=lambda: Path("var"))
    """Data folder (MARKET_HOME): embedded PostgreSQL cluster, seal keys, caches."""

    database_url: str | None = None
    """DATABASE_URL. When set, that server is used and no embedded PostgreSQL is started."""

    host: str = "127.0.0.1"
    """Address the HTTP server binds to (MARKET_HOST)."""

    port: int = 8000
    """Port the HTTP server listens on (MARKET_PORT)."""

    public_url: str = "http://127.0.0.1:8000"
    """Address people reach the platform at (MARKET_PUBLIC_URL); printed in QR codes."""

    platform_name: str = DEFAULT_PLATFORM_NAME
    """Name shown in page headers and documents (MARKET_PLATFORM_NAME)."""

    ocid_prefix: str = "ocds-sg0000"
    """The open-data identifiers' prefix (MARKET_OCID_PREFIX): the one the Open Contracting
    Partnership registers for the publisher; an OCID is the prefix, a dash and the reference."""

    embedded_pg_port: int = 0
    """Port of the embedded PostgreSQL (MARKET_PG_PORT); 0 picks a free one and keeps it."""

    pg_bindir: Path | None = None
    """Folder holding initdb/pg_ctl (MARKET_PG_BINDIR); found automatically when unset."""

    pool_size: int = 10
    """Connections to PostgreSQL per process (MARKET_DB_POOL_SIZE); under load the pool opens
    up to twice as many and keeps them (market.db.make_engine), and the direct pool of the
    busiest single statements as many again (market.db.DirectPool)."""

    audit_seal_interval_seconds: int = 2
    """How often the background sealer chains fresh audit entries (MARKET_AUDIT_SEAL_INTERVAL)."""

    scheduler_enabled: bool = True
    """Run the background scheduler in this process (MARKET_SCHEDULER=0 to turn off)."""

    seal_pkcs12: Path | None = None
    """PKCS#12 file with the platform's seal key and certificate (MARKET_SEAL_P12). Unset:
    a self-signed development seal is made in MARKET_HOME/seal on first use."""

    seal_passphrase: str | None = field(default=None, repr=False)
    """Passphrase of the PKCS#12 file (MARKET_SEAL_PASSPHRASE)."""

    bid_key_file: Path | None = None
    """File holding the 32-byte key that wraps every procurement's bid key (MARKET_BID_KEY_FILE),
    mode 0600, kept out of the database and its backups. Unset: MARKET_HOME/keys/bid-kek,
    created on first use. A configured file is never created (docs/sealed-bids.md)."""

    render_workers: int = 0
    """Worker processes that render and seal documents (MARKET_RENDER_WORKERS); 0 = one per
    CPU but one, so a batch of documents never takes the core the API answers on."""

    verify_rate_per_minute: int = 30
    """Uploaded copies one client address may have checked per minute (MARKET_VERIFY_RATE),
    on the verification page and the API together; more get 429 with Retry-After. Each
    check parses an untrusted PDF and its signature, so it is the public's costliest call.
    0 turns the limit off."""

    reference_dir: Path | None = None
    """Folder with the registries' vocabularies and region files (MARKET_REFERENCE_DIR);
    unset: the bundled ``market/reference``."""

    region: str = "shaoguan"
    """The region served (MARKET_REGION): ``<region>.toml`` in the reference folder lists
    its county-level divisions."""

    auth: AuthSettings = field(default_factory=AuthSettings)
    """Sign-in settings, see :class:`AuthSettings`."""

    metrics_token: str | None = field(default=None, repr=False)
    """Bearer token the operator's Prometheus sends to read ``/metrics``
    (MARKET_METRICS_TOKEN, at least 16 characters). Unset: ``/metrics`` answers 404 to
    everyone, since behind a reverse proxy every client would look local."""

    environment: str = "development"
    """What this install is for (MARKET_ENVIRONMENT): ``development`` (the default),
    ``training`` or ``production``. Production refuses sandbox time."""

    time_acceleration: float = 1
    """How many times faster than real time the platform's clock runs
    (MARKET_TIME_ACCELERATION), for training and demo installs: 1440 passes a day per
    minute, so a whole procurement can be watched from publication to opening. 1 is real
    time; anything else is refused in production, where deadlines are legal times."""

    time_origin: datetime | None = None
    """The real time at which sandbox time starts running fast (MARKET_TIME_ORIGIN, ISO 8601
    with a zone); give every process the same one. Unset: the first process to start
    stores an anchor in the database (an audit entry) and the others read it."""

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ConfigurationError(
                f"MARKET_ENVIRONMENT={self.environment!r}: use one of {', '.join(ENVIRONMENTS)}"
            )
        if not self.time_acceleration > 0:
            raise ConfigurationError(
                f"MARKET_TIME_ACCELERATION={self.time_acceleration:g} must be above 0 (1 is real time)"
            )
        if self.environment == "production" and self.time_acceleration != 1:
            raise ConfigurationError(
                f"MARKET_TIME_ACCELERATION={self.time_acceleration:g} is refused in production "
                "(MARKET_ENVIRONMENT=production): deadlines there are legal times and run on the "
                "server's real clock. Unset MARKET_TIME_ACCELERATION, or use MARKET_ENVIRONMENT=training"
            )

    @property
    def sandbox_time(self) -> bool:
        """True when the platform's clock runs faster than real time."""
        return self.time_acceleration != 1

    @property
    def served_over_https(self) -> bool:
        """True when people reach the platform over TLS (MARKET_PUBLIC_URL is https): the
        answers then carry HSTS and the cookies are Secure by default."""
        return self.public_url.lower().startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        """Whether the session and CSRF cookies carry ``Secure``: MARKET_COOKIE_SECURE when
        given, otherwise :attr:`served_over_https`."""
        explicit = self.auth.cookie_secure
        return self.served_over_https if explicit is None else explicit

    @property
    def uses_embedded_database(self) -> bool:
        """True when the service manages its own PostgreSQL cluster under :attr:`home`."""
        return self.database_url is None

    def with_database(self, url: str) -> Settings:
        """A copy pointing at ``url`` (used once the embedded server has started)."""
        return replace(self, database_url=normalise_database_url(url))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``MARKET_*`` variables and ``DATABASE_URL``; unknown values raise
        :class:`ConfigurationError` with the variable's name."""
        env = os.environ if environ is None else environ
        url = env.get("DATABASE_URL") or None
        port = _int("MARKET_PORT", env.get("MARKET_PORT"), 8000)
        host = env.get("MARKET_HOST") or "127.0.0.1"
        bindir = env.get("MARKET_PG_BINDIR")
        verify_rate = _int("MARKET_VERIFY_RATE", env.get("MARKET_VERIFY_RATE"), 30)
        if verify_rate < 0:
            raise ConfigurationError(f"MARKET_VERIFY_RATE={verify_rate} must be 0 (no limit) or more")
        environment, acceleration, origin = _time_settings(env)
        return cls(
            home=Path(env.get("MARKET_HOME") or "var"),
            database_url=normalise_database_url(url) if url else None,
            host=host,
            port=port,
            public_url=(env.get("MARKET_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/"),
            platform_name=env.get("MARKET_PLATFORM_NAME") or DEFAULT_PLATFORM_NAME,
            ocid_prefix=_ocid_prefix(env.get("MARKET_OCID_PREFIX")),
            embedded_pg_port=_int("MARKET_PG_PORT", env.get("MARKET_PG_PORT"), 0),
            pg_bindir=Path(bindir) if bindir else None,
            pool_size=_int("MARKET_DB_POOL_SIZE", env.get("MARKET_DB_POOL_SIZE"), 10),
            audit_seal_interval_seconds=_int(
                "MARKET_AUDIT_SEAL_INTERVAL", env.get("MARKET_AUDIT_SEAL_INTERVAL"), 2
            ),
            scheduler_enabled=_flag(env.get("MARKET_SCHEDULER"), True),
            seal_pkcs12=Path(p12) if (p12 := env.get("MARKET_SEAL_P12")) else None,
            seal_passphrase=env.get("MARKET_SEAL_PASSPHRASE") or None,
            bid_key_file=Path(kek) if (kek := env.get("MARKET_BID_KEY_FILE")) else None,
            render_workers=_int("MARKET_RENDER_WORKERS", env.get("MARKET_RENDER_WORKERS"), 0),
            verify_rate_per_minute=verify_rate,
            reference_dir=Path(ref) if (ref := env.get("MARKET_REFERENCE_DIR")) else None,
            region=env.get("MARKET_REGION") or "shaoguan",
            auth=AuthSettings(
                session_hours=_int("MARKET_SESSION_HOURS", env.get("MARKET_SESSION_HOURS"), 12),
                cookie_secure=_optional_flag(env.get("MARKET_COOKIE_SECURE")),
            ),
            metrics_token=_metrics_token(env.get("MARKET_METRICS_TOKEN")),
            environment=environment,
            time_acceleration=acceleration,
            time_origin=origin,
        )
