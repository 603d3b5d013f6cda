"""A problem with one field of a procurement, and the refusal that lists them all.

The registries have the same shape (:class:`market.registry.records.Problem`) but that
module reaches SQLAlchemy through ``market.models``; the procurement rules must not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from market.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ProcurementRefused(InvalidInput):
    """One or more fields of a procurement are wrong; ``problems`` lists every one."""

    code = "procurement-invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a refusal names at least one problem")
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{first.field}: {first.message}{more}",
            field=first.field,
            problems=[p.as_dict() for p in problems],
        )
        self.problems = tuple(problems)
