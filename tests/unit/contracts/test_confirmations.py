"""A contract's online confirmations (电子确认): optional, so old data keeps its bytes; checked
(甲方 first, each once, the same digest); printed in the PDF."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader

from contracts import (
    Confirmation,
    ConfirmingRole,
    DocumentKind,
    InvalidDocumentData,
    RenderSettings,
    ServiceContract,
    WorksContract,
    canonical_json,
    confirmable_digest,
    document_from_dict,
    render_unsigned,
    whitelist,
)
from contracts.samples import sample_document

CONTRACT_KINDS = (DocumentKind.SERVICE_CONTRACT, DocumentKind.WORKS_CONTRACT)


def _contract(kind: DocumentKind) -> ServiceContract | WorksContract:
    document = sample_document(kind)
    assert isinstance(document, ServiceContract | WorksContract)
    return document


def _both(contract: ServiceContract | WorksContract) -> tuple[Confirmation, Confirmation]:
    digest = confirmable_digest(contract)
    return (
        Confirmation(ConfirmingRole.FIRST_PARTY, "韶关市浈江区住房和城乡建设管理局", "陈晓梅",
                     datetime(2026, 3, 20, 1, 30, tzinfo=UTC), digest),
        Confirmation(ConfirmingRole.SECOND_PARTY, "广东韶瑞工程造价咨询有限公司", "刘婷",
                     datetime(2026, 3, 21, 2, 45, tzinfo=UTC), digest),
    )


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_a_contract_without_confirmations_keeps_its_canonical_bytes(kind: DocumentKind) -> None:
    contract = _contract(kind)
    payload = json.loads(canonical_json(contract))
    assert "confirmations" not in payload["data"]
    # what the parties confirm is the plain contract's own canonical JSON
    assert confirmable_digest(contract) == hashlib.sha256(canonical_json(contract)).hexdigest()


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_confirmations_round_trip_and_leave_the_confirmed_digest_alone(kind: DocumentKind) -> None:
    contract = _contract(kind)
    confirmed = dataclasses.replace(contract, confirmations=_both(contract))
    data = json.loads(canonical_json(confirmed))["data"]
    assert [c["role"] for c in data["confirmations"]] == ["甲方", "乙方"]
    again = document_from_dict(kind, data)
    assert again == confirmed
    assert confirmable_digest(confirmed) == confirmable_digest(contract) == data["confirmations"][0]["digest"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a, b: (b,), "the first party (甲方) confirms first"),
        (lambda a, b: (a, a), "each party confirms once"),
        (lambda a, b: (a, dataclasses.replace(b, digest="f" * 64)), "both parties confirm the same digest"),
        (lambda a, b: (a, dataclasses.replace(b, confirmed_at=datetime(2026, 3, 1, tzinfo=UTC))),
         "the second party confirms after the first"),
    ],
)
def test_confirmations_out_of_order_or_of_different_texts_are_refused(change, reason) -> None:  # type: ignore[no-untyped-def]
    contract = _contract(DocumentKind.SERVICE_CONTRACT)
    first, second = _both(contract)
    with pytest.raises(InvalidDocumentData) as refused:
        dataclasses.replace(contract, confirmations=change(first, second))
    assert refused.value.field == "confirmations" and reason in str(refused.value)


def test_a_confirmation_digest_must_be_a_sha256() -> None:
    contract = _contract(DocumentKind.SERVICE_CONTRACT)
    data = json.loads(canonical_json(dataclasses.replace(contract, confirmations=_both(contract)[:1])))["data"]
    data["confirmations"][0]["digest"] = "abc"
    with pytest.raises(InvalidDocumentData) as refused:
        document_from_dict(DocumentKind.SERVICE_CONTRACT, data)
    assert refused.value.field == "confirmations[0].digest"


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_the_whitelist_describes_a_confirmation(kind: DocumentKind) -> None:
    [item] = whitelist(kind)["confirmations"]
    assert set(item) == {"role", "organisation", "confirmed_by", "confirmed_at", "digest", "digest_groups"}


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_the_pdf_prints_both_confirmations(kind: DocumentKind, settings: RenderSettings) -> None:
    contract = _contract(kind)
    first, second = _both(contract)
    unsigned = render_unsigned(dataclasses.replace(contract, confirmations=(first, second)), settings)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(unsigned.pdf)).pages)
    flat = "".join(text.split())
    assert "电子确认" in flat
    assert "陈晓梅" in flat and "刘婷" in flat
    assert "2026年3月20日09:30" in flat and "2026年3月21日10:45" in flat  # China time
    assert first.digest in flat
    plain = render_unsigned(contract, settings)
    assert "电子确认" not in "".join(p.extract_text() for p in PdfReader(BytesIO(plain.pdf)).pages)
