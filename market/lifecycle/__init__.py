"""What happens to procurements because time passed (ProZorro's chronograph).

* :mod:`.events` — pure: the steps ahead of a procurement and its ``next_check``;
* :mod:`.schedule` — :func:`~.schedule.reschedule`, which every write of a procurement calls;
* :mod:`.steps` — the steps (closing the bidding, the opening …), one function each;
* :mod:`.runner` — :func:`advance`, what the scheduler calls: every due step, in due order,
  exactly once across any number of processes.

Only this package imports :mod:`market.bidding.opening` (an import-linter contract).
``advance`` and its companions are loaded on first use: the procurement service imports
:mod:`.schedule`, and the runner (through the opening) imports the procurement service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from market.lifecycle.runner import Advanced, Taken, advance, earliest_check

__all__ = ["Advanced", "Taken", "advance", "earliest_check"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from market.lifecycle import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
