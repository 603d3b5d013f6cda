"""Check that a PDF is one the platform issued: its seal signature is intact, valid,
chains to the platform's trust roots and covers the whole file.

:func:`verify_pdf` never raises for bad input: garbage, a non-PDF, a truncated or
altered file, an unsigned or foreign-signed PDF all give a negative
:class:`VerificationResult` with a ``code`` saying why.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from io import BytesIO
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

#: Uploads larger than this are refused without parsing (bytes).
MAX_PDF_BYTES = 20 * 1024 * 1024

_DOCUMENT_ID = re.compile(r"document_id=([A-Za-z0-9_-]{8,64})")


class VerificationCode(StrEnum):
    """Why a PDF was, or was not, accepted as issued by the platform."""

    VALID = "valid"
    NOT_PDF = "not_pdf"
    TOO_LARGE = "too_large"
    NO_SIGNATURE = "no_signature"
    ALTERED = "altered"
    INVALID_SIGNATURE = "invalid_signature"
    UNTRUSTED = "untrusted"
    UNEXPECTED_SIGNER = "unexpected_signer"
    NOT_WHOLE_DOCUMENT = "not_whole_document"


_MESSAGES = {
    VerificationCode.VALID: "本文件由本平台签发，签章有效，内容未被修改。",
    VerificationCode.NOT_PDF: "上传的文件不是有效的 PDF 文件。",
    VerificationCode.TOO_LARGE: "上传的文件过大。",
    VerificationCode.NO_SIGNATURE: "文件不含电子签章，不是本平台签发的文件。",
    VerificationCode.ALTERED: "文件签章后内容已被修改，不是本平台签发的原件。",
    VerificationCode.INVALID_SIGNATURE: "电子签章无效，不是本平台签发的文件。",
    VerificationCode.UNTRUSTED: "签章证书不属于本平台，不是本平台签发的文件。",
    VerificationCode.UNEXPECTED_SIGNER: "签章证书不是本平台的签章证书。",
    VerificationCode.NOT_WHOLE_DOCUMENT: "签章未覆盖整个文件（签章后有追加内容），不是本平台签发的原件。",
}


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of :func:`verify_pdf`.

    ``issued_by_platform`` is the answer to show; ``code``/``message`` explain it
    (``message`` in Chinese, for the public page). ``sha256`` is the hash of the bytes
    checked, for matching against the stored record. ``document_id`` comes from the PDF
    metadata and is only filled in when the signature is valid (it is covered by it).
    """

    issued_by_platform: bool
    code: VerificationCode
    message: str
    sha256: str
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_document: bool = False
    signer: str | None = None
    signed_at: datetime | None = None
    document_id: str | None = None


def _result(code: VerificationCode, digest: str, **details: Any) -> VerificationResult:
    return VerificationResult(issued_by_platform=code is VerificationCode.VALID, code=code,
                              message=_MESSAGES[code], sha256=digest, **details)


def _asn1(certificate: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(certificate, asn1_x509.Certificate):
        return certificate
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def verify_pdf(pdf: bytes, trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
               expected_signers: Sequence[x509.Certificate] | None = None,
               ) -> VerificationResult:
    """Validate the platform seal on ``pdf`` with pyHanko; never raises.

    ``trust_roots`` are the CA certificates the seal certificate must chain to (see
    :attr:`contracts.seal.Seal.trust_roots`). If ``expected_signers`` is given, the
    signing certificate must also be one of them, which matters when the root is a
    public CA that also issues certificates to others. Accepted only if the first
    signature is cryptographically intact and valid, trusted, and covers every byte of
    the file. Safe to call with an event loop running in this thread (pyHanko runs its
    own loop, in a helper thread then). CPU-light (~10-50 ms), but prefer
    :func:`verify_pdf_async` from async code.
    """
    try:
        data = bytes(pdf)
    except (TypeError, ValueError):
        return _result(VerificationCode.NOT_PDF, hashlib.sha256(b"").hexdigest())
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_PDF_BYTES:
        return _result(VerificationCode.TOO_LARGE, digest)
    if b"%PDF-" not in data[:1024]:
        return _result(VerificationCode.NOT_PDF, digest)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _verify(data, digest, trust_roots, expected_signers)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_verify, data, digest, trust_roots, expected_signers).result()


async def verify_pdf_async(
        pdf: bytes, trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
        expected_signers: Sequence[x509.Certificate] | None = None) -> VerificationResult:
    """:func:`verify_pdf` in a worker thread, for use from the event loop."""
    return await asyncio.to_thread(verify_pdf, pdf, trust_roots, expected_signers)


def _verify(data: bytes, digest: str,
            trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
            expected_signers: Sequence[x509.Certificate] | None) -> VerificationResult:
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # any parse failure means "not a PDF we issued"
        return _result(VerificationCode.NOT_PDF, digest)
    if not signatures:
        return _result(VerificationCode.NO_SIGNATURE, digest)
    signature = signatures[0]
    try:
        context = ValidationContext(trust_roots=[_asn1(c) for c in trust_roots],
                                    allow_fetching=False)
        status = validate_pdf_signature(signature, context)
    except Exception:  # malformed CMS, broken byte ranges, ...
        return _result(VerificationCode.INVALID_SIGNATURE, digest)
    signer_cert = status.signing_cert
    stamped = signature.self_reported_timestamp
    details: dict[str, Any] = {
        "intact": bool(status.intact), "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "covers_whole_document": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "signer": signer_cert.subject.human_friendly if signer_cert is not None else None,
        "signed_at": stamped.astimezone(UTC) if stamped else None,
    }
    if not status.intact or not _padding_is_clean(signature):
        return _result(VerificationCode.ALTERED, digest, **details)
    if not status.valid:
        return _result(VerificationCode.INVALID_SIGNATURE, digest, **details)
    if not status.trusted:
        return _result(VerificationCode.UNTRUSTED, digest, **details)
    if expected_signers is not None and not _is_expected(signer_cert, expected_signers):
        return _result(VerificationCode.UNEXPECTED_SIGNER, digest, **details)
    if not details["covers_whole_document"]:
        return _result(VerificationCode.NOT_WHOLE_DOCUMENT, digest, **details)
    return _result(VerificationCode.VALID, digest, document_id=_document_id(reader), **details)


def _padding_is_clean(signature: Any) -> bool:
    """True if the space reserved for the signature holds nothing after the CMS object.

    The ``/Contents`` hex string is the one part of the file outside the signed byte
    range. Validators ignore whatever follows the DER-encoded signature in it, so a
    changed byte there would go unnoticed; the platform always pads with zeros, so any
    other byte means the file is not the one it issued.
    """
    try:
        raw = bytes(signature.sig_object.raw_get("/Contents"))
        der_length = len(cms.ContentInfo.load(raw, strict=False).dump())
    except Exception:  # unreadable container: certainly not what we wrote
        return False
    return not raw[der_length:].strip(b"\x00")


def _is_expected(signer: asn1_x509.Certificate | None,
                 expected: Sequence[x509.Certificate]) -> bool:
    if signer is None:
        return False
    return signer.dump() in {c.public_bytes(serialization.Encoding.DER) for c in expected}


def _document_id(reader: PdfFileReader) -> str | None:
    try:
        keywords = str(reader.trailer["/Info"].get("/Keywords", ""))
    except Exception:  # metadata is a convenience, never a reason to fail
        return None
    match = _DOCUMENT_ID.search(keywords)
    return match.group(1) if match else None


__all__ = ["VerificationCode", "VerificationResult", "verify_pdf",
           "verify_pdf_async"]
