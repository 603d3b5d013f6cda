"""Statements of a hot path, run on the asyncpg connection of the unit of work's transaction.

Through the ORM session a statement costs more Python than PostgreSQL spends on it: the
cache key of a statement holding a subquery (the bid's first write asks the registries'
eligibility) is built again at every execution, then the execution context, the cursor
adapter and the result. A :class:`Prepared` statement is compiled once by SQLAlchemy (the
same SQL, the same type processing of the values it holds, expanded IN lists included) and
then sent as it is, its values bound by position; asyncpg keeps it prepared per connection.

It runs in the transaction the unit of work already has open, so locks, atomicity and the
commit are the unit of work's as before. While none is open yet (a unit of work whose first
statement this is), it goes through the session instead, which opens one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from market.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql.elements import ClauseElement

    from market.db import UnitOfWork


class Prepared:
    """``statement`` with its bind parameters ``runtime`` given at each execution; any other
    value it holds is fixed when it is compiled (on first use)."""

    def __init__(self, statement: ClauseElement, runtime: Iterable[str]) -> None:
        self.statement: Any = statement  # a statement the session executes (mypy: Executable)
        self.runtime = frozenset(runtime)
        self._sql: str | None = None
        self._fixed: list[Any] = []
        self._slots: list[tuple[int, str, Any]] = []  # position, name, type processor

    def _compile(self, dialect: Dialect) -> str:
        compiled: Any = self.statement.compile(dialect=dialect)
        # the runtime values are not known yet; expanding IN lists are (they are fixed)
        state = compiled.construct_expanded_state({name: None for name in self.runtime})
        processors = {**compiled._bind_processors, **state.processors}
        fixed: list[Any] = []
        slots: list[tuple[int, str, Any]] = []
        for position, name in enumerate(state.positiontup or ()):
            processor = processors.get(name)
            if name in self.runtime:
                slots.append((position, name, processor))
                fixed.append(None)
            else:
                value = state.parameters[name]
                fixed.append(processor(value) if processor is not None else value)
        self._fixed, self._slots = fixed, slots
        sql: str = state.statement
        self._sql = sql
        return sql

    def _arguments(self, params: Mapping[str, Any]) -> list[Any]:
        arguments = list(self._fixed)
        for position, name, processor in self._slots:
            value = params[name]
            arguments[position] = processor(value) if processor is not None else value
        return arguments

    async def row(self, uow: UnitOfWork, params: Mapping[str, Any]) -> Sequence[Any] | None:
        """The statement's one row (as a tuple), or None if it gave none."""
        driver = await uow.driver()
        if driver is None:
            found = (await uow.session.execute(self.statement, dict(params))).one_or_none()
            return None if found is None else tuple(found)
        connection, dialect = driver
        return await self.row_on(connection, dialect, params)

    async def row_on(
        self, connection: asyncpg.Connection[Any] | Any, dialect: Dialect, params: Mapping[str, Any]
    ) -> Sequence[Any] | None:
        """:meth:`row` on an asyncpg connection of the caller's (outside a unit of work: the
        statement is then a transaction of its own)."""
        sql = self._sql or self._compile(dialect)
        try:
            record = await connection.fetchrow(sql, *self._arguments(params))
        except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError) as exc:
            # what the session would have reported as a lost connection (503, not 500)
            raise DatabaseUnavailable(f"lost the connection to PostgreSQL: {exc}") from exc
        return None if record is None else tuple(record)

    async def scalar(self, uow: UnitOfWork, params: Mapping[str, Any]) -> Any:
        """The first column of the statement's one row, or None if it gave none."""
        found = await self.row(uow, params)
        return None if found is None else found[0]
