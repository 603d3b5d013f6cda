"""The collusion screens on hand-computed values, on a planted cartel among honest tenders,
and on what they must not flag."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from market.supervision.screens import Tender, Thresholds, quote_screens, screen

T = Thresholds()


def _excess_kurtosis(values: list[float]) -> float:
    n = len(values)
    mean = statistics.fmean(values)
    m2 = sum((v - mean) ** 2 for v in values)
    m4 = sum((v - mean) ** 4 for v in values)
    var = m2 / (n - 1)
    return n * (n + 1) * m4 / ((n - 1) * (n - 2) * (n - 3) * var**2) - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))


def test_the_statistics_of_one_procurement_match_the_definitions() -> None:
    quotes = [100.0, 130.0, 131.0, 133.0, 140.0]
    [result] = quote_screens([Tender(1, (1, 2, 3, 4, 5), tuple(quotes), 1)], T)
    losing = quotes[1:]
    assert result.quotes == 5
    assert result.cv == pytest.approx(statistics.stdev(quotes) / statistics.fmean(quotes), abs=1e-6)
    assert result.rd == pytest.approx(30 / statistics.stdev(losing), abs=1e-6)
    assert result.gap == pytest.approx(0.3, abs=1e-6)
    assert result.kurtosis == pytest.approx(_excess_kurtosis(quotes), abs=1e-6)


def test_too_few_quotes_give_no_statistic_and_no_flag() -> None:
    two, three = quote_screens(
        [Tender(1, (1, 2), (100.0, 101.0), 1), Tender(2, (1, 2, 3), (100.0, 101.0, 102.0), 1)], T
    )
    assert (two.cv, two.rd, two.kurtosis, two.flagged) == (None, None, None, False)
    assert three.cv is not None and three.kurtosis is None  # kurtosis needs four


def test_equal_losing_quotes_do_not_divide_by_zero() -> None:
    [result] = quote_screens([Tender(1, (1, 2, 3), (90.0, 100.0, 100.0), 1)], T)
    assert result.rd is None and result.cv is not None and not result.flagged


def test_cover_bids_just_above_a_low_winner_are_flagged_and_a_spread_is_not() -> None:
    tight = Tender(1, (1, 2, 3, 4), (100.0, 104.0, 104.2, 104.3), 1)
    spread = Tender(2, (1, 2, 3, 4), (100.0, 112.0, 125.0, 139.0), 1)
    flagged = {r.procurement_id: r.flagged for r in quote_screens([tight, spread], T)}
    assert flagged == {1: True, 2: False}


def _market(seed: int, *, with_cartel: bool) -> tuple[list[Tender], set[int], set[int]]:
    """200 honest tenders among 60 firms, plus (optionally) 12 tenders of a cartel of firms
    901–904 that always bid together, take turns winning and place cover bids close together."""
    rng = random.Random(seed)
    tenders = []
    for pid in range(1, 201):
        firms = tuple(rng.sample(range(1, 61), rng.randint(3, 6)))
        base = rng.uniform(50_000, 500_000)
        quotes = tuple(base * rng.uniform(0.8, 1.2) for _ in firms)
        winner = firms[min(range(len(firms)), key=lambda i: quotes[i])]
        tenders.append(Tender(pid, firms, quotes, winner))
    cartel = (901, 902, 903, 904)
    cartel_pids = set()
    if with_cartel:
        for k in range(12):
            pid = 1000 + k
            winner = cartel[k % 4]
            base = rng.uniform(100_000, 300_000)
            quotes = tuple(base if f == winner else base * (1.05 + rng.uniform(0, 0.004)) for f in cartel)
            tenders.append(Tender(pid, cartel, quotes, winner))
            cartel_pids.add(pid)
    return tenders, cartel_pids, set(cartel)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_planted_cartel_is_flagged_by_every_screen_that_applies(seed: int) -> None:
    tenders, cartel_pids, cartel = _market(seed, with_cartel=True)
    result = screen(tenders, T)
    assert cartel_pids <= result.flagged_procurements
    assert {q.procurement_id for q in result.quotes if q.flagged} >= cartel_pids
    assert {frozenset(p.firms) for p in result.pairs} == {
        frozenset((a, b)) for a in cartel for b in cartel if a < b
    }
    [rotation] = result.rotations
    assert set(rotation.firms) == cartel and rotation.wins == {f: 3 for f in sorted(cartel)}
    assert rotation.largest_share == 0.25
    assert not result.covers  # each member also wins against the others: no firm only ever loses


def test_honest_tenders_raise_no_pattern_and_rarely_a_quote_flag() -> None:
    """Who bids with whom and who wins: no flag among honest firms. The quote statistics of
    a single procurement are noisier (three to six honest quotes may fall close together by
    chance): below 1 % of honest procurements, which a supervisor reviews and dismisses."""
    tenders: list[Tender] = []
    for seed in range(10):
        batch, _, _ = _market(seed, with_cartel=False)
        tenders += [Tender(t.procurement_id + 1000 * seed, t.bidders, t.quotes, t.winner) for t in batch]
    result = screen(tenders, T)
    assert (result.pairs, result.covers, result.rotations) == ([], [], [])
    quote_flags = sum(q.flagged for q in result.quotes)
    assert quote_flags / len(tenders) < 0.01


def test_a_firm_that_always_loses_to_the_same_winner_is_a_cover_flag() -> None:
    tenders = [Tender(p, (1, 2, 3 + p), (100.0, 130.0 + p, 150.0 + p), 1) for p in range(1, 6)]
    result = screen(tenders, T)
    assert [(c.winner, c.loser, c.together) for c in result.covers] == [(1, 2, 5)]
    assert result.covers[0].procurements == (1, 2, 3, 4, 5)


def test_thresholds_come_from_reference_data_and_refuse_nonsense() -> None:
    assert Thresholds.from_mapping({"cv_below": 0.05}).cv_below == 0.05
    with pytest.raises(ValueError, match="unknown"):
        Thresholds.from_mapping({"cv_bellow": 0.05})
    with pytest.raises(ValueError):
        Thresholds.from_mapping({"pair_share": 1.5})
    assert math.isclose(Thresholds.from_mapping({}).rd_above, T.rd_above)


def test_tenders_with_one_quote_or_none_give_no_statistic() -> None:
    """Found by the access matrix: a period whose only opened procurement had one bid."""
    result = screen([Tender(1, (5,), (100.0,), 5), Tender(2, (), (), None)], T)
    assert [(q.quotes, q.cv, q.flagged) for q in result.quotes] == [(1, None, False), (0, None, False)]
    assert (result.pairs, result.covers, result.rotations) == ([], [], [])
