from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from contracts import (
    DocumentKind,
    IssuedDocument,
    RenderSettings,
    Seal,
    SealConfig,
    VerificationCode,
    issue_document,
    load_seal,
    render_unsigned,
    verify_pdf,
)
from contracts.samples import sample_document
from contracts.seal import ensure_development_seal, to_asn1


def test_seal_validates_with_pyhanko(issued: dict[DocumentKind, IssuedDocument],
                                     seal: Seal) -> None:
    pdf = issued[DocumentKind.SERVICE_CONTRACT].pdf
    signature = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[to_asn1(c) for c in seal.trust_roots])
    status = validate_pdf_signature(signature, context)
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert signature.field_name == "PlatformSeal"


def test_verify_pdf_accepts_every_issued_document(
        issued: dict[DocumentKind, IssuedDocument], seal: Seal) -> None:
    for document in issued.values():
        result = verify_pdf(document.pdf, seal.trust_roots, [seal.certificate])
        assert result.issued_by_platform, result
        assert result.code is VerificationCode.VALID
        assert result.sha256 == document.sha256
        assert result.document_id == document.document_id
        assert result.covers_whole_document


@pytest.mark.parametrize("where", [0.0005, 0.2, 0.5, 0.9, 0.97, 0.999])
def test_one_changed_byte_breaks_the_seal(issued: dict[DocumentKind, IssuedDocument],
                                          seal: Seal, where: float) -> None:
    pdf = bytearray(issued[DocumentKind.WORKS_CONTRACT].pdf)
    pdf[int(len(pdf) * where)] ^= 0x01
    result = verify_pdf(bytes(pdf), seal.trust_roots)
    assert not result.issued_by_platform
    assert result.code is not VerificationCode.VALID


def test_appended_bytes_are_not_the_issued_document(
        issued: dict[DocumentKind, IssuedDocument], seal: Seal) -> None:
    pdf = issued[DocumentKind.SELECTION_NOTICE].pdf + b"\n% appended\n"
    result = verify_pdf(pdf, seal.trust_roots)
    assert not result.issued_by_platform


@pytest.mark.parametrize("upload", [b"", b"garbage", b"%PDF-1.7\n%%EOF", b"\x00" * 5000,
                                    "not bytes"])
def test_garbage_uploads_give_a_clean_negative(seal: Seal, upload: object) -> None:
    result = verify_pdf(upload, seal.trust_roots)  # type: ignore[arg-type]
    assert not result.issued_by_platform
    assert result.code in {VerificationCode.NOT_PDF, VerificationCode.NO_SIGNATURE}


def test_unsigned_pdf_is_not_issued(settings: RenderSettings, seal: Seal) -> None:
    unsigned = render_unsigned(sample_document(DocumentKind.RESULT_NOTICE), settings)
    assert verify_pdf(unsigned.pdf, seal.trust_roots).code is VerificationCode.NO_SIGNATURE


def test_a_pdf_sealed_by_someone_else_is_not_issued_by_the_platform(
        settings: RenderSettings, seal: Seal, tmp_path: Path) -> None:
    forger = SealConfig.development(tmp_path / "forger")
    forged = issue_document(sample_document(DocumentKind.RESULT_NOTICE), settings, forger)
    result = verify_pdf(forged.pdf, seal.trust_roots)
    assert result.code is VerificationCode.UNTRUSTED
    assert not result.issued_by_platform
    own = verify_pdf(forged.pdf, load_seal(forger).trust_roots, [seal.certificate])
    assert own.code is VerificationCode.UNEXPECTED_SIGNER


def test_development_seal_is_created_once_and_reused(seal_config: SealConfig,
                                                     seal: Seal) -> None:
    assert seal_config.development_dir is not None
    path = ensure_development_seal(seal_config.development_dir)
    before = path.read_bytes()
    ensure_development_seal(seal_config.development_dir)
    assert path.read_bytes() == before
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_missing_seal_configuration_is_an_error() -> None:
    from contracts import SealError

    with pytest.raises(SealError):
        load_seal(SealConfig())
    with pytest.raises(SealError):
        load_seal(SealConfig.production("/nonexistent/seal.p12", "secret"))
