from __future__ import annotations

import html as html_module
import re
from io import BytesIO

from pypdf import PdfReader

from contracts import (
    DocumentKind,
    IssuedDocument,
    RenderSettings,
    ServiceContract,
    amount_in_words,
    render_unsigned,
)
from contracts.rendering import compose_html
from contracts.samples import sample_document

from .conftest import BASE_URL

_CJK = re.compile(r"[\u3400-\u9fff]")


def _text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages)


def test_every_chinese_character_of_the_page_comes_back_in_the_text(
        issued: dict[DocumentKind, IssuedDocument], settings: RenderSettings) -> None:
    for kind, document in issued.items():
        html, _ids = compose_html(sample_document(kind), settings)
        body = re.sub(r"<style.*?</style>|<head.*?</head>", "", html, flags=re.S)
        visible = html_module.unescape(re.sub(r"<[^>]+>", "", body))
        wanted = set(_CJK.findall(visible))
        text = _text(document.pdf)
        assert len(wanted) > 150
        assert not wanted - set(text), (kind, sorted(wanted - set(text)))


def test_every_chinese_character_of_printed_data_fields_comes_back(
        issued: dict[DocumentKind, IssuedDocument]) -> None:
    contract = sample_document(DocumentKind.SERVICE_CONTRACT)
    assert isinstance(contract, ServiceContract)
    printed = [contract.client.name, contract.client.address, contract.client.contact,
               contract.provider.name, contract.provider.address, contract.provider.contact,
               contract.provider.bank_name, contract.procurement.title, contract.scope,
               contract.deliverables, contract.quality_requirements]
    printed += [p.description for p in contract.payments]
    wanted = {ch for s in printed for ch in _CJK.findall(s)}
    assert not wanted - set(_text(issued[DocumentKind.SERVICE_CONTRACT].pdf))


def test_names_and_capital_amounts_appear_verbatim(
        issued: dict[DocumentKind, IssuedDocument]) -> None:
    for kind, document in issued.items():
        data = sample_document(kind)
        text = re.sub(r"\s+", "", _text(document.pdf))
        assert amount_in_words(data.amount) in text
        assert data.procurement.reference in text
        assert data.document_number in text
    contract = re.sub(r"\s+", "", _text(issued[DocumentKind.SERVICE_CONTRACT].pdf))
    assert "壹拾贰万叁仟肆佰伍拾陆元柒角捌分" in contract
    assert "广东韶瑞工程造价咨询有限公司" in contract


def test_contract_is_two_pages_with_header_and_footer_on_each(
        issued: dict[DocumentKind, IssuedDocument]) -> None:
    document = issued[DocumentKind.SERVICE_CONTRACT]
    reader = PdfReader(BytesIO(document.pdf))
    assert document.page_count == len(reader.pages) == 2
    for number, page in enumerate(reader.pages, start=1):
        text = re.sub(r"\s+", "", page.extract_text())
        assert "韶关市公共资源交易中心" in text
        assert f"第{number}页/共2页" in text
        assert f"校验码：{document.content_digest[:16]}" in text


def test_each_page_links_its_qr_code_to_the_verify_page(
        issued: dict[DocumentKind, IssuedDocument]) -> None:
    for document in issued.values():
        assert document.verify_url == f"{BASE_URL}/verify/{document.document_id}"
        reader = PdfReader(BytesIO(document.pdf))
        for page in reader.pages:
            uris = {a.get_object().get("/A", {}).get("/URI") for a in page.get("/Annots", [])}
            assert document.verify_url in uris
            images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
            assert any(i["/Subtype"] == "/Image" and i["/Width"] == i["/Height"]
                       for i in images), "no QR image on the page"


def test_rendering_again_gives_identical_unsigned_bytes(settings: RenderSettings) -> None:
    document = sample_document(DocumentKind.RESULT_NOTICE)
    first = render_unsigned(document, settings)
    second = render_unsigned(document, settings)
    assert first.pdf == second.pdf
    assert first.document_id == second.document_id
    assert first.content_digest == second.content_digest


def test_issued_record_describes_the_pdf(issued: dict[DocumentKind, IssuedDocument]) -> None:
    import hashlib

    for kind, document in issued.items():
        assert document.kind is kind
        assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()
        assert document.template_version.startswith(f"builtin.{kind.value}@1:")
        assert document.signed_at.tzinfo is not None
        assert document.pdf.startswith(b"%PDF-")
