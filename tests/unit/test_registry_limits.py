"""The registry's one table of limits (market.registry.limits) is what the API's schemas,
the domain's checks and the database's columns all say."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from market.models import Firm, Licence, Misconduct, Organisation, TrackRecord
from market.registry import limits
from market.registry.records import InvalidRecord, firm_input
from market.registry.vocabulary import load_vocabulary
from web.registry_schemas import FirmBody, LicenceBody, MisconductBody, ProfileUpdate, TrackRecordBody


def _max_lengths(struct: type[Any]) -> dict[str, int]:
    schema = msgspec.json.schema(struct)
    properties = schema["$defs"][struct.__name__]["properties"]
    found = {}
    for name, prop in properties.items():
        options = prop.get("anyOf", [prop])
        lengths = [o["maxLength"] for o in options if "maxLength" in o]
        if lengths:
            found[name] = lengths[0]
    return found


def test_the_schemas_take_their_limits_from_the_table() -> None:
    firm = _max_lengths(FirmBody)
    assert {name: firm[name] for name in ("name", "legal_representative", "address")} == {
        name: limits.FIRM_TEXT[name] for name in ("name", "legal_representative", "address")
    }
    assert _max_lengths(ProfileUpdate)["name"] == limits.FIRM_TEXT["name"]
    assert _max_lengths(LicenceBody) == {
        "number": limits.LICENCE_NUMBER,
        "issuer": limits.LICENCE_ISSUER,
        "grade": limits.LICENCE_GRADE,
        "e_licence_ref": limits.E_LICENCE_REF,
    }
    assert _max_lengths(TrackRecordBody) == {"project": limits.PROJECT, "owner_name": limits.OWNER_NAME}
    assert _max_lengths(MisconductBody) == {
        "description": limits.MISCONDUCT_DESCRIPTION,
        "reference": limits.MISCONDUCT_REFERENCE,
    }


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        (Organisation.name, limits.FIRM_TEXT["name"]),
        (Organisation.address, limits.FIRM_TEXT["address"]),
        (Organisation.contact_phone, limits.FIRM_TEXT["contact_phone"]),
        (Firm.legal_representative, limits.FIRM_TEXT["legal_representative"]),
        (Firm.contact_name, limits.FIRM_TEXT["contact_name"]),
        (Firm.contact_email, limits.FIRM_TEXT["contact_email"]),
        (Licence.number, limits.LICENCE_NUMBER),
        (Licence.issuer, limits.LICENCE_ISSUER),
        (Licence.e_licence_ref, limits.E_LICENCE_REF),
        (TrackRecord.project, limits.PROJECT),
        (TrackRecord.owner_name, limits.OWNER_NAME),
        (Misconduct.reference, limits.MISCONDUCT_REFERENCE),
    ],
)
def test_the_columns_hold_what_the_table_allows(column: Any, limit: int) -> None:
    assert column.type.length == limit


@pytest.mark.parametrize("name", sorted(limits.FIRM_TEXT))
def test_the_domain_refuses_one_character_past_the_table(name: str) -> None:
    raw = {
        "kind": "intermediary",
        "uscc": "91440200MA4UR12302",
        "name": "某咨询有限公司",
        "legal_representative": "张三",
        "address": "韶关市浈江区",
        "service_types": ["cost_consulting"],
        name: "9" * (limits.FIRM_TEXT[name] + 1),
    }
    with pytest.raises(InvalidRecord) as caught:
        firm_input(load_vocabulary(), raw)
    assert any(p.field == name and f"longer than {limits.FIRM_TEXT[name]}" in p.message for p in caught.value.problems)
