"""Requirements arrive as JSON from owners' forms and stored procurements: whatever the
shape, checking them gives Requirements or an InvalidRecord naming fields, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from market.registry.eligibility import Requirements, requirements_from
from market.registry.records import InvalidRecord
from market.registry.vocabulary import load_vocabulary
from tests.json_values import json_values as json_values_of

VOCABULARY = load_vocabulary()
KEYS = [
    "kind",
    "work_field",
    "service_type",
    "licences",
    "licence_rule",
    "min_grade",
    "min_practitioners",
    "local_only",
    "min_credit",
    "avoid",
]
json_values = json_values_of(["contractor", "intermediary", "building_gc", "三级", "水利", "Infinity", "NaN"])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=len(KEYS)))
def test_any_json_gives_requirements_or_named_problems(raw: dict[str, Any]) -> None:
    try:
        result = requirements_from(VOCABULARY, raw)
    except InvalidRecord as exc:
        assert exc.problems and all(p.field and p.message for p in exc.problems)
    else:
        assert isinstance(result, Requirements)


FIRM_KEYS = [
    "kind",
    "uscc",
    "name",
    "legal_representative",
    "address",
    "division",
    "contact_phone",
    "contact_email",
    "work_fields",
    "service_types",
    "practitioners",
    "service_area",
    "licences",
    "track_records",
]


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(FIRM_KEYS), json_values, max_size=len(FIRM_KEYS)))
def test_any_json_firm_record_gives_a_record_or_named_problems(raw: dict[str, Any]) -> None:
    from market.registry.records import FirmInput, firm_input

    try:
        result = firm_input(VOCABULARY, raw)
    except InvalidRecord as exc:
        assert exc.problems and all(p.field and p.message for p in exc.problems)
    else:
        assert isinstance(result, FirmInput)


def test_a_minimum_grade_means_that_grade_and_those_above_and_skips_ungraded_types() -> None:
    requirements = requirements_from(
        VOCABULARY, {"kind": "contractor", "licences": ["building_gc", "safety_permit"], "min_grade": "二级"}
    )
    building, safety = requirements.licences
    assert building.grades == ("特级", "一级", "二级")
    assert safety.grades == () and safety.min_grade == ""
