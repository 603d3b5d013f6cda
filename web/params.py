"""The integer parameters of the HTTP interface, each bounded here and only here.

Python's ``int`` has no upper end and PostgreSQL's ``bigint`` has one: an unbounded id or
offset reached asyncpg, which refused it with an error the service answered as a 500.
Every route takes its integer path and query parameters from these aliases, so the
bound is checked while the request is parsed and the answer names the parameter: a path
id that cannot exist is 404, an out-of-range query value 422 (see ``web.errors``).
``tests/unit/test_route_params.py`` walks the app's routes and fails on an integer
parameter declared any other way.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

from market.registry.directory import MAX_PAGE

INT64_MAX = 2**63 - 1  # PostgreSQL bigint, the type of every id column
MAX_OFFSET = 10_000_000  # far past any listing; a deeper OFFSET only makes PostgreSQL count rows
MAX_LIMIT = 1000

Id = Annotated[int, PathParameter(ge=1, le=INT64_MAX, description="id (a positive 64-bit integer)")]
"""Any row id in a path (``/api/firms/{firm_id:int}``)."""

BeforeId = Annotated[
    int | None, QueryParameter(ge=1, le=INT64_MAX, description="only rows with a smaller id (paging)")
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="rows per page")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="rows to skip")]
Page = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="page number, from 1")]
PerPage = Annotated[int, QueryParameter(ge=1, le=100, description="rows per page")]
DaysAhead = Annotated[int, QueryParameter(ge=1, le=366, description="how many days ahead to look")]
