"""Publication lists every problem with its field, at once, counting working days."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from market.calendar import working_calendar
from market.procurement.draft import Avoidance
from market.procurement.publication import pool_freeze_time, publication_problems, shortage_problem
from market.procurement.terms import ProcurementKind, QuoteMode

from .conftest import CALENDAR, NOW, TERMS, at, service_draft, works_draft


def fields(draft: object, now: object = NOW, calendar: object = CALENDAR) -> dict[str, str]:
    problems = publication_problems(TERMS, draft, now, calendar)  # type: ignore[arg-type]
    return {p.field: p.message for p in problems}


def test_a_sound_draft_of_each_kind_publishes() -> None:
    assert fields(service_draft()) == {}
    assert fields(works_draft()) == {}
    assert fields(works_draft(method="combined", variant="credit_weighted")) == {}


def test_every_problem_is_listed_at_once_with_its_field() -> None:
    draft = service_draft(
        title="x",
        budget=Decimal("100.005"),
        ceiling=Decimal("-5"),
        floor=Decimal("0"),
        quote_mode=None,
        method="scored",
        method_params={"weights": {"price": 60, "credit": 30}, "colour": "red"},
        winners=0,
        alternates=-1,
        avoidance=(Avoidance("nonsense", " "),),
        bid_deadline=at(2026, 11, 3, 10, 0),
        selection_time=at(2026, 11, 3, 9, 0),
    )
    found = fields(draft)
    assert set(found) == {
        "title",
        "budget",
        "ceiling",
        "floor",
        "quote_mode",
        "method_params.weights",
        "method_params.colour",
        "winners",
        "alternates",
        "avoidance[0].firm",
        "avoidance[0].reason",
        "bid_deadline",
        "selection_time",
    }
    assert "two decimal places" in found["budget"]
    assert "above zero" in found["ceiling"]
    assert "90.00" in found["method_params.weights"]  # the engine's own message: sum is not 100


def test_floor_ceiling_budget_are_ordered() -> None:
    found = fields(service_draft(ceiling=Decimal("250000.00"), floor=Decimal("260000.00")))
    assert set(found) == {"ceiling", "floor"}


def test_value_limits_per_kind() -> None:
    assert "full tender" in fields(
        service_draft(budget=Decimal("1000000.00"), ceiling=Decimal("900000.00"))
    )["budget"]
    assert fields(works_draft(budget=Decimal("3999999.99"), ceiling=Decimal("3999999.99"))) == {}
    assert set(fields(works_draft(budget=Decimal("4000000.00")))) == {"budget"}


def test_methods_allowed_per_kind() -> None:
    assert set(fields(works_draft(method="lowest_price"))) == {"method"}
    assert set(fields(works_draft(method="combined", variant="top_n"))) == {"method"}
    assert set(fields(service_draft(method="lottery"))) == {"method"}


def test_small_works_take_no_bids() -> None:
    found = fields(
        works_draft(quote_mode=QuoteMode.AMOUNT, bid_deadline=at(2026, 11, 9, 9, 0), service_type="x")
    )
    assert set(found) == {"quote_mode", "bid_deadline", "service_type"}


def test_direct_selection_is_not_published_but_requested_after_failed_attempts() -> None:
    found = fields(service_draft(method="direct", alternates=0, method_params={"reason": "抢险"}))
    assert set(found) == {"method"}
    assert "after 2 failed attempts" in found["method"] and "supervisor approves" in found["method"]
    # its own checks still speak beside it
    found = fields(service_draft(method="direct", alternates=1))
    assert set(found) == {"method", "method_params.reason", "winners"}


def test_method_parameters_are_the_engines() -> None:
    assert fields(service_draft(method="scored", method_params={"weights": {"price": 60, "credit": 40}})) == {}
    rate = service_draft(
        method="scored", quote_mode=QuoteMode.DISCOUNT_RATE, method_params={"weights": {"price": 100}}
    )
    assert set(fields(rate)) == {"quote_mode"}
    short = service_draft(method="combined", variant="shortlist_price", method_params={"shortlist": 1})
    assert set(fields(short)) == {"method_params.shortlist"}  # below winners + alternates
    bands = service_draft(method="combined", variant="credit_weighted", method_params={"band_weights": {"A": 0}})
    assert set(fields(bands)) == {"method_params.band_weights"}
    abnormal = service_draft(method_params={"abnormal": {"below_next_pct": 100}})
    assert set(fields(abnormal)) == {"method_params.abnormal"}


def test_avoidance_entries_each_need_a_reason_and_are_listed_once() -> None:
    entry = Avoidance("91440203MA55K9870C", "关联")
    found = fields(service_draft(avoidance=(entry, Avoidance("91440203MA55K9870C", ""))))
    assert set(found) == {"avoidance[1].firm", "avoidance[1].reason"}


def test_the_period_counts_working_days_across_national_day_2026() -> None:
    published = at(2026, 9, 30, 10, 0)  # Wednesday before the holiday of Oct 1-7
    earliest = CALENDAR.add_working_days(published, 3)
    # Oct 8 and 9 are working days, and so is the swapped Saturday Oct 10
    assert earliest == at(2026, 10, 10, 10, 0)
    assert CALENDAR.working_days_between(published, earliest) == 3
    on_time = service_draft(bid_deadline=earliest, selection_time=earliest + timedelta(hours=2))
    assert fields(on_time, now=published) == {}
    early = service_draft(bid_deadline=earliest - timedelta(minutes=1), selection_time=earliest)
    assert "2026-10-10 10:00" in fields(early, now=published)["bid_deadline"]
    # calendar days would have said Oct 3: a holiday
    assert not CALENDAR.is_working_day(at(2026, 10, 3, 10, 0))


def test_small_works_count_the_period_up_to_the_draw() -> None:
    found = fields(works_draft(selection_time=at(2026, 11, 4, 10, 0)))
    assert set(found) == {"selection_time"}


def test_an_unknown_year_becomes_a_problem_naming_it() -> None:
    only_2026 = working_calendar()
    late = at(2026, 12, 30, 10, 0)
    years = {y: v for y, v in only_2026.years.items() if y <= 2026}
    from market.calendar import WorkingCalendar

    found = fields(
        service_draft(bid_deadline=at(2027, 1, 8, 10, 0), selection_time=at(2027, 1, 8, 15, 0)),
        now=late,
        calendar=WorkingCalendar(years),
    )
    assert set(found) == {"bid_deadline"}
    assert "2027" in found["bid_deadline"]


def test_the_selection_leaves_a_reveal_window_and_a_beacon_gap_after_the_deadline() -> None:
    # reveal_gap_minutes = 60: the reveal window and then the beacon each get an hour
    too_soon = fields(service_draft(selection_time=at(2026, 11, 9, 11, 59)))
    assert set(too_soon) == {"selection_time"}
    assert "120 minutes" in too_soon["selection_time"] and "2026-11-09 12:00" in too_soon["selection_time"]
    assert fields(service_draft(selection_time=at(2026, 11, 9, 12, 0))) == {}


def test_the_eligible_firms_hook_names_the_shortage_and_reasons() -> None:
    draft = service_draft(winners=2, alternates=1)
    assert shortage_problem(draft, 3, {}) is None
    problem = shortage_problem(draft, 2, {"licence-missing": 5, "suspended": 1})
    assert problem is not None and problem.field == "requirements"
    assert "needs at least 3" in problem.message and "licence-missing: 5" in problem.message


def test_small_works_draw_one_contractor_and_fix_their_pool_after_publication() -> None:
    assert "draws one contractor" in fields(works_draft(winners=2))["winners"]
    assert fields(works_draft(alternates=3)) == {}
    kind = TERMS.of(ProcurementKind.SMALL_WORKS)
    month = replace(kind, pool_freeze_minutes=60 * 24 * 30)
    late = replace(TERMS, kinds={**TERMS.kinds, ProcurementKind.SMALL_WORKS: month})
    problems = {p.field: p.message for p in publication_problems(late, works_draft(), NOW, CALENDAR)}
    assert "contractor pool is fixed" in problems["selection_time"]
    selection = works_draft().selection_time
    assert pool_freeze_time(selection, kind) == selection - timedelta(minutes=60 + 120)
