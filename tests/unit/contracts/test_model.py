from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from contracts import (
    DocumentKind,
    InvalidDocumentData,
    Party,
    ServiceContract,
    canonical_json,
    document_from_dict,
)
from contracts.samples import OWNER, sample_document


def _as_json(kind: DocumentKind) -> dict[str, Any]:
    return dict(__import__("json").loads(canonical_json(sample_document(kind)))["data"])


def test_from_dict_round_trips_the_canonical_json() -> None:
    for kind in DocumentKind:
        rebuilt = document_from_dict(kind, _as_json(kind))
        assert rebuilt == sample_document(kind)


def test_invalid_uscc_names_the_field() -> None:
    with pytest.raises(InvalidDocumentData) as error:
        dataclasses.replace(OWNER, uscc="91440200MA4UR12303")
    assert error.value.field == "uscc"


def test_nested_errors_name_the_full_path() -> None:
    data = _as_json(DocumentKind.SELECTION_NOTICE)
    data["winner"]["uscc"] = "123"
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.SELECTION_NOTICE, data)
    assert error.value.field == "winner.uscc"


def test_missing_field_is_named() -> None:
    data = _as_json(DocumentKind.SERVICE_CONTRACT)
    del data["client"]["address"]
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.SERVICE_CONTRACT, data)
    assert (error.value.field, error.value.reason) == ("client.address", "is missing")


def test_wrong_type_is_named() -> None:
    with pytest.raises(InvalidDocumentData) as error:
        Party(name=42, uscc=OWNER.uscc, address="x", representative="y")  # type: ignore[arg-type]
    assert error.value.field == "name"
    data = _as_json(DocumentKind.WORKS_CONTRACT)
    data["warranty_months"] = "24"
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.WORKS_CONTRACT, data)
    assert error.value.field == "warranty_months"


def test_payment_item_errors_carry_their_index() -> None:
    data = _as_json(DocumentKind.SERVICE_CONTRACT)
    data["payments"][1]["percent"] = "-40"
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.SERVICE_CONTRACT, data)
    assert error.value.field == "payments[1].percent"


@pytest.mark.parametrize("amount", ["-1.00", "100.001"])
def test_negative_or_three_decimal_amount_is_refused(amount: str) -> None:
    data = _as_json(DocumentKind.SELECTION_NOTICE)
    data["amount"] = amount
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.SELECTION_NOTICE, data)
    assert error.value.field == "amount"


def test_float_amount_is_refused_even_when_built_directly() -> None:
    contract = sample_document(DocumentKind.SERVICE_CONTRACT)
    with pytest.raises(InvalidDocumentData) as error:
        dataclasses.replace(contract, amount=123.45)  # type: ignore[arg-type]
    assert error.value.field == "amount"


def test_payments_must_add_up_to_the_whole_price() -> None:
    contract = sample_document(DocumentKind.SERVICE_CONTRACT)
    assert isinstance(contract, ServiceContract)
    shorter = contract.payments[:2]
    with pytest.raises(InvalidDocumentData) as error:
        dataclasses.replace(contract, payments=shorter)
    assert error.value.field == "payments"


def test_retention_above_three_percent_is_refused() -> None:
    works = sample_document(DocumentKind.WORKS_CONTRACT)
    with pytest.raises(InvalidDocumentData) as error:
        dataclasses.replace(works, retention_percent=Decimal("5"))
    assert error.value.field == "retention_percent"


def test_unknown_fields_and_kinds_are_refused() -> None:
    data = _as_json(DocumentKind.RESULT_NOTICE)
    data["winner"]["nickname"] = "x"
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.RESULT_NOTICE, data)
    assert error.value.field == "winner.nickname"
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict("invoice", data)
    assert error.value.field == "kind"
