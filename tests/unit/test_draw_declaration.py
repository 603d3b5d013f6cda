"""The draw's declaration at publication, checked against the reference data."""

from __future__ import annotations

import pytest

from market.draw.declaration import BeaconDeclaration, beacon_problems, commitment_problem
from market.procurement.terms import load_procurement_terms

TERMS = load_procurement_terms()


@pytest.mark.parametrize(
    "beacon",
    [
        BeaconDeclaration("external", "digits:3", "中国福利彩票3D 第2026318期"),
        BeaconDeclaration("external", "digits:99", "某公开随机数"),
        BeaconDeclaration("external", "hex64", "drand quicknet 第 12345678 轮"),
        BeaconDeclaration("audit_head", "audit_head", "平台审计链在选取时间的链头"),
    ],
)
def test_allowed_beacons_have_no_problem(beacon: BeaconDeclaration) -> None:
    assert beacon_problems(TERMS, beacon) == []


@pytest.mark.parametrize(
    ("beacon", "field"),
    [
        (None, "beacon"),
        (BeaconDeclaration("twitter", "digits:3", "x"), "beacon.source"),
        (BeaconDeclaration("external", "digits:N", "x"), "beacon.form"),
        (BeaconDeclaration("external", "digits:0", "x"), "beacon.form"),
        (BeaconDeclaration("external", "digits:100", "x"), "beacon.form"),
        (BeaconDeclaration("external", "audit_head", "x"), "beacon.form"),
        (BeaconDeclaration("audit_head", "hex64", "x"), "beacon.form"),
        (BeaconDeclaration("external", "digits:3", "  "), "beacon.reference"),
        (BeaconDeclaration("external", "digits:3", "第\x00期"), "beacon.reference"),
        (BeaconDeclaration("external", "digits:3", "期" * 201), "beacon.reference"),
    ],
)
def test_a_beacon_outside_the_reference_data_is_a_problem_of_its_field(
    beacon: BeaconDeclaration | None, field: str
) -> None:
    assert [p.field for p in beacon_problems(TERMS, beacon)] == [field]


def test_a_commitment_is_64_lowercase_hex_digits() -> None:
    assert commitment_problem("owner_commitment", "ab" * 32) is None
    for bad in ("AB" * 32, "ab" * 31, "ab" * 33, None, 42, "g" * 64):
        problem = commitment_problem("owner_commitment", bad)
        assert problem is not None and problem.field == "owner_commitment"


def test_reference_data_gives_each_kind_a_reveal_gap() -> None:
    assert {k.reveal_gap_minutes for k in TERMS.kinds.values()} == {60}
