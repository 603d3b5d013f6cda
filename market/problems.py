"""Problems with named fields, and the refusal that lists them all at once.

A form, an import row or a procurement draft is checked whole: the person fixing it wants
every problem with its field, not the first one. The registries (firm records, import
rows, requirements) and the procurement rules both list problems this way; this module is
pure (no database), so the rule modules may use it.
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


class ProblemsFound(InvalidInput):
    """One or more fields are wrong; ``problems`` lists every one, the first in the message."""

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
