"""What an amendment (变更公告) changes, and what it does to deadlines and bids.

A change bidders rely on (requirements, ceiling or floor, quote mode, method, deadlines,
the review criteria)
must leave them at least the configured minimum working days from the amendment, and the
bids already in must be confirmed again (as ProZorro does): :func:`amendment_effect` says
which fields changed, whether bidders rely on them, and the deadline to publish, moved
later if the owner's is too early (the selection time moves with it, keeping the gap the
owner chose). The amended terms must still pass :func:`amendment_problems`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from market.calendar import UnknownCalendarYear, WorkingCalendar
from market.procurement.draft import DraftTerms
from market.procurement.problems import Problem, ProcurementRefused
from market.procurement.publication import _unknown_year, static_problems
from market.procurement.terms import ProcurementTerms

#: The fields bidders price and decide on.
BIDDER_RELIED: frozenset[str] = frozenset(
    {
        "requirements",
        "ceiling",
        "floor",
        "quote_mode",
        "method",
        "variant",
        "method_params",
        "winners",
        "alternates",
        "bid_deadline",
        "selection_time",
        # the review step: what the bids are scored on, and when the scores are frozen
        "review_criteria",
        "review_deadline",
    }
)


@dataclass(frozen=True, slots=True)
class Change:
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class AmendmentEffect:
    changes: dict[str, Change]
    relied_on: frozenset[str]  # the changed fields bidders rely on
    earliest_deadline: datetime | None  # when relied on: the earliest the closing may be
    amended: DraftTerms  # the terms to publish, the deadline moved if it had to be
    deadline_moved: bool
    reconfirm_bids: bool  # bids already in count only once confirmed again

    @property
    def bidders_rely_on_it(self) -> bool:
        return bool(self.relied_on)


def diff(before: DraftTerms, after: DraftTerms) -> dict[str, Change]:
    old, new = before.as_dict(), after.as_dict()
    return {name: Change(old[name], new[name]) for name in old if old[name] != new[name]}


def amendment_problems(terms: ProcurementTerms, before: DraftTerms, after: DraftTerms) -> list[Problem]:
    """What keeps ``after`` from replacing ``before`` (the periods are the effect's job)."""
    problems = []
    if after.kind is not before.kind:
        problems.append(Problem("kind", "the kind of a published procurement stays as published"))
    elif not diff(before, after):
        problems.append(Problem("amendment", "the amendment changes nothing"))
    return problems + static_problems(terms, after)


def amendment_effect(
    before: DraftTerms,
    after: DraftTerms,
    now: datetime,
    calendar: WorkingCalendar,
    terms: ProcurementTerms,
) -> AmendmentEffect:
    """The effect of amending ``before`` into ``after`` at ``now``; raises
    :class:`ProcurementRefused` listing every problem of the amended terms."""
    problems = amendment_problems(terms, before, after)
    if problems:
        raise ProcurementRefused(problems)
    changes = diff(before, after)
    relied_on = frozenset(changes) & BIDDER_RELIED
    kind = terms.of(after.kind)
    earliest = None
    amended = after
    if relied_on:
        field = "bid_deadline" if after.bid_deadline is not None else "selection_time"
        try:
            earliest = calendar.add_working_days(now, kind.min_amended_working_days)
        except UnknownCalendarYear as exc:
            raise ProcurementRefused([_unknown_year(field, exc)]) from None
        if after.closes_at < earliest:
            shift = earliest - after.closes_at
            amended = replace(
                after,
                bid_deadline=None if after.bid_deadline is None else earliest,
                selection_time=after.selection_time + shift,
                review_deadline=None if after.review_deadline is None else after.review_deadline + shift,
            )
    if amended.bid_deadline is not None and amended.selection_time <= amended.bid_deadline:
        raise ProcurementRefused(
            [Problem("selection_time", "the selection (选取时间) comes after the bid deadline (报价截止)")]
        )
    return AmendmentEffect(
        changes=diff(before, amended),
        relied_on=relied_on,
        earliest_deadline=earliest,
        amended=amended,
        deadline_moved=amended is not after,
        reconfirm_bids=bool(relied_on) and kind.takes_bids,
    )
