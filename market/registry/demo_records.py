"""Drawing one demo firm's record: where it is, what it is called, its USCC, licences,
track records and contacts, from a seeded ``random.Random`` and the words in
:mod:`market.registry.demo_names`. :func:`market.registry.demo_pool.demo_firms` draws a
whole pool with these.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from stdnum.cn import uscc as uscc_number

from market.models import Registry
from market.registry.demo_names import (
    AREA_CODES,
    CONSTRUCTION_FORMS,
    CONTRACTOR_ENDINGS,
    CONTRACTOR_FIELD_WEIGHTS,
    ELSEWHERE,
    GENERIC_FORM,
    GENERIC_STREETS,
    GIVEN,
    INTERMEDIARY_ENDINGS,
    LICENCE_FORMS,
    LOCAL_AREA_CODE,
    NATIONAL_GRADES,
    OUTSIDE_SHARE,
    OWNER_BODIES,
    PROJECTS,
    RELATED_SERVICES,
    STREETS,
    SURNAMES,
    TRADE_NAMES,
)
from market.registry.records import FirmInput, firm_input
from market.registry.vocabulary import LicenceType, Vocabulary


@dataclass(frozen=True, slots=True)
class Place:
    """Where a firm is registered: a division of the region, or a district elsewhere."""

    region_code: str  # digits 3-8 of the USCC
    division_code: str | None  # None outside the region
    division_name: str
    name_prefixes: tuple[str, ...]
    address_prefix: str
    streets: tuple[str, ...]
    towns: tuple[str, ...]
    area_code: str


def places(vocabulary: Vocabulary) -> tuple[list[Place], list[Place]]:
    """(the region's divisions, the districts of Guangzhou and Shenzhen) as places."""
    city = vocabulary.region.city
    province = vocabulary.region.province.removesuffix("省")
    local = []
    for term in vocabulary.region.divisions:
        streets, towns = STREETS.get(term.code, GENERIC_STREETS)
        county = term.name if term.name.endswith(("县", "市")) else None
        prefixes = (county, county, city, province) if county else (city, city, city, province)
        local.append(
            Place(
                term.code, term.code, term.name, prefixes, city + term.name, streets, towns, LOCAL_AREA_CODE
            )
        )
    outside = [
        Place(code, None, prefix, (name, name, province), prefix, streets, (), AREA_CODES[name])
        for code, prefix, name, streets in ELSEWHERE
    ]
    return local, outside


# -- numbers ------------------------------------------------------------------------------
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_code_check(body: str) -> str:
    """Check character of an 8-character organisation code (GB 11714)."""
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def pool_uscc(registration: str, region_code: str, org_body: str) -> str:
    """A valid 统一社会信用代码 from its parts: ``registration`` (2 characters, e.g. 91 for a
    company, 31 for a law firm), the 6-digit region and an 8-character organisation code."""
    body = registration + region_code + org_body + _org_code_check(org_body)
    return body + uscc_number.calc_check_digit(body)


def _random_uscc(rng: random.Random, registration: str, region_code: str) -> str:
    if rng.random() < 0.7:  # registered since 2015: MA + 6 characters
        org = "MA" + "".join(rng.choice(_ORG_ALPHABET[:-1]) for _ in range(6))
    else:  # an older organisation code
        org = rng.choice("67") + f"{rng.randrange(10**7):07d}"
    return pool_uscc(registration, region_code, org)


def _dates(rng: random.Random, today: date, years: int) -> tuple[date, date]:
    """(issued_on, valid_until): ~5 % expired, ~5 % expiring within 30 days, the rest later."""
    draw = rng.random()
    if draw < 0.05:
        valid_until = today - timedelta(days=rng.randint(1, 400))
    elif draw < 0.10:
        valid_until = today + timedelta(days=rng.randint(0, 29))
    else:
        valid_until = today + timedelta(days=rng.randint(31, 365 * years - 1))
    day = 28 if (valid_until.month, valid_until.day) == (2, 29) else valid_until.day
    issued_on = date(valid_until.year - years, valid_until.month, day) + timedelta(days=1)
    return issued_on, valid_until


def _grade(rng: random.Random, licence_type: LicenceType) -> str:
    """Small works and local intermediaries: mostly the lower grades."""
    if not licence_type.grades:
        return ""
    from_lowest = [25, 10, 3, 0.5, 0.2][: len(licence_type.grades)]
    return rng.choices(licence_type.grades, weights=from_lowest[::-1])[0]


def _licence(
    rng: random.Random, vocabulary: Vocabulary, code: str, place: Place, today: date
) -> dict[str, Any]:
    licence_type = vocabulary.licence_types[code]
    grade = _grade(rng, licence_type)
    serial = rng.randrange(10**8)
    year = rng.randint(2016, 2025)
    city = place.region_code[:4]
    values = {
        "g": grade[:1],
        "year": year,
        "yy": year % 100,
        "city": city,
        "city2": city[2:],
        "city_name": place.name_prefixes[2],
        "s3": f"{serial % 10**3:03d}",
        "s4": f"{serial % 10**4:04d}",
        "s6": f"{serial % 10**6:06d}",
        "s8": f"{serial:08d}",
    }
    if licence_type.registry is Registry.CONTRACTOR and licence_type.grades:
        ladder = licence_type.grades
        if ladder.index(grade) <= 1 and len(ladder) > 2:  # 特级, 一级
            level = "ministry"
        elif grade == ladder[-1] and place.division_code is not None:
            level = "city"
        else:
            level = "province"
        number, issuer = CONSTRUCTION_FORMS[level]
        years = 5
    else:
        number, issuer, years = LICENCE_FORMS.get(code, GENERIC_FORM)
        issuer = NATIONAL_GRADES.get((code, grade), issuer)
    issued_on, valid_until = _dates(rng, today, years)
    return {
        "licence_type": code,
        "grade": grade,
        "number": number.format(**values),
        "issuer": issuer.format(**values),
        "issued_on": issued_on,
        "valid_until": valid_until,
    }


# -- firms --------------------------------------------------------------------------------
class Names:
    """Company names, all distinct."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, rng: random.Random, place: Place, ending: str) -> str:
        form = (
            "（普通合伙）"
            if ending == "会计师事务所" and rng.random() < 0.5
            else ("" if ending.endswith("事务所") else "有限公司")
        )
        for attempt in range(40):
            trade = rng.choice(TRADE_NAMES)
            if attempt >= 20:  # the common names are taken: combine two
                trade += rng.choice(TRADE_NAMES)
            group = "集团" if form == "有限公司" and rng.random() < 0.04 else ""
            name = f"{rng.choice(place.name_prefixes)}{trade}{ending}{group}{form}"
            if name not in self.taken:
                self.taken.add(name)
                return name
        raise RuntimeError("ran out of company names")  # pragma: no cover - 1e8 combinations


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random, place: Place) -> str:
    if rng.random() < 0.4:
        return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
    digits = 7 if place.area_code == LOCAL_AREA_CODE else 8
    return f"{place.area_code}-{rng.choice('68')}{rng.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def _email(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return ""
    return f"{rng.randrange(10**7, 10**10)}@{rng.choice(('qq.com', '163.com', '126.com'))}"


def _track_records(
    rng: random.Random,
    vocabulary: Vocabulary,
    kind: Registry,
    fields: Sequence[str],
    local: Sequence[Place],
    today: date,
) -> list[dict[str, Any]]:
    records = []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        field = rng.choice(fields)
        place = rng.choice(local)
        town = rng.choice(place.towns) if place.towns else ""
        works = field if kind is Registry.CONTRACTOR else rng.choice(list(PROJECTS))
        project = rng.choice(PROJECTS[works]).format(t=place.division_name + town)
        if kind is Registry.CONTRACTOR:
            cents = rng.randint(300_000_00, 3_980_000_00)
        else:
            project += vocabulary.service_types.name(field).removesuffix("服务") + "服务"
            cents = rng.randint(8_000_00, 600_000_00)
        if town and rng.random() < 0.25:
            owner = f"{place.division_name}{town}人民政府"
        else:
            county = place.division_name.endswith(("县", "市"))
            owner = (place.division_name if county else place.address_prefix) + rng.choice(
                OWNER_BODIES[works]
            )
        records.append(
            {
                "project": project,
                "owner_name": owner,
                "contract_value": Decimal(cents) / 100,
                "completed_on": today - timedelta(days=rng.randint(20, 1800)),
                "field_code": field,
            }
        )
    return records


def draw_firm(
    rng: random.Random,
    vocabulary: Vocabulary,
    kind: Registry,
    places: tuple[list[Place], list[Place]],
    names: Names,
    usccs: set[str],
    today: date,
) -> FirmInput:
    """One firm of registry ``kind``, checked by :func:`firm_input`; its USCC and name are
    new to ``usccs`` and ``names`` (and added to them)."""
    local, outside = places
    if rng.random() < OUTSIDE_SHARE:
        place = rng.choice(outside)
    else:  # the city's districts are where most firms are registered
        place = rng.choices(local, weights=[3 if p.division_name.endswith("区") else 1 for p in local])[0]
    if kind is Registry.CONTRACTOR:
        codes = list(CONTRACTOR_FIELD_WEIGHTS)
        fields = rng.choices(codes, weights=list(CONTRACTOR_FIELD_WEIGHTS.values()))
        if rng.random() < 0.25:
            fields.append(rng.choice(codes))
        ending = rng.choice(CONTRACTOR_ENDINGS[fields[0]])
    else:
        codes = [t.code for t in vocabulary.service_types.terms]
        fields = [rng.choice(codes)]
        if fields[0] in RELATED_SERVICES and rng.random() < 0.4:
            fields.append(rng.choice(RELATED_SERVICES[fields[0]]))
        ending = rng.choice(INTERMEDIARY_ENDINGS.get(fields[0], ("咨询",)))
    fields = list(dict.fromkeys(fields))
    registration = "31" if ending == "律师事务所" else "91"
    uscc = _random_uscc(rng, registration, place.region_code)
    while uscc in usccs:
        uscc = _random_uscc(rng, registration, place.region_code)
    usccs.add(uscc)
    name = names.make(rng, place, ending)
    # licences that serve the firm's fields, at most one of a type, 1-3 in all
    candidates = [
        t.code
        for t in vocabulary.licence_types.values()
        if t.registry is kind and set(t.covers) & set(fields) and t.code != "safety_permit"
    ]
    main = [c for c in candidates if fields[0] in vocabulary.licence_types[c].covers]
    wanted = main[:1] or candidates[:1]
    extra = [c for c in candidates if c not in wanted]
    rng.shuffle(extra)
    count = rng.choice((1, 1, 2, 2, 3))
    chosen = (wanted + extra)[:count]
    if kind is Registry.CONTRACTOR and len(chosen) < 3 and rng.random() < 0.7:
        chosen.append("safety_permit")
    licences = [_licence(rng, vocabulary, code, place, today) for code in chosen]
    street = rng.choice(place.streets)
    town = rng.choice(place.towns) if place.towns and rng.random() < 0.3 else ""
    practitioners = rng.randint(3, 45) if kind is Registry.INTERMEDIARY else rng.randint(5, 80)
    area = []
    if kind is Registry.INTERMEDIARY and place.division_code is not None and rng.random() < 0.5:
        area = [place.division_code, *rng.sample([p.division_code or "" for p in local], k=2)]
    founded = rng.randint(1995, 2022)
    capital = rng.choice((300, 500, 800, 1000, 2000, 5000))
    capital_text = "" if ending.endswith("事务所") else f"注册资本{capital}万元，"
    field_names = "、".join(
        (vocabulary.work_fields if kind is Registry.CONTRACTOR else vocabulary.service_types).name(f)
        for f in fields
    )
    raw: dict[str, Any] = {
        "uscc": uscc,
        "name": name,
        "legal_representative": _person(rng),
        "address": f"{place.address_prefix}{town}{street}{rng.randint(1, 288)}号",
        "division_code": place.division_code,
        "contact_name": _person(rng),
        "contact_phone": _phone(rng, place),
        "contact_email": _email(rng),
        "introduction": f"{name}成立于{founded}年，{capital_text}主要从事{field_names}。",
        "work_fields" if kind is Registry.CONTRACTOR else "service_types": fields,
        "practitioners": practitioners,
        "service_area": area,
        "licences": licences,
        "track_records": _track_records(rng, vocabulary, kind, fields, local, today),
    }
    return firm_input(vocabulary, raw, kind=kind)
