"""Principals read from sessions a moment ago, for the routes whose write checks the session
itself (``web.auth.SESSION_CHECKED_IN_WRITE``: a sealed bid's submission and replacement).

Every other route reads the caller's session afresh on every request. These two take most of
the platform's load at a deadline, and there the session lookup was a fifth of a bid's cost
(bench/bids.py), so they may start from a principal read up to :attr:`RecentSessions.seconds`
ago. That is safe because of what they do with it: the express lane's statement checks, in the
same statement as the write, that the session is still live and its user still active, of the
same firm and with the role (``market.accounts.session_vouches``), so a token signed out,
expired or stripped meanwhile writes nothing; and whenever the lane does not write, the
handler reads the session afresh before the service runs (``web.auth.read_again``). A
principal from here decides nothing on its own.

Kept by the digest of the token, never the token; at most :attr:`size` entries.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from market.principal import Principal


class RecentSessions:
    seconds = 30.0
    size = 10_000

    def __init__(self) -> None:
        self._kept: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    def get(self, digest: bytes) -> Principal | None:
        kept = self._kept.get(digest)
        if kept is None:
            return None
        read_at, principal = kept
        if time.monotonic() - read_at > self.seconds:
            del self._kept[digest]
            return None
        return principal

    def put(self, digest: bytes, principal: Principal) -> None:
        self._kept.pop(digest, None)
        self._kept[digest] = (time.monotonic(), principal)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def forget(self, digest: bytes) -> None:
        self._kept.pop(digest, None)
