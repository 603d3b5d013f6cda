"""What the owner, a supervisor and an administrator can read about a procurement, gathered
by trying every GET route of the app (API and pages) as them; a real ``pg_dump`` of the
database, split by table; and the app's log lines."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from typing import Any

from litestar.routes import HTTPRoute

from market.embedded_pg import find_binaries
from tests.e2e.bid_world import BidWorld
from web.observability import JsonFormatter

READERS = ("owner", "supervisor", "admin")
# static files, the schema explorer and the operator's endpoint say nothing about procurements
SKIPPED_PREFIXES = ("/static", "/schema", "/metrics")
_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")


@dataclass(frozen=True, slots=True)
class Reading:
    who: str
    path: str
    status: int
    text: str


def reachable_paths(world: BidWorld, procurement_id: int, bid_ids: list[int]) -> list[str]:
    """Every GET route, its parameters filled: the procurement's id where a route takes one
    procurement, each bid's id (and an id no bid has) where it takes one bid; routes taking
    other objects are left out, routes without parameters are asked as they are."""
    paths: list[str] = []
    for route in world.client.app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        names = [m.group(1) for m in _PARAMETER.finditer(route.path)]
        if not names:
            paths.append(route.path)
        elif len(names) == 1 and ("procurement" in names[0] or "/procurements/" in route.path):
            paths.append(_PARAMETER.sub(str(procurement_id), route.path))
        elif len(names) == 1 and "bid" in names[0]:
            paths += [_PARAMETER.sub(str(b), route.path) for b in [*bid_ids, 987_654]]
    return sorted(set(paths))


async def read_everything(world: BidWorld, paths: list[str]) -> list[Reading]:
    readings = []
    for who in READERS:
        for path in paths:
            response = await world.call("GET", path, who)
            readings.append(Reading(who, path, response.status_code, response.text))
    return readings


# what differs between two answers to the same question at the same (fixed) time: request ids,
# CSRF tokens and other random tokens
_VOLATILE = re.compile(r"[A-Za-z0-9_\-]{24,}")


def normalised(text: str) -> str:
    return _VOLATILE.sub("<token>", text)


# -- pg_dump -------------------------------------------------------------------------------------------
def pg_dump(url: str) -> str:
    """A plain-SQL dump of the whole database by the pg_dump next to the server binaries the
    test suite runs (the same major version or newer, as pg_dump needs)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    tool = find_binaries().tool("pg_dump")
    done = subprocess.run(
        [tool, "--no-owner", "--no-privileges", f"--dbname={dsn}"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode()


_COPY = re.compile(r"^COPY public\.(\w+) \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", re.M | re.S)


def dumped_tables(dump: str) -> dict[str, str]:
    """Each table's COPY block of a plain dump (its column line and rows)."""
    return {m.group(1): f"{m.group(2)}\n{m.group(3)}" for m in _COPY.finditer(dump)}


# -- log lines -------------------------------------------------------------------------------------------
class CapturedLog:
    """Every log record of the process while attached, as the JSON lines ``market serve``
    writes (the same formatter)."""

    def __init__(self) -> None:
        self.stream = StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self._level = logging.NOTSET

    def attach(self) -> None:
        root = logging.getLogger()
        self._level = root.level
        root.addHandler(self.handler)
        root.setLevel(logging.INFO)

    def detach(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._level)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> Iterator[dict[str, Any]]:
        for line in self.text.splitlines():
            yield json.loads(line)
