"""The refusal of a procurement that lists every problem with its field
(:mod:`market.problems`)."""

from __future__ import annotations

from market.problems import Problem as Problem
from market.problems import ProblemsFound


class ProcurementRefused(ProblemsFound):
    """One or more fields of a procurement are wrong; ``problems`` lists every one."""

    code = "procurement-invalid"
