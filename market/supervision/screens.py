"""Collusion screens (围串标筛查): statistics that point a supervisor at procurements and
groups of firms worth a look — never a finding, never a sanction by themselves.

They follow the OECD *Guidelines for Fighting Bid Rigging in Public Procurement* (2009/2025)
and the statistical screens competition authorities use on tender data (Imhof, Karagök &
Rutz, "Screening for bid rigging — does it work?", 2018):

Per procurement, on the opened quotes (amounts in yuan, or discount rates, each procurement
compared with itself only):

- ``cv``: the coefficient of variation, sample standard deviation ÷ mean. Cover bids placed
  just above an agreed winner make it small.
- ``rd``: the gap between the two lowest quotes ÷ the sample standard deviation of the losing
  quotes (Imhof's *relative distance*). Cover bids close together far above the winner make
  it large.
- ``gap``: the same gap ÷ the lowest quote (the *percentage difference*).
- ``kurtosis``: the sample excess kurtosis (Fisher, bias-corrected; needs four quotes).

A procurement is flagged when ``cv`` is below ``cv_below`` and ``rd`` above ``rd_above`` —
together, since either alone flags many honest procurements.

Across procurements, on who bid and who won:

- ``pair``: two firms that bid together in at least ``pair_min_together`` procurements and in
  at least ``pair_share`` of the procurements of the one of them that bids less;
- ``cover``: a firm that bid with the same winner at least ``cover_min_together`` times and
  lost to that winner every time (never won any of them);
- ``rotation``: a group of at least ``rotation_min_group`` firms linked by flagged pairs,
  whose procurements (at least ``rotation_min_procurements`` in which at least two members
  bid) were won only by members, each member winning at least once and none more than
  ``rotation_max_share`` of them.

Every flag carries its numbers and the procurements it stands on. Pure: numpy over arrays
the caller loads.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Thresholds:
    cv_below: float = 0.03
    rd_above: float = 1.5
    min_quotes: int = 3
    pair_min_together: int = 5
    pair_share: float = 0.8
    cover_min_together: int = 4
    rotation_min_group: int = 3
    rotation_min_procurements: int = 6
    rotation_max_share: float = 0.6

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Thresholds:
        known = set(cls.__slots__)
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown screen thresholds: {sorted(unknown)}")
        values = {k: type(getattr(cls(), k))(v) for k, v in raw.items()}
        made = cls(**values)
        if made.min_quotes < 3 or made.pair_min_together < 2 or made.rotation_min_group < 2:
            raise ValueError("min_quotes >= 3, pair_min_together >= 2, rotation_min_group >= 2")
        if not (0 < made.pair_share <= 1 and 0 < made.rotation_max_share <= 1):
            raise ValueError("pair_share and rotation_max_share are fractions in (0, 1]")
        return made


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Tender:
    """One opened procurement as the screens see it."""

    procurement_id: int
    bidders: tuple[int, ...]  # firm ids, one per counted bid
    quotes: tuple[float, ...]  # the same order as ``bidders``
    winner: int | None  # the firm that won it, None if nobody did (流标, cancelled)


@dataclass(frozen=True, slots=True)
class QuoteScreen:
    procurement_id: int
    quotes: int
    cv: float | None
    rd: float | None
    gap: float | None
    kurtosis: float | None
    flagged: bool


@dataclass(frozen=True, slots=True)
class PairFlag:
    firms: tuple[int, int]
    together: int
    bids: tuple[int, int]  # each firm's procurements
    share: float  # together ÷ the smaller of the two
    procurements: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CoverFlag:
    winner: int
    loser: int
    together: int  # procurements both bid in; the winner won all of them
    procurements: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RotationFlag:
    firms: tuple[int, ...]
    procurements: tuple[int, ...]
    wins: Mapping[int, int] = field(default_factory=dict)
    largest_share: float = 0.0


@dataclass(frozen=True, slots=True)
class Screening:
    quotes: list[QuoteScreen]
    pairs: list[PairFlag]
    covers: list[CoverFlag]
    rotations: list[RotationFlag]

    @property
    def flagged_procurements(self) -> set[int]:
        found = {q.procurement_id for q in self.quotes if q.flagged}
        for flags in (self.pairs, self.covers, self.rotations):
            for flag in flags:
                found.update(flag.procurements)
        return found


def quote_screens(tenders: Sequence[Tender], thresholds: Thresholds) -> list[QuoteScreen]:
    """The per-procurement statistics, computed for all at once on a padded matrix."""
    if not tenders:
        return []
    width = max(len(t.quotes) for t in tenders)
    matrix = np.full((len(tenders), max(width, 2)), np.nan)  # the two lowest are read even for one quote
    for i, tender in enumerate(tenders):
        matrix[i, : len(tender.quotes)] = tender.quotes
    cv, rd, gap, kurt, n = _statistics(matrix)
    screens = []
    for i, tender in enumerate(tenders):
        count = int(n[i])
        enough = count >= thresholds.min_quotes
        value_cv, value_rd, value_gap = (_finite(a[i]) if enough else None for a in (cv, rd, gap))
        kurtosis = _finite(kurt[i]) if count >= 4 else None
        flagged = (
            value_cv is not None
            and value_rd is not None
            and value_cv < thresholds.cv_below
            and value_rd > thresholds.rd_above
        )
        screens.append(
            QuoteScreen(tender.procurement_id, count, value_cv, value_rd, value_gap, kurtosis, flagged)
        )
    return screens


def _statistics(
    matrix: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], ...]:
    """cv, rd, gap, excess kurtosis and the count per row of ``matrix`` (NaN-padded)."""
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a row without quotes: its mean is NaN
        n = np.sum(~np.isnan(matrix), axis=1).astype(np.float64)
        mean = np.nanmean(matrix, axis=1)
        centred = matrix - mean[:, None]
        m2 = np.nansum(centred**2, axis=1)
        std = np.sqrt(m2 / (n - 1))
        cv = std / mean
        ordered = np.sort(matrix, axis=1)  # NaN last
        lowest, second = ordered[:, 0], ordered[:, 1]
        losing = ordered[:, 1:]
        losing_n = n - 1
        losing_mean = np.nanmean(losing, axis=1)
        losing_std = np.sqrt(np.nansum((losing - losing_mean[:, None]) ** 2, axis=1) / (losing_n - 1))
        rd = (second - lowest) / losing_std
        gap = (second - lowest) / lowest
        m4 = np.nansum(centred**4, axis=1)
        variance = m2 / (n - 1)
        kurt = (n * (n + 1) * m4) / ((n - 1) * (n - 2) * (n - 3) * variance**2) - (3 * (n - 1) ** 2) / (
            (n - 2) * (n - 3)
        )
    return cv, rd, gap, kurt, n


def _finite(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def screen(tenders: Sequence[Tender], thresholds: Thresholds) -> Screening:
    """Every screen over ``tenders``."""
    pairs = pair_flags(tenders, thresholds)
    return Screening(
        quotes=quote_screens(tenders, thresholds),
        pairs=pairs,
        covers=cover_flags(tenders, thresholds),
        rotations=rotation_flags(tenders, pairs, thresholds),
    )


def _firm_matrix(tenders: Sequence[Tender]) -> npt.NDArray[np.int64]:
    """The bidders of each tender as a row, padded with -1 (a firm bidding twice counts once)."""
    width = max((len(t.bidders) for t in tenders), default=0)
    matrix = np.full((len(tenders), max(width, 1)), -1, dtype=np.int64)
    for i, tender in enumerate(tenders):
        firms = sorted(set(tender.bidders))
        matrix[i, : len(firms)] = firms
    return matrix


def _ordered_pairs(
    matrix: npt.NDArray[np.int64], *, both_ways: bool
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(first, second, tender index) of every pair of bidders in a row: a < b, or both ways."""
    width = matrix.shape[1]
    xs, ys = np.triu_indices(width, k=1)
    if both_ways:
        xs, ys = np.concatenate([xs, ys]), np.concatenate([ys, xs])
    first, second = matrix[:, xs], matrix[:, ys]
    rows = np.broadcast_to(np.arange(matrix.shape[0])[:, None], first.shape)
    keep = (first >= 0) & (second >= 0)
    return first[keep], second[keep], rows[keep]


def pair_flags(tenders: Sequence[Tender], thresholds: Thresholds) -> list[PairFlag]:
    if not tenders:
        return []
    matrix = _firm_matrix(tenders)
    base = int(matrix.max()) + 1
    a_all, b_all, rows = _ordered_pairs(matrix, both_ways=False)
    if a_all.size == 0:
        return []
    bids = np.bincount(matrix[matrix >= 0], minlength=base)
    unique, inverse, together = np.unique(a_all * base + b_all, return_inverse=True, return_counts=True)
    a, b = unique // base, unique % base
    share = together / np.minimum(bids[a], bids[b])
    chosen = np.flatnonzero((together >= thresholds.pair_min_together) & (share >= thresholds.pair_share))
    ids = np.asarray([t.procurement_id for t in tenders], dtype=np.int64)
    flags = []
    for k in chosen:
        procurements = np.sort(ids[rows[inverse == k]])
        flags.append(
            PairFlag(
                firms=(int(a[k]), int(b[k])),
                together=int(together[k]),
                bids=(int(bids[a[k]]), int(bids[b[k]])),
                share=round(float(share[k]), 4),
                procurements=tuple(int(p) for p in procurements),
            )
        )
    return flags


def cover_flags(tenders: Sequence[Tender], thresholds: Thresholds) -> list[CoverFlag]:
    """Per (winner, loser): the procurements with a winner both bid in, and whether the
    winner won every one of them."""
    decided = [t for t in tenders if t.winner is not None]
    if not decided:
        return []
    matrix = _firm_matrix(decided)
    base = int(matrix.max()) + 1
    first, second, rows = _ordered_pairs(matrix, both_ways=True)
    codes = first * base + second
    winners = np.asarray([t.winner for t in decided], dtype=np.int64)
    won = winners[rows] == first  # this ordered pair's first firm won the tender
    met_codes, met = np.unique(codes, return_counts=True)
    lost_codes, lost = np.unique(codes[won], return_counts=True)
    met_of_lost = met[np.searchsorted(met_codes, lost_codes)]
    chosen = np.flatnonzero((lost >= thresholds.cover_min_together) & (lost == met_of_lost))
    ids = np.asarray([t.procurement_id for t in decided], dtype=np.int64)
    flags = []
    for k in chosen:
        code = lost_codes[k]
        procurements = np.sort(ids[rows[(codes == code) & won]])
        flags.append(
            CoverFlag(int(code // base), int(code % base), int(lost[k]), tuple(int(p) for p in procurements))
        )
    return sorted(flags, key=lambda f: (-f.together, f.winner, f.loser))


def rotation_flags(
    tenders: Sequence[Tender], pairs: Sequence[PairFlag], thresholds: Thresholds
) -> list[RotationFlag]:
    """Groups of firms all pairwise flagged whose shared procurements rotate among them."""
    linked: dict[int, set[int]] = defaultdict(set)
    for pair in pairs:
        linked[pair.firms[0]].add(pair.firms[1])
        linked[pair.firms[1]].add(pair.firms[0])
    groups = _components(linked)
    flags = []
    for group in groups:
        if len(group) < thresholds.rotation_min_group:
            continue
        shared = [t for t in tenders if len(set(t.bidders) & group) >= 2]
        if len(shared) < thresholds.rotation_min_procurements:
            continue
        winners = [t.winner for t in shared if t.winner is not None]
        if not winners or any(w not in group for w in winners):
            continue
        wins = {firm: winners.count(firm) for firm in sorted(group)}
        largest = max(wins.values()) / len(winners)
        if min(wins.values()) >= 1 and largest <= thresholds.rotation_max_share:
            flags.append(
                RotationFlag(
                    firms=tuple(sorted(group)),
                    procurements=tuple(sorted(t.procurement_id for t in shared)),
                    wins=wins,
                    largest_share=round(largest, 4),
                )
            )
    return flags


def _components(linked: Mapping[int, set[int]]) -> list[set[int]]:
    seen: set[int] = set()
    groups = []
    for start in sorted(linked):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            firm = todo.pop()
            if firm in group:
                continue
            group.add(firm)
            todo.extend(linked[firm] - group)
        seen |= group
        groups.append(group)
    return groups
