"""Engine, sessions and the unit of work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from market.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from market.prepared import Prepared

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection idle for longer than this is checked before it is lent out."""


SERVER_SETTINGS = {"application_name": "market", "jit": "off"}


def make_engine(
    url: str, *, pool_size: int = 10, ping_after_idle: float = PING_AFTER_IDLE_SECONDS
) -> AsyncEngine:
    """An asyncpg engine; timeouts short enough that a dead server is reported, not waited on.

    Up to twice ``pool_size`` connections, as many as before, but each one stays open once
    opened. With ``pool_size`` kept and as many again as overflow, a load holding more than
    ``pool_size`` requests in flight opened and closed an overflow connection every few
    requests — a new PostgreSQL backend, SCRAM authentication and asyncpg's type
    introspection each time (bench/bids.py: some 55 connections per 1000 bids)."""
    engine = create_async_engine(
        url,
        pool_size=2 * pool_size,
        max_overflow=0,
        # an unexpected error's traceback is logged; its SQL parameters (a session token's
        # hash, a password hash, a sealed bid) must not be
        hide_parameters=True,
        # JIT compiles each eligibility query for longer than the query runs (~0.3 s
        # against ~0.07 s on 100k firms); the platform's queries are short, so it is off.
        connect_args={"timeout": 5, "server_settings": SERVER_SETTINGS},
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection that sat in the pool for
    ``idle_seconds``. What the ping is for — a server restarted or a connection cut while
    nobody used it — happens to idle connections; asyncpg's ping is three round trips
    (BEGIN, an empty query, ROLLBACK), which cost a busy service more than its requests'
    own statements. A connection that fails while in use fails its request either way, and
    then SQLAlchemy discards the whole pool (``DisconnectionError`` here does the same for
    one connection: the pool connects afresh)."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def lent(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.get("returned_at")  # None: connected just now
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"pooled connection lost while idle: {exc}") from exc


class DirectConnection:
    """A connection of the direct pool, lent for the block of :meth:`DirectPool.connection`."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect

    async def row(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """``statement``'s one row (None if none), as a transaction of its own."""
        return await statement.row_on(self._connection, self._dialect, params)

    async def ping(self) -> None:
        await self._connection.execute("SELECT 1")


# What says a connection was lost, or its exchange with the server cut short: it is not lent
# again (asyncpg raises these on a dead socket, a closed connection and a timed-out query).
_LOST = (TimeoutError, OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


class DirectPool:
    """asyncpg connections of the process's own, beside the engine's pool: for the one or two
    statements of the busiest requests (the session lookup of a request that needs no unit of
    work, a sealed bid's replacement), each a transaction of its own. Through SQLAlchemy such a
    statement costs several times what PostgreSQL spends on it (the pool's checkout, the
    adapter, the result); here it is :class:`market.prepared.Prepared` on a bare connection.

    Up to ``size`` connections, each opened when first needed and then kept. Turns are taken
    in arrival order: a pool that hands a released connection to whoever asks next let a
    request that had waited lose it to one that just came and queue again at the back (under
    load a few bids waited five times as long as the rest). A turn is an ``asyncio.Semaphore``
    of ``size`` places, so whoever holds one finds a connection kept or may open one; the
    rest is a list. (asyncpg's own pool, behind that semaphore, was most of what lending a
    connection cost: side by side under bench/bids.py's load, the service spent 0.58 ms per
    bid against 0.65.) Nothing is reset between lenders: the statements set nothing in the
    session (no SET, LISTEN or advisory lock)."""

    def __init__(self, url: str, size: int, dialect: Dialect) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size
        self.dialect = dialect
        self._turns = asyncio.Semaphore(size)
        self._kept: list[asyncpg.Connection[Any]] = []
        self._closed = False

    async def row(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """``statement``'s one row (None if none), as a transaction of its own."""
        async with self.connection() as connection:
            return await connection.row(statement, params)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[DirectConnection]:
        """One connection for a few statements in a row, each a transaction of its own."""
        try:
            # no timeout on the wait for a turn: a new connection has its own, and a busy pool
            # is a queue, not an error
            async with self._turns:
                raw = await self._lend()
                try:
                    yield DirectConnection(raw, self.dialect)
                except (*_LOST, DatabaseUnavailable):  # the latter: Prepared's word for the same
                    raw.terminate()
                    raise
                except Exception:  # the caller's error, or a statement's: the exchange is whole
                    self._keep(raw)
                    raise
                except BaseException:  # cancelled mid-statement: the exchange may be cut short
                    raw.terminate()
                    raise
                self._keep(raw)
        except _LOST as exc:
            raise DatabaseUnavailable(f"cannot reach PostgreSQL: {exc}") from exc

    async def _lend(self) -> asyncpg.Connection[Any]:
        while self._kept:
            raw = self._kept.pop()
            if not raw.is_closed():  # else the server went away meanwhile (a restart)
                return raw
        return await self._connect()

    async def _connect(self) -> asyncpg.Connection[Any]:
        if self._closed:
            raise DatabaseUnavailable("this process's database connections are closed")
        connection: asyncpg.Connection[Any] = await asyncpg.connect(
            self.dsn, timeout=5, server_settings=SERVER_SETTINGS
        )
        return connection

    def _keep(self, raw: asyncpg.Connection[Any]) -> None:
        if self._closed or raw.is_closed() or raw.is_in_transaction():
            raw.terminate()
        else:
            self._kept.append(raw)

    async def ping(self) -> None:
        """One empty round trip (DatabaseUnavailable if the server does not answer)."""
        async with self.connection() as connection:
            await connection.ping()

    async def close(self) -> None:
        """Close the kept connections; one lent now is closed when it comes back."""
        self._closed = True
        kept, self._kept = self._kept, []
        for raw in kept:
            try:
                await raw.close(timeout=5)
            except (*_LOST, asyncpg.PostgresError):
                raw.terminate()


class Database:
    """The engine and session factory of one process, plus the hook that wakes the audit
    sealer after a commit that wrote audit entries."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        direct: DirectPool | None = None,
    ) -> None:
        self.engine = engine
        # Tests pass sessions bound to one connection inside a transaction they roll back;
        # such a database has no direct pool (its statements would escape that transaction).
        self.sessions = sessions or async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.direct = direct
        self._after_audit_commit: list[Callable[[], None]] = []
        self._after_next_check: list[Callable[[datetime], None]] = []

    @classmethod
    def connect(
        cls, url: str, *, pool_size: int = 10, ping_after_idle: float = PING_AFTER_IDLE_SECONDS
    ) -> Database:
        engine = make_engine(url, pool_size=pool_size, ping_after_idle=ping_after_idle)
        return cls(engine, direct=DirectPool(url, pool_size, engine.dialect))

    def on_audit_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (cheap, non-blocking) after each commit that wrote audit entries."""
        self._after_audit_commit.append(callback)

    def audit_committed(self) -> None:
        for callback in self._after_audit_commit:
            callback()

    def on_next_check(self, callback: Callable[[datetime], None]) -> None:
        """Call ``callback(earliest)`` (cheap, non-blocking) after each commit that stored a
        procurement's next check: the scheduler re-arms when a deadline comes nearer."""
        self._after_next_check.append(callback)

    def next_check_committed(self, earliest: datetime) -> None:
        for callback in self._after_next_check:
            callback(earliest)

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    async def ping(self) -> None:
        """Raise :class:`DatabaseUnavailable` with the reason when PostgreSQL does not answer."""
        try:
            async with asyncio.timeout(5):
                if self.direct is not None:  # no session, no transaction to open and end
                    await self.direct.ping()
                    return
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            raise DatabaseUnavailable("PostgreSQL did not answer within 5 s") from None
        except (OSError, OperationalError, DBAPIError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise DatabaseUnavailable(f"cannot reach PostgreSQL: {reason}") from None

    async def dispose(self) -> None:
        if self.direct is not None:
            await self.direct.close()
        await self.engine.dispose()


class UnitOfWork:
    """One business transaction. Commits only when told to; rolls back otherwise.

    ``async with db.unit_of_work() as uow: ...; await uow.commit()``
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.session: AsyncSession = database.sessions()
        self.wrote_audit = False
        # the earliest procurement.next_check this transaction wrote (market.lifecycle.schedule)
        self.earliest_check: datetime | None = None
        # set by the lifecycle while it runs a step: every audit entry of the step names
        # the rule and the due time that caused it
        self.audit_cause: Mapping[str, Any] | None = None
        self._driver: tuple[Any, Dialect] | None = None

    async def driver(self) -> tuple[Any, Dialect] | None:
        """The asyncpg connection of this unit of work's open transaction, with its dialect
        (for :mod:`market.prepared`); None while no transaction is open yet. Kept until the
        transaction ends: the session holds the one connection until then."""
        if self._driver is None:
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            if driver is None or not driver.is_in_transaction():
                return None
            self._driver = (driver, connection.dialect)
        return self._driver

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._driver = None
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def note_next_check(self, at: datetime) -> None:
        if self.earliest_check is None or at < self.earliest_check:
            self.earliest_check = at

    async def commit(self) -> None:
        self._driver = None
        await self.session.commit()
        if self.wrote_audit:
            self.wrote_audit = False
            self.database.audit_committed()
        if self.earliest_check is not None:
            earliest, self.earliest_check = self.earliest_check, None
            self.database.next_check_committed(earliest)

    async def rollback(self) -> None:
        self._driver = None
        await self.session.rollback()
        self.wrote_audit = False
        self.earliest_check = None
