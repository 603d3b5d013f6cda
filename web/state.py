"""What the app keeps for the lifetime of the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from market.calendar_years import Calendars
from market.clock import Clock
from market.db import Database
from market.document_office import DocumentOffice
from market.registry.vocabulary import Vocabulary
from market.scheduler import BackgroundWork
from market.sealed.keys import KeyEncryptionKey, load_kek
from market.settings import Settings
from web.recent_sessions import RecentSessions


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Clock
    documents: DocumentOffice
    vocabulary: Vocabulary
    # working days: `await calendars.current(uow)` gives the WorkingCalendar (market.calendar)
    calendars: Calendars = field(default_factory=Calendars)
    _bid_key: KeyEncryptionKey | None = field(default=None, repr=False)
    # the background work while the lifespan runs it (the deadline alarm, the audit sealer …)
    background: BackgroundWork | None = field(default=None, repr=False)
    # principals read a moment ago, for the routes whose write checks the session itself
    recent_sessions: RecentSessions = field(default_factory=RecentSessions, repr=False)

    def bid_key(self) -> KeyEncryptionKey:
        """The key file that wraps every procurement's bid data key (market.sealed.keys): read
        at start by the lifespan, so a missing or readable-by-others file stops the service
        before it takes a bid; created under MARKET_HOME on first start."""
        if self._bid_key is None:
            self._bid_key = load_kek(self.settings.home, self.settings.bid_key_file)
        return self._bid_key

    @staticmethod
    def of(app: Any) -> AppState:
        state = app.state["market"]
        assert isinstance(state, AppState)
        return state
