"""Which page numbers a list's pages link to (the registry's directory, the procurement list)."""

from __future__ import annotations


def page_numbers(current: int, last: int) -> list[int | None]:
    """Page numbers to link: the ends and two either side of ``current``; None is a gap."""
    wanted = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    shown: list[int | None] = []
    for number in wanted:
        if shown and number - (shown[-1] or 0) > 1:
            shown.append(None)
        shown.append(number)
    return shown
