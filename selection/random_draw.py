"""Random selection (随机抽取): k winners and m alternates (候补), uniformly, in order.

Candidates are the eligible respondents (services) or the eligible pool (small works, no
bids). Params: ``winners`` (k, default 1) and ``alternates`` (m, default 0); ``k + m``
may not exceed the number of candidates. After the pre-rules the eligible firms, sorted by
id, are sampled with one partial Fisher–Yates pass of ``k + m`` draws: the first ``k``
picks win, the next picks are alternates (fewer than ``m`` if fewer firms remain).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selection.procedure import check_param_keys, params_of, parse_count, prepare
from selection.record import SelectionRecord

METHOD = "random"
PARAMS = frozenset({"winners", "alternates"})


def select(inputs: Mapping[str, Any]) -> SelectionRecord:
    """Draw ``winners`` firms and ``alternates`` alternates from the eligible candidates."""
    raw = params_of(inputs)
    check_param_keys(raw, PARAMS, METHOD)
    winners = parse_count(raw, "winners", 1, 1)
    alternates = parse_count(raw, "alternates", 0, 0)
    procedure = prepare(
        inputs,
        method=METHOD,
        params={"winners": winners, "alternates": alternates},
        firm_fields={},
        uses_bids=False,
        draws=True,
        default_minimum=3,
        picks=winners,
        alternates=alternates,
    )
    eligible = procedure.eligible
    total = min(winners + alternates, len(eligible))
    purposes = [f"winner {i + 1}" for i in range(winners)]
    purposes += [f"alternate {i + 1}" for i in range(total - winners)]
    picked = [eligible[i] for i in procedure.stream.sample(len(eligible), total, purposes)]
    ranking = [{"id": firm, "rank": rank} for rank, firm in enumerate(picked, start=1)]
    return procedure.finish(ranking, picked[:winners], picked[winners:])
