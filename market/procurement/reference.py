"""Platform reference numbers: ``SGZJ-2026-0001``.

The prefix says the kind (reference data), the year is the year of publication in China,
the sequence counts per prefix and year from 1 and is never reused (the service keeps the
counter). Four digits at least; the 10,000th of a year is ``-10000``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from market.errors import InvalidInput

_FORM = re.compile(r"([A-Z]{2,8})-([0-9]{4})-([0-9]{4,9})")


@dataclass(frozen=True, slots=True)
class Reference:
    prefix: str
    year: int
    sequence: int

    def __str__(self) -> str:
        return reference(self.prefix, self.year, self.sequence)


def reference(prefix: str, year: int, sequence: int) -> str:
    if not re.fullmatch(r"[A-Z]{2,8}", prefix):
        raise ValueError(f"reference prefix {prefix!r} is 2 to 8 capital letters")
    if not 2000 <= year <= 9999 or not 1 <= sequence <= 999_999_999:
        raise ValueError(f"no reference for year {year}, sequence {sequence}")
    return f"{prefix}-{year:04d}-{sequence:04d}"


def parse_reference(text: str) -> Reference:
    """The parts of a reference; only the one spelling :func:`reference` writes is taken,
    so two texts never name the same procurement."""
    found = _FORM.fullmatch(text.strip().upper())
    parsed = None
    if found:
        parsed = Reference(found[1], int(found[2]), int(found[3]))
        if parsed.year < 2000 or parsed.sequence < 1 or str(parsed) != found[0]:
            parsed = None
    if parsed is None:
        raise InvalidInput(
            f"{text!r} is not a procurement reference; they look like SGZJ-2026-0001", field="reference"
        )
    return parsed
