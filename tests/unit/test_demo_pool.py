"""The demo pool generator: reproducible, valid, and varied the way a real pool is."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from stdnum.cn import uscc as uscc_number

from market.demo import ORGANISATIONS, demo_uscc
from market.models import Registry
from market.registry.demo_pool import demo_firms
from market.registry.records import FirmInput
from market.registry.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()
TODAY = date(2026, 11, 2)


@pytest.fixture(scope="module")
def pool() -> list[FirmInput]:
    return demo_firms(VOCABULARY, today=TODAY)


def test_the_same_seed_gives_the_same_records(pool: list[FirmInput]) -> None:
    assert demo_firms(VOCABULARY, today=TODAY) == pool


def test_another_seed_gives_another_pool(pool: list[FirmInput]) -> None:
    other = demo_firms(VOCABULARY, today=TODAY, contractors=50, intermediaries=50, seed=7)
    assert not {r.uscc for r in other} & {r.uscc for r in pool}


def test_identities_do_not_depend_on_the_day(pool: list[FirmInput]) -> None:
    later = demo_firms(VOCABULARY, today=TODAY + timedelta(days=400))
    assert [(r.uscc, r.name) for r in later] == [(r.uscc, r.name) for r in pool]


def test_counts_per_registry(pool: list[FirmInput]) -> None:
    assert Counter(r.kind for r in pool) == {Registry.CONTRACTOR: 600, Registry.INTERMEDIARY: 300}
    small = demo_firms(VOCABULARY, today=TODAY, contractors=3, intermediaries=2)
    assert [r.kind for r in small] == [Registry.CONTRACTOR] * 3 + [Registry.INTERMEDIARY] * 2


def test_usccs_are_valid_and_distinct_and_not_the_demo_accounts(pool: list[FirmInput]) -> None:
    usccs = [r.uscc for r in pool]
    assert all(uscc_number.is_valid(u) for u in usccs)
    assert len(set(usccs)) == len(usccs)
    demo_accounts = {demo_uscc(serial * 7919) for serial in range(1, len(ORGANISATIONS) + 1)}
    assert not demo_accounts & set(usccs)
    assert all(u[2:6] in ("4402", "4401", "4403") for u in usccs)  # Guangdong: Shaoguan, Guangzhou, Shenzhen


def test_names_are_distinct_and_local_firms_are_in_a_division(pool: list[FirmInput]) -> None:
    assert len({r.name for r in pool}) == len(pool)
    divisions = {d.code for d in VOCABULARY.region.divisions}
    local = [r for r in pool if r.division_code is not None]
    assert {r.division_code for r in local} == divisions
    assert all(r.uscc[2:8] == r.division_code for r in local)
    outside = [r for r in pool if r.division_code is None]
    assert 0 < len(outside) < len(pool) * 0.15
    assert all(r.address.startswith(("广州市", "深圳市")) for r in outside)


def test_each_firm_holds_one_to_three_licences_of_its_own_registry(pool: list[FirmInput]) -> None:
    for record in pool:
        assert 1 <= len(record.licences) <= 3, record.name
        fields = set(record.work_fields or record.service_types)
        for licence in record.licences:
            licence_type = VOCABULARY.licence_types[licence.licence_type]
            assert licence_type.registry is record.kind
            assert fields & set(licence_type.covers)
        assert len({lic.licence_type for lic in record.licences}) == len(record.licences)


def test_some_licences_expire_within_thirty_days_and_some_have_expired(pool: list[FirmInput]) -> None:
    licences = [lic for r in pool for lic in r.licences]
    expired = sum(lic.valid_until < TODAY for lic in licences)
    expiring = sum(TODAY <= lic.valid_until < TODAY + timedelta(days=30) for lic in licences)
    assert 0.03 < expired / len(licences) < 0.08
    assert 0.03 < expiring / len(licences) < 0.08
    assert all(lic.issued_on is not None and lic.issued_on <= TODAY for lic in licences)


def test_track_records_are_past_projects_in_yuan(pool: list[FirmInput]) -> None:
    counts = Counter(len(r.track_records) for r in pool)
    assert set(counts) == {0, 1, 2, 3, 4}
    for record in pool:
        fields = set(record.work_fields or record.service_types)
        for track in record.track_records:
            assert track.completed_on < TODAY
            assert isinstance(track.contract_value, Decimal) and track.contract_value > 0
            assert track.contract_value == track.contract_value.quantize(Decimal("0.01"))
            assert track.field_code in fields


def test_intermediaries_have_practitioners(pool: list[FirmInput]) -> None:
    assert all(r.practitioners > 0 for r in pool if r.kind is Registry.INTERMEDIARY)
