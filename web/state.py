"""What the app keeps for the lifetime of the process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.clock import Clock
from market.db import Database
from market.documents import DocumentOffice
from market.registry.vocabulary import Vocabulary
from market.settings import Settings


@dataclass
class AppState:
    settings: Settings
    database: Database
    clock: Clock
    documents: DocumentOffice
    vocabulary: Vocabulary

    @staticmethod
    def of(app: Any) -> AppState:
        state = app.state["market"]
        assert isinstance(state, AppState)
        return state
