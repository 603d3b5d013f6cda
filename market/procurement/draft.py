"""A procurement's terms as the owner set them: plain data for the rules.

The service builds a :class:`DraftTerms` from the request (or the stored row) after the
registries have checked what only they can check (the division and service type against
the vocabulary, the requirements with :func:`market.registry.requirements.requirements_from`);
the rules here then check the rest. ``requirements`` stays the registries' plain mapping
(``Requirements.as_dict()``): the typed object lives in a module that reaches the database
through ``market.models``' enums, and these rules only compare it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from market.procurement.terms import ProcurementKind, QuoteMode


@dataclass(frozen=True, slots=True)
class Avoidance:
    """A firm kept out of this procurement (回避), by its USCC, and why."""

    firm: str
    reason: str


@dataclass(frozen=True, slots=True)
class ReviewCriterion:
    """One criterion the reviewers score (评审因素), up to ``max_points``; the criteria of a
    procurement add up to 100 points, so a reviewer's total is a 0–100 technical score."""

    code: str
    name: str
    max_points: Decimal


@dataclass(frozen=True, slots=True)
class DraftTerms:
    kind: ProcurementKind
    title: str
    description: str
    division: str
    budget: Decimal
    ceiling: Decimal
    method: str
    selection_time: datetime
    bid_deadline: datetime | None = None  # None for a kind that takes no bids
    floor: Decimal | None = None
    quote_mode: QuoteMode | None = None  # None for a kind that takes no bids
    service_type: str | None = None  # intermediary services
    work_field: str | None = None  # small works
    contact_name: str = ""
    contact_phone: str = ""
    variant: str | None = None  # the combined method's variant
    method_params: Mapping[str, Any] = field(default_factory=dict)
    winners: int = 1
    alternates: int = 0
    avoidance: tuple[Avoidance, ...] = ()
    requirements: Mapping[str, Any] = field(default_factory=dict)
    # scored methods weighing technical scores: what the reviewers score, and until when
    review_criteria: tuple[ReviewCriterion, ...] = ()
    review_deadline: datetime | None = None

    @property
    def method_code(self) -> str:
        return self.method if self.variant is None else f"{self.method}/{self.variant}"

    @property
    def closes_at(self) -> datetime:
        """When firms stop being able to act on the notice: the bid deadline, or for a
        kind without bids the draw itself. The minimum period runs up to this."""
        return self.bid_deadline if self.bid_deadline is not None else self.selection_time

    def as_dict(self) -> dict[str, Any]:
        """Plain data, field by field (what an amendment's diff compares)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
