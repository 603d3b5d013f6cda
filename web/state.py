"""What the app keeps for the lifetime of the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from market.calendar_years import Calendars
from market.clock import Clock
from market.db import Database
from market.document_office import DocumentOffice
from market.registry.vocabulary import Vocabulary
from market.settings import Settings


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Clock
    documents: DocumentOffice
    vocabulary: Vocabulary
    # working days: `await calendars.current(uow)` gives the WorkingCalendar (market.calendar)
    calendars: Calendars = field(default_factory=Calendars)

    @staticmethod
    def of(app: Any) -> AppState:
        state = app.state["market"]
        assert isinstance(state, AppState)
        return state
