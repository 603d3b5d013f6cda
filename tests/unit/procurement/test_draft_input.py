"""Procurement terms arrive as JSON from owners' forms and from the stored row: whatever the
shape, reading them gives DraftTerms or a refusal naming fields, never a crash; and what
the service stores reads back into the same terms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.procurement.draft import DraftTerms
from market.procurement.draft_input import FIELDS, draft_from_input, terms_json
from market.procurement.problems import ProcurementRefused
from tests.json_values import json_values as json_values_of
from tests.unit.procurement.conftest import service_draft, works_draft

json_values = json_values_of(
    [
        "intermediary_service",
        "small_works",
        "amount",
        "125000.00",
        "1E+400",
        "NaN",
        "2026-11-09T10:00",
        "x" * 300,
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from([*sorted(FIELDS), "surprise"]), json_values, max_size=len(FIELDS)))
def test_any_json_gives_terms_or_named_problems(raw: dict[str, Any]) -> None:
    try:
        result = draft_from_input(raw)
    except ProcurementRefused as exc:
        assert exc.problems and all(p.field and p.message for p in exc.problems)
    else:
        assert isinstance(result, DraftTerms)
        assert draft_from_input(terms_json(result)) == result


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(FIELDS)), json_values)
def test_a_sound_draft_with_one_field_replaced_never_crashes(name: str, value: object) -> None:
    raw = terms_json(service_draft())
    raw[name] = value
    try:
        draft_from_input(raw)
    except ProcurementRefused as exc:
        assert exc.problems


@pytest.mark.parametrize("draft", [service_draft(), works_draft()])
def test_stored_terms_read_back_equal(draft: DraftTerms) -> None:
    assert draft_from_input(terms_json(draft)) == draft


def test_every_wrong_field_is_named_at_once() -> None:
    raw = terms_json(service_draft())
    raw.update(
        budget=0.1,
        ceiling="12.345",
        floor="lots",
        quote_mode="barter",
        bid_deadline="tomorrow",
        winners=-1,
        avoidance=[{"firm": 7}],
        method_params={"x": float("nan")},
        colour="red",
    )
    del raw["title"]
    with pytest.raises(ProcurementRefused) as refused:
        draft_from_input(raw)
    named = {p.field for p in refused.value.problems}
    assert named == {
        "budget",
        "ceiling",
        "floor",
        "quote_mode",
        "bid_deadline",
        "winners",
        "avoidance[0].firm",
        "method_params",
        "colour",
        "title",
    }


def test_amounts_are_exact_and_times_without_a_zone_are_china_time() -> None:
    raw = terms_json(service_draft())
    raw.update(budget=200000, ceiling=" 180000.5 ", bid_deadline="2026-11-09T10:00")
    draft = draft_from_input(raw)
    assert draft.budget == Decimal(200000) and draft.ceiling == Decimal("180000.5")
    assert draft.bid_deadline == service_draft().bid_deadline


def test_not_an_object() -> None:
    with pytest.raises(ProcurementRefused, match="terms"):
        draft_from_input(["kind", "title"])
