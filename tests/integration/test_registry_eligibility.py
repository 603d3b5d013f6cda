"""Eligibility on real PostgreSQL: each rule excludes with its reason, time alone expires
licences and suspensions, and the list and the per-firm explanation always agree."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from market.audit import Actor
from market.db import Database
from market.models import FirmStatus, MisconductSeverity
from market.registry import admission, credit, firms, licences
from market.registry.eligibility import (
    Requirements,
    eligible_firms,
    explain,
    is_eligible,
    requirements_from,
)
from market.registry.records import InvalidRecord, firm_input
from tests.registry_data import (
    ADMIN,
    NOW,
    VOCABULARY,
    admitted_firm,
    contractor,
    intermediary,
    licences_seen,
    uscc,
)


def req(**raw: Any) -> Requirements:
    return requirements_from(VOCABULARY, {"kind": "contractor", **raw})


async def _ids(database: Database, requirements: Requirements, at: Any = NOW) -> set[int]:
    async with database.unit_of_work() as uow:
        return {f.firm_id for f in await eligible_firms(uow, VOCABULARY, requirements, at)}


async def _codes(database: Database, requirements: Requirements, firm_id: int, at: Any = NOW) -> list[str]:
    async with database.unit_of_work() as uow:
        explanation = await explain(uow, VOCABULARY, requirements, firm_id, at)
    return [r.code for r in explanation.reasons]


async def test_an_admitted_firm_with_a_valid_licence_is_eligible(database: Database) -> None:
    firm = await admitted_firm(database, contractor(1))
    requirements = req(work_field="房屋建筑和市政工程", licences=["building_gc"], min_grade="三级")
    assert await _ids(database, requirements) == {firm}
    assert await _codes(database, requirements, firm) == []


async def test_a_licence_stops_counting_the_day_after_valid_until_without_any_job(database: Database) -> None:
    raw = contractor(2)
    raw["licences"][0]["valid_until"] = "2026-12-31"
    firm = await admitted_firm(database, raw)
    requirements = req(licences=["building_gc"])
    # 2026-12-31 23:30 in Shaoguan is 15:30 UTC: still valid; 00:30 on 1 January is not
    last_evening = NOW.replace(month=12, day=31, hour=15, minute=30)
    assert await _ids(database, requirements, last_evening) == {firm}
    next_morning = last_evening + timedelta(hours=1)
    assert await _ids(database, requirements, next_morning) == set()
    # the one-firm check keeps its statement per requirements, never the time it was built at
    async with database.unit_of_work() as uow:
        assert await is_eligible(uow, VOCABULARY, requirements, firm, last_evening)
        assert not await is_eligible(uow, VOCABULARY, requirements, firm, next_morning)
        assert await is_eligible(uow, VOCABULARY, requirements, firm, last_evening)
    async with database.unit_of_work() as uow:
        explanation = await explain(uow, VOCABULARY, requirements, firm, next_morning)
    assert not explanation.eligible
    assert explanation.reasons[0].code == "licence-expired"
    assert "2026-12-31" in explanation.reasons[0].message


async def test_a_licence_not_yet_issued_does_not_count(database: Database) -> None:
    raw = contractor(3)
    raw["licences"][0]["issued_on"] = "2027-01-10"
    firm = await admitted_firm(database, raw)
    assert await _codes(database, req(licences=["building_gc"]), firm) == ["licence-not-yet-valid"]


async def test_grade_below_the_minimum_excludes(database: Database) -> None:
    firm = await admitted_firm(database, contractor(4))  # 三级
    requirements = req(licences=[{"licence_type": "building_gc", "min_grade": "二级"}])
    assert await _ids(database, requirements) == set()
    assert await _codes(database, requirements, firm) == ["licence-grade-too-low"]


async def test_any_of_and_all_of_licence_rules(database: Database) -> None:
    raw = contractor(5)
    raw["licences"].append(
        {
            "licence_type": "safety_permit",
            "number": "(粤)JZ安许证字[2024]020001",
            "issuer": "广东省住房和城乡建设厅",
            "valid_until": "2027-06-30",
        }
    )
    both = await admitted_firm(database, raw)
    only_building = await admitted_firm(database, contractor(6))
    listed = ["building_gc", "safety_permit"]
    assert await _ids(database, req(licences=listed, licence_rule="any")) == {both, only_building}
    assert await _ids(database, req(licences=listed, licence_rule="all")) == {both}
    assert await _codes(database, req(licences=listed, licence_rule="all"), only_building) == [
        "licence-missing"
    ]
    assert await _codes(database, req(licences=["municipal_gc", "highway_gc"]), only_building) == [
        "no-listed-licence",
        "licence-missing",
        "licence-missing",
    ]


async def test_applied_returned_and_removed_firms_are_not_eligible(database: Database) -> None:
    async with database.unit_of_work() as uow:
        applied = await firms.apply(
            uow, ADMIN, firm_input(VOCABULARY, contractor(7)), now=NOW, vocabulary=VOCABULARY
        )
        await uow.commit()
    removed = await admitted_firm(database, contractor(8))
    async with database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, removed)
        await admission.change_status(uow, ADMIN, firm, FirmStatus.REMOVED, reason="清出", now=NOW)
        await uow.commit()
    assert await _ids(database, req()) == set()
    assert await _codes(database, req(), applied.id) == ["not-admitted"]
    assert await _codes(database, req(licences=["building_gc"]), applied.id) == [
        "not-admitted",
        "licence-pending",
    ]
    assert await _codes(database, req(), removed) == ["not-admitted"]


async def test_a_suspension_with_an_end_lapses_by_itself(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(9))
    until = NOW + timedelta(days=10)
    async with database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, firm_id)
        await admission.change_status(
            uow, ADMIN, firm, FirmStatus.SUSPENDED, reason="拖欠工资", now=NOW, until=until
        )
        await uow.commit()
    assert await _ids(database, req()) == set()
    assert await _codes(database, req(), firm_id) == ["suspended"]
    assert await _ids(database, req(), until) == {firm_id}
    assert await _codes(database, req(), firm_id, until) == []


async def test_severe_misconduct_suspends_and_deducts(database: Database) -> None:
    firm_id = await admitted_firm(database, contractor(10))
    async with database.unit_of_work() as uow:
        await credit.record_misconduct(
            uow,
            ADMIN,
            firm_id,
            severity=MisconductSeverity.SEVERE,
            description="串通投标",
            occurred_on=NOW.date(),
            now=NOW,
            policy=VOCABULARY.credit,
        )
        await uow.commit()
    assert await _codes(database, req(min_credit=60), firm_id) == ["suspended"]
    days = VOCABULARY.credit.severe_suspension_days
    later = NOW + timedelta(days=days)
    assert await _codes(database, req(min_credit=70), firm_id, later) == ["low-credit"]
    assert await _ids(database, req(min_credit=60), later) == {firm_id}


async def test_field_locality_credit_practitioners_and_avoidance(database: Database) -> None:
    local = await admitted_firm(database, contractor(11))
    outside = await admitted_firm(database, contractor(12, division_code="", address="广州市天河区体育西路 1 号"))
    water = await admitted_firm(database, contractor(13, work_fields=["水利"]))
    assert await _ids(database, req(local_only=True)) == {local, water}
    assert await _codes(database, req(local_only=True), outside) == ["not-local"]
    assert await _ids(database, req(work_field="water")) == {water}
    assert await _codes(database, req(work_field="water"), local) == ["wrong-field"]
    assert await _ids(database, req(min_credit="80.01")) == set()
    assert await _ids(database, req(avoid=[uscc(11)])) == {outside, water}
    assert await _codes(database, req(avoid=[uscc(11)]), local) == ["avoided"]
    agency = await admitted_firm(database, intermediary(14, practitioners=3))
    staffed = {"kind": "intermediary", "service_type": "工程造价咨询", "min_practitioners": 5}
    assert await _codes(database, requirements_from(VOCABULARY, staffed), agency) == ["too-few-practitioners"]
    assert await _codes(database, req(), agency) == ["wrong-registry"]


async def test_a_pending_licence_change_does_not_count_until_approved(database: Database) -> None:
    raw = contractor(15)
    raw["licences"][0]["valid_until"] = "2026-12-01"
    firm_id = await admitted_firm(database, raw)
    later = NOW + timedelta(days=10)
    principal = _principal_of(firm_id)
    async with database.unit_of_work() as uow:
        renewal = dict(raw["licences"][0], valid_until="2029-12-01")
        licence_id = (await licences_seen(uow, firm_id))[0].id
        pending = await licences.submit_licence(
            uow,
            Actor(principal.user_id, principal.username),
            principal,
            firm_id,
            renewal,
            replaces=licence_id,
            vocabulary=VOCABULARY,
        )
        await uow.commit()
    assert await _codes(database, req(licences=["building_gc"]), firm_id, later) == ["licence-expired"]
    async with database.unit_of_work() as uow:
        await licences.review_licence(uow, ADMIN, pending.id, approve=True, reason="", now=NOW)
        await uow.commit()
    assert await _ids(database, req(licences=["building_gc"]), later) == {firm_id}


def _principal_of(firm_id: int) -> Any:
    from market.models import Role
    from market.principal import Principal

    return Principal(900, "firm-user", "企业用户", frozenset({Role.CONTRACTOR}), firm_id)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"kind": "builder"}, "kind"),
        ({"work_field": "航天"}, "work_field"),
        ({"licences": ["no_such"]}, "licences[0]"),
        ({"licences": ["building_gc"], "min_grade": "甲级"}, "licences[0].min_grade"),
        ({"licences": ["cost_consulting_cert"]}, "licences[0]"),
        ({"min_credit": "101"}, "min_credit"),
        ({"avoid": ["914402040000000001"]}, "avoid[0]"),
        ({"service_type": "测绘"}, "service_type"),
    ],
)
def test_bad_requirements_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        requirements_from(VOCABULARY, {"kind": "contractor", **raw})
    assert field in [p.field for p in caught.value.problems]


async def test_the_list_and_the_explanation_agree_on_random_pools(database: Database) -> None:
    rng = random.Random(7)
    ids = []
    for serial in range(100, 140):
        raw = contractor(
            serial,
            work_fields=rng.sample(["housing_municipal", "transport", "water", "energy"], rng.randint(1, 2)),
            division_code=rng.choice(["浈江区", "乐昌市", ""]),
        )
        raw["licences"] = [
            {
                "licence_type": kind,
                "grade": rng.choice(["一级", "二级", "三级"]),
                "number": f"N{serial}-{n}",
                "issuer": "韶关市住房和城乡建设管理局",
                "issued_on": "2024-01-01",
                "valid_until": (NOW.date() + timedelta(days=rng.randint(-60, 120))).isoformat(),
            }
            for n, kind in enumerate(rng.sample(["building_gc", "municipal_gc", "highway_gc", "water_gc"], 2))
        ]
        firm_id = await admitted_firm(database, raw)
        ids.append(firm_id)
        if rng.random() < 0.2:
            async with database.unit_of_work() as uow:
                firm = await admission.load_firm(uow, firm_id)
                until = NOW + timedelta(days=rng.randint(1, 60))
                await admission.change_status(
                    uow, ADMIN, firm, FirmStatus.SUSPENDED, reason="抽查", now=NOW, until=until
                )
                await credit.adjust(
                    uow, ADMIN, firm_id, delta=Decimal(-rng.randint(1, 30)), reason="测试", now=NOW
                )
                await uow.commit()
    for _ in range(25):
        raw_req: dict[str, Any] = {
            "licences": rng.sample(
                ["building_gc", "municipal_gc", "highway_gc", "water_gc"], rng.randint(0, 2)
            ),
            "licence_rule": rng.choice(["any", "all"]),
            "local_only": rng.random() < 0.5,
        }
        if raw_req["licences"] and rng.random() < 0.5:
            raw_req["min_grade"] = rng.choice(["一级", "二级", "三级"])
        if rng.random() < 0.5:
            raw_req["work_field"] = rng.choice(["housing_municipal", "transport", "water", "energy"])
        if rng.random() < 0.3:
            raw_req["min_credit"] = rng.choice(["60", "75", "80"])
        requirements = req(**raw_req)
        at = NOW + timedelta(days=rng.randint(0, 90))
        listed = await _ids(database, requirements, at)
        async with database.unit_of_work() as uow:
            explained = {f for f in ids if (await explain(uow, VOCABULARY, requirements, f, at)).eligible}
            one_by_one = {f for f in ids if await is_eligible(uow, VOCABULARY, requirements, f, at)}
        assert listed == explained == one_by_one, raw_req
