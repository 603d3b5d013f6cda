"""Every text and list of a document's data has a length limit, named in the error."""

from __future__ import annotations

import json
import typing
from typing import Any

import pytest

from contracts import DocumentKind, InvalidDocumentData, canonical_json, document_from_dict
from contracts.field_limits import DEFAULT_TEXT_LIMIT, LIST_LIMITS, TEXT_LIMITS, check_length
from contracts.model import DOCUMENT_TYPES, PaymentStage, Procurement, SelectionSummary, Term
from contracts.samples import OWNER, sample_document


def _data(kind: DocumentKind) -> dict[str, Any]:
    return dict(json.loads(canonical_json(sample_document(kind)))["data"])


@pytest.mark.parametrize(("kind", "path", "limit"), [
    (DocumentKind.SERVICE_CONTRACT, ("scope",), TEXT_LIMITS["scope"]),
    (DocumentKind.WORKS_CONTRACT, ("site",), TEXT_LIMITS["site"]),
    (DocumentKind.SELECTION_NOTICE, ("winner", "name"), TEXT_LIMITS["name"]),
    (DocumentKind.SELECTION_NOTICE, ("owner", "address"), TEXT_LIMITS["address"]),
    (DocumentKind.RESULT_NOTICE, ("procurement", "title"), TEXT_LIMITS["title"]),
    (DocumentKind.RESULT_NOTICE, ("document_number",), TEXT_LIMITS["document_number"]),
])
def test_text_past_its_limit_names_the_field_and_the_limit(
        kind: DocumentKind, path: tuple[str, ...], limit: int) -> None:
    data = _data(kind)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "甲" * limit  # exactly at the limit is accepted
    document_from_dict(kind, data)
    target[path[-1]] = "甲" * (limit + 1)
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(kind, data)
    assert error.value.field == ".".join(path)
    assert error.value.reason == f"at most {limit} characters"


def test_a_200000_character_scope_is_refused_before_rendering() -> None:
    data = _data(DocumentKind.SERVICE_CONTRACT)
    data["scope"] = "造价咨询" * 50_000
    with pytest.raises(InvalidDocumentData, match=r"^scope: at most 5000 characters$"):
        document_from_dict(DocumentKind.SERVICE_CONTRACT, data)


def test_long_list_is_refused_before_its_items_are_built() -> None:
    data = _data(DocumentKind.SERVICE_CONTRACT)
    # a million instalments, each of them invalid: the count alone decides
    data["payments"] = [{"description": ""}] * 1_000_000
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.SERVICE_CONTRACT, data)
    assert (error.value.field, error.value.reason) == (
        "payments", f"at most {LIST_LIMITS['payments']} items")


def test_each_participant_name_is_bounded_with_its_index() -> None:
    data = _data(DocumentKind.RESULT_NOTICE)
    data["participants"] = ["韶关某某公司", "长" * (TEXT_LIMITS["participants"] + 1)]
    with pytest.raises(InvalidDocumentData) as error:
        document_from_dict(DocumentKind.RESULT_NOTICE, data)
    assert error.value.field == "participants[1]"


def test_every_text_field_has_its_own_entry_in_the_table() -> None:
    classes = (*DOCUMENT_TYPES.values(), Procurement, Term, PaymentStage, SelectionSummary,
               type(OWNER))
    texts = {name for cls in classes for name, hint in typing.get_type_hints(cls).items()
             if hint in (str, tuple[str, ...])}
    assert texts and texts <= set(TEXT_LIMITS), sorted(texts - set(TEXT_LIMITS))


def test_a_field_the_table_does_not_name_gets_the_default_limit() -> None:
    check_length("x" * DEFAULT_TEXT_LIMIT, "a_future_field")
    with pytest.raises(InvalidDocumentData, match=f"at most {DEFAULT_TEXT_LIMIT} characters"):
        check_length("x" * (DEFAULT_TEXT_LIMIT + 1), "a_future_field")
