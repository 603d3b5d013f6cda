"""What must hold before a procurement is published: every problem at once.

:func:`publication_problems` takes the terms from reference data, the draft, the time and
the working calendar and lists every problem with its field, so an owner's form shows them
all beside their fields at once. What it cannot know without the database is left to the
service, which adds its own problems to the same list:

- the division and service type or field of work against the registries' vocabulary, and
  the requirements through :func:`market.registry.requirements.requirements_from`;
- **enough eligible firms now** for the method: the service counts them with the
  registries' eligibility, then asks :func:`shortage_problem` (pure) for the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

import contracts.uscc
from market.calendar import UnknownCalendarYear, WorkingCalendar
from market.clock import local
from market.procurement import limits
from market.procurement.draft import DraftTerms
from market.procurement.methods import method_problems
from market.procurement.problems import Problem
from market.procurement.review_terms import review_problems
from market.procurement.terms import KindTerms, ProcurementTerms


def money_problem(name: str, value: object) -> Problem | None:
    """An amount is a Decimal in yuan, above zero, with at most two places."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return Problem(name, "an amount in yuan, e.g. 125000.00")
    if value <= 0:
        return Problem(name, "the amount is above zero")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return Problem(name, "an amount has at most two decimal places (fen)")
    if value > limits.MAX_AMOUNT:
        return Problem(name, f"the amount is at most {limits.MAX_AMOUNT} yuan")
    return None


def _texts(draft: DraftTerms) -> list[Problem]:
    problems = []
    for name, most in limits.TEXT.items():
        value = getattr(draft, name)
        least = limits.TEXT_MIN.get(name, 0)
        if not isinstance(value, str):
            problems.append(Problem(name, "text"))
        elif len(value.strip()) < least:
            problems.append(Problem(name, f"say it in at least {least} characters"))
        elif len(value) > most:
            problems.append(Problem(name, f"at most {most} characters ({len(value)} given)"))
    return problems


def _amounts(draft: DraftTerms, kind: KindTerms) -> list[Problem]:
    problems = []
    checked = {"budget": draft.budget, "ceiling": draft.ceiling}
    if draft.floor is not None:
        checked["floor"] = draft.floor
    bad = set()
    for name, value in checked.items():
        problem = money_problem(name, value)
        if problem is not None:
            problems.append(problem)
            bad.add(name)
    if not {"ceiling", "budget"} & bad and draft.ceiling > draft.budget:
        problems.append(
            Problem("ceiling", f"the ceiling (最高限价) {draft.ceiling} is above the budget {draft.budget}")
        )
    if draft.floor is not None and not {"floor", "ceiling"} & bad and draft.floor > draft.ceiling:
        problems.append(Problem("floor", f"the floor {draft.floor} is above the ceiling {draft.ceiling}"))
    if "budget" not in bad and draft.budget >= kind.value_below:
        problems.append(
            Problem(
                "budget",
                f"a {kind.name} procurement is below {kind.value_below} yuan; at {draft.budget} "
                "it must go to a full tender (招标)",
            )
        )
    return problems


def _kind_fields(draft: DraftTerms, kind: KindTerms) -> list[Problem]:
    problems = []
    if kind.takes_bids:
        if draft.quote_mode not in kind.quote_modes:
            allowed = ", ".join(f"{m.value} ({m.label})" for m in kind.quote_modes)
            problems.append(Problem("quote_mode", f"choose how bids quote: {allowed}"))
        if draft.bid_deadline is None:
            problems.append(Problem("bid_deadline", "set the bid deadline (报价截止时间)"))
        if draft.work_field is not None:
            problems.append(Problem("work_field", f"a {kind.name} procurement names a service type"))
    else:
        if draft.quote_mode is not None:
            problems.append(Problem("quote_mode", f"nobody bids on a {kind.name} procurement: no quote mode"))
        if draft.bid_deadline is not None:
            problems.append(
                Problem("bid_deadline", f"nobody bids on a {kind.name} procurement: no bid deadline")
            )
        if draft.service_type is not None:
            problems.append(Problem("service_type", f"a {kind.name} procurement names a field of work"))
        if draft.winners > 1:
            # one offer chain: the drawn contractor, then the alternates in drawn order
            problems.append(
                Problem("winners", f"a {kind.name} procurement draws one contractor; alternates follow it")
            )
    option = kind.method(draft.method, draft.variant)
    if option is None:
        allowed = ", ".join(f"{m.code} ({m.name})" for m in kind.methods if m.method != "direct")
        problems.append(
            Problem("method", f"{draft.method_code} is not a method for {kind.name}; allowed: {allowed}")
        )
    elif draft.method == "direct":
        problems.append(Problem("method", direct_by_request(kind)))
    return problems


def direct_by_request(kind: KindTerms) -> str:
    """Why a draft cannot be published with the direct method: direct selection follows
    failed attempts, asked for on the last one and approved by a supervisor."""
    return (
        f"direct selection (直接选取) is not published as such: after {kind.direct_after_failed_attempts} "
        "failed attempts (流标) the owner requests it on the failed procurement, naming the firm and "
        "why, and a supervisor approves"
    )


def _avoidance(draft: DraftTerms) -> list[Problem]:
    problems = []
    if len(draft.avoidance) > limits.AVOIDANCE:
        problems.append(Problem("avoidance", f"at most {limits.AVOIDANCE} firms on the avoidance list"))
    seen: set[str] = set()
    for index, entry in enumerate(draft.avoidance):
        where = f"avoidance[{index}]"
        try:
            firm = contracts.uscc.normalise(entry.firm)
        except contracts.uscc.InvalidUscc as exc:
            problems.append(Problem(f"{where}.firm", str(exc)))
        else:
            if firm in seen:
                problems.append(Problem(f"{where}.firm", f"{firm} is on the avoidance list twice"))
            seen.add(firm)
        reason = entry.reason.strip()
        if not reason:
            problems.append(Problem(f"{where}.reason", "say why the firm is kept out (回避理由)"))
        elif len(reason) > limits.REASON:
            problems.append(Problem(f"{where}.reason", f"the reason is at most {limits.REASON} characters"))
    return problems


def _unknown_year(field: str, exc: UnknownCalendarYear) -> Problem:
    return Problem(
        field,
        f"working days in {exc.year} cannot be counted yet: an administrator imports the "
        f"holidays of {exc.year} first (market calendar import)",
    )


def period_problem(
    field: str, closes_at: datetime, now: datetime, working_days: int, calendar: WorkingCalendar
) -> Problem | None:
    """``closes_at`` leaves at least ``working_days`` working days after ``now`` (counted
    as the calendar counts: the same clock time on the n-th working day after today)."""
    try:
        earliest = calendar.add_working_days(now, working_days)
    except UnknownCalendarYear as exc:
        return _unknown_year(field, exc)
    if closes_at < earliest:
        return Problem(
            field,
            f"at least {working_days} working days (工作日) from now: "
            f"{local(earliest):%Y-%m-%d %H:%M} or later",
        )
    return None


def _times(draft: DraftTerms, kind: KindTerms, now: datetime, calendar: WorkingCalendar) -> list[Problem]:
    problems = []
    named = {"selection_time": draft.selection_time, "bid_deadline": draft.bid_deadline}
    for name, value in named.items():
        if value is not None and value.tzinfo is None:
            problems.append(Problem(name, "a time with its zone (China time if typed without one)"))
    if problems:
        return problems
    closing = "bid_deadline" if kind.takes_bids and draft.bid_deadline is not None else "selection_time"
    problem = period_problem(closing, draft.closes_at, now, kind.min_bid_working_days, calendar)
    if problem is not None:
        problems.append(problem)
    if draft.bid_deadline is not None and draft.selection_time <= draft.bid_deadline:
        problems.append(
            Problem("selection_time", "the selection (选取时间) comes after the bid deadline (报价截止)")
        )
    elif (
        kind.takes_bids
        and draft.bid_deadline is not None
        and draft.selection_time < earliest_selection(draft.bid_deadline, kind)
    ):
        # the draw's reveal window runs from the freeze (at the deadline) to the reveal deadline
        # (selection time − gap), and the beacon is entered in the gap: both need their time
        problems.append(
            Problem(
                "selection_time",
                f"the selection (选取时间) is at least {2 * kind.reveal_gap_minutes} minutes after the "
                f"bid deadline: {kind.reveal_gap_minutes} for the parties to reveal their secrets, "
                f"{kind.reveal_gap_minutes} for the beacon; "
                f"{local(earliest_selection(draft.bid_deadline, kind)):%Y-%m-%d %H:%M} or later",
            )
        )
    if not kind.takes_bids and pool_freeze_time(draft.selection_time, kind) <= now:
        # the pool is fixed at the freeze: one already past would be fixed by whoever publishes
        problems.append(
            Problem(
                "selection_time",
                f"the contractor pool is fixed {kind.pool_freeze_minutes} minutes before the reveal "
                f"deadline, {kind.reveal_gap_minutes} minutes before the selection: that time has to "
                "come after publication",
            )
        )
    return problems


def pool_freeze_time(selection_time: datetime, kind: KindTerms) -> datetime:
    """When the pool of a kind without bids is fixed (the freeze): ``pool_freeze_minutes``
    before the reveal deadline, so the parties have that long to reveal."""
    return reveal_deadline(selection_time, kind) - timedelta(minutes=kind.pool_freeze_minutes)


def reveal_deadline(selection_time: datetime, kind: KindTerms) -> datetime:
    """When the draw's reveal window closes: the reveal gap before the selection."""
    return selection_time - timedelta(minutes=kind.reveal_gap_minutes)


def earliest_selection(bid_deadline: datetime, kind: KindTerms) -> datetime:
    """The earliest selection time a bid deadline allows: a reveal window, then the gap."""
    return bid_deadline + timedelta(minutes=2 * kind.reveal_gap_minutes)


def static_problems(terms: ProcurementTerms, draft: DraftTerms) -> list[Problem]:
    """Everything that does not depend on the time: texts, money, kind, method, the review
    step's criteria and deadline (ordered against the other deadlines), avoidance."""
    kind = terms.of(draft.kind)
    problems = _texts(draft) + _amounts(draft, kind) + _kind_fields(draft, kind)
    if kind.method(draft.method, draft.variant) is not None:
        problems += method_problems(draft, terms) + review_problems(draft, kind)
    return problems + _avoidance(draft)


def publication_problems(
    terms: ProcurementTerms, draft: DraftTerms, now: datetime, calendar: WorkingCalendar
) -> list[Problem]:
    """Every problem that keeps ``draft`` from being published at ``now``; empty: it may."""
    return static_problems(terms, draft) + _times(draft, terms.of(draft.kind), now, calendar)


def needed_firms(draft: DraftTerms) -> int:
    """How many eligible firms the method needs at least: every winner and alternate
    (a direct selection needs its one firm)."""
    return 1 if draft.method == "direct" else max(draft.winners, 1) + max(draft.alternates, 0)


def shortage_problem(draft: DraftTerms, eligible: int, refusals: Mapping[str, int]) -> Problem | None:
    """The service's hook for "enough eligible firms now": given the number eligible and,
    per refusal reason code, how many firms it kept out, the problem to list, if any."""
    needed = needed_firms(draft)
    if eligible >= needed:
        return None
    why = ", ".join(f"{code}: {count}" for code, count in sorted(refusals.items(), key=lambda r: -r[1]))
    return Problem(
        "requirements",
        f"{eligible} firms are eligible now, {draft.method_code} needs at least {needed}"
        + (f"; kept out: {why}" if why else ""),
    )
