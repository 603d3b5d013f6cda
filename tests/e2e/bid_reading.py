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


# the registries' public directory shows every firm by name and USCC, before any bid too
REGISTRY_PREFIXES = ("/api/firms", "/firms", "/api/organisations", "/api/users", "/api/registry")


def names_firms(path: str) -> bool:
    """Whether an answer may name firms whatever the bids: the registries' routes."""
    return path.startswith(REGISTRY_PREFIXES)


def about_bids(reading: Reading) -> str:
    """The part of an answer that must not name a bidder: none of the registries' answers;
    of the audit log, the entries about bids and procurements (the registries' own entries
    name firms, and logins name users, whatever the bids); everything else, whole."""
    if names_firms(reading.path):
        return ""
    if reading.path.startswith("/api/audit/entries") and reading.status == 200:
        entries = json.loads(reading.text)
        return json.dumps(
            [e for e in entries if e["object_type"] in ("bid", "procurement")], ensure_ascii=False
        )
    return reading.text


def reachable_paths(world: BidWorld, procurement_id: int, bid_ids: list[int]) -> list[str]:
    """Every GET route, its parameter filled: the procurement's id where a route takes one
    procurement; each bid's id (and an id no bid has) where it takes a bid; each bidding
    firm's id (and its user's) where it takes a firm, organisation or user. Routes taking
    other objects are left out; routes without parameters are asked as they are and with
    ``?procurement_id=``."""
    firm_ids = [f.firm_id for f in world.firms]
    values = {
        "procurement": [procurement_id],
        "bid": [*bid_ids, 987_654],
        "firm": firm_ids,
        "organisation": [*firm_ids, world.owner_org],
        "user": [f.user_id for f in world.firms],
    }
    paths: list[str] = []
    for route in world.client.app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        if route.path.startswith(SKIPPED_PREFIXES):
            continue
        names = [m.group(1) for m in _PARAMETER.finditer(route.path)]
        if not names:
            paths += [route.path, f"{route.path}?procurement_id={procurement_id}"]
            continue
        if len(names) != 1:
            continue
        for kind, ids in values.items():
            if names[0] == f"{kind}_id":
                paths += [_PARAMETER.sub(str(i), route.path) for i in ids]
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
