"""Legal documents of the platform as sealed, verifiable PDFs in Chinese.

``contracts`` renders from plain data and never touches the database or the web layer.

Documents (input dataclasses, :mod:`contracts.model`; all frozen and self-validating)
    :class:`SelectionNotice` 中选通知书, :class:`ServiceContract` 中介服务合同,
    :class:`WorksContract` 小额工程施工合同, :class:`ResultNotice` 成交结果公示, built from
    :class:`Party` (name, USCC checked with python-stdnum, address, representative…),
    :class:`Procurement`, :class:`Term`, :class:`PaymentStage`,
    :class:`SelectionSummary`; a contract's ``confirmations`` (:class:`Confirmation`: 甲方
    then 乙方, who, when, the :func:`confirmable_digest` confirmed).
    Amounts are ``Decimal`` yuan (≤ 2 places, ≥ 0).
    ``Cls.from_dict(json_like)`` / :func:`document_from_dict` build them from JSON data.
    Bad data raises :class:`InvalidDocumentData` with ``.field`` (``"winner.uscc"``).

Issuing (CPU-bound: never call on the event loop)
    ``issue_document(document, settings, seal, template=None, document_id=None)``
    → :class:`IssuedDocument` (``pdf``, ``sha256`` of the signed PDF, ``document_id``,
    ``kind``, ``template_version``, ``content_digest``, ``signed_at``, ``page_count``,
    ``verify_url``, ``signer``). Off the loop: :class:`RenderPool` (process pool, one
    per app: ``await pool.issue(doc)``, ``await pool.issue_many_async(docs)``),
    :func:`issue_document_async`, and :func:`issue_batch` (all cores).
    :func:`render_unsigned` gives the deterministic PDF before sealing.

Configuration the application passes in
    ``RenderSettings(base_url="https://…", cache_dir=MARKET_HOME / "cache")`` — QR codes
    point to ``{base_url}/verify/{document_id}``; the reduced fonts are cached in
    ``cache_dir``. ``SealConfig.production(p12_path, passphrase)`` or
    ``SealConfig.development(MARKET_HOME / "seal")``.

Verification (for ``/verify/{document_id}``)
    ``verify_pdf(pdf_bytes, trust_roots, expected_signers=None)`` →
    :class:`VerificationResult` (``issued_by_platform``, ``code``, ``message``,
    ``sha256``, ``signer``, ``signed_at``, ``document_id``). Never raises; garbage and
    altered files give ``issued_by_platform=False``. ``trust_roots`` and the expected
    signer come from ``load_seal(config).trust_roots`` / ``.certificate``.
    :func:`verify_pdf_async` runs it in a thread.

Templates (cities' model contracts)
    :class:`TemplateSource` (``kind, name, sequence, source``; ``.version`` =
    ``name@sequence:sha256[:16]``). :func:`validate_template` at upload raises
    :class:`TemplateSyntaxError` / :class:`UnsafeTemplateError` /
    :class:`TemplateRenderError` (all :class:`TemplateRejected`, with ``.line`` and
    ``.message``). :func:`whitelist` lists the variables; :func:`builtin_template` gives
    the shipped defaults. docs/documents.md documents the variables, sealing and checks.
"""

# The names below are loaded on first use (PEP 562): importing WeasyPrint and pyHanko takes
# most of a second, and the service should start without paying it until it renders or
# checks a document. Type checkers and import-linter still see the real imports.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contracts.amounts import amount_in_figures, amount_in_words, check_amount
    from contracts.errors import (
        ContractsError,
        InvalidDocumentData,
        SealError,
        TemplateRejected,
        TemplateRenderError,
        TemplateSyntaxError,
        UnsafeTemplateError,
    )
    from contracts.fonts import FontSet, FontUnavailable, SourceFont, prepare_fonts
    from contracts.issuing import IssuedDocument, issue_document
    from contracts.model import (
        ChainCheckpoint,
        Confirmation,
        ConfirmingRole,
        Contract,
        DisputeResolution,
        Document,
        DocumentKind,
        Party,
        PaymentStage,
        Procurement,
        ProcurementKind,
        ResultNotice,
        SelectionMethod,
        SelectionNotice,
        SelectionSummary,
        ServiceContract,
        Term,
        WorksContract,
        canonical_json,
        confirmable_digest,
        document_from_dict,
    )
    from contracts.rendering import (
        FRAME_VERSION,
        RenderSettings,
        UnsignedDocument,
        content_digest,
        render_unsigned,
    )
    from contracts.seal import Seal, SealConfig, load_seal
    from contracts.templating import (
        TemplateSource,
        builtin_template,
        validate_template,
        whitelist,
    )
    from contracts.verification import (
        VerificationCode,
        VerificationResult,
        verify_pdf,
        verify_pdf_async,
    )
    from contracts.workers import IssueRequest, RenderPool, issue_batch, issue_document_async

_WHERE = {
    "ChainCheckpoint": "contracts.model",
    "Confirmation": "contracts.model",
    "ConfirmingRole": "contracts.model",
    "Contract": "contracts.model",
    "confirmable_digest": "contracts.model",
    "ContractsError": "contracts.errors",
    "DisputeResolution": "contracts.model",
    "Document": "contracts.model",
    "DocumentKind": "contracts.model",
    "FRAME_VERSION": "contracts.rendering",
    "FontSet": "contracts.fonts",
    "FontUnavailable": "contracts.fonts",
    "InvalidDocumentData": "contracts.errors",
    "IssueRequest": "contracts.workers",
    "IssuedDocument": "contracts.issuing",
    "Party": "contracts.model",
    "PaymentStage": "contracts.model",
    "Procurement": "contracts.model",
    "ProcurementKind": "contracts.model",
    "RenderPool": "contracts.workers",
    "RenderSettings": "contracts.rendering",
    "ResultNotice": "contracts.model",
    "Seal": "contracts.seal",
    "SealConfig": "contracts.seal",
    "SealError": "contracts.errors",
    "SelectionMethod": "contracts.model",
    "SelectionNotice": "contracts.model",
    "SelectionSummary": "contracts.model",
    "ServiceContract": "contracts.model",
    "SourceFont": "contracts.fonts",
    "TemplateRejected": "contracts.errors",
    "TemplateRenderError": "contracts.errors",
    "TemplateSource": "contracts.templating",
    "TemplateSyntaxError": "contracts.errors",
    "Term": "contracts.model",
    "UnsafeTemplateError": "contracts.errors",
    "UnsignedDocument": "contracts.rendering",
    "VerificationCode": "contracts.verification",
    "VerificationResult": "contracts.verification",
    "WorksContract": "contracts.model",
    "amount_in_figures": "contracts.amounts",
    "amount_in_words": "contracts.amounts",
    "builtin_template": "contracts.templating",
    "canonical_json": "contracts.model",
    "check_amount": "contracts.amounts",
    "content_digest": "contracts.rendering",
    "document_from_dict": "contracts.model",
    "issue_batch": "contracts.workers",
    "issue_document": "contracts.issuing",
    "issue_document_async": "contracts.workers",
    "load_seal": "contracts.seal",
    "prepare_fonts": "contracts.fonts",
    "render_unsigned": "contracts.rendering",
    "validate_template": "contracts.templating",
    "verify_pdf": "contracts.verification",
    "verify_pdf_async": "contracts.verification",
    "whitelist": "contracts.templating",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'contracts' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "FRAME_VERSION",
    "ChainCheckpoint",
    "Confirmation",
    "ConfirmingRole",
    "Contract",
    "ContractsError",
    "DisputeResolution",
    "Document",
    "DocumentKind",
    "FontSet",
    "FontUnavailable",
    "InvalidDocumentData",
    "IssueRequest",
    "IssuedDocument",
    "Party",
    "PaymentStage",
    "Procurement",
    "ProcurementKind",
    "RenderPool",
    "RenderSettings",
    "ResultNotice",
    "Seal",
    "SealConfig",
    "SealError",
    "SelectionMethod",
    "SelectionNotice",
    "SelectionSummary",
    "ServiceContract",
    "SourceFont",
    "TemplateRejected",
    "TemplateRenderError",
    "TemplateSource",
    "TemplateSyntaxError",
    "Term",
    "UnsafeTemplateError",
    "UnsignedDocument",
    "VerificationCode",
    "VerificationResult",
    "WorksContract",
    "amount_in_figures",
    "amount_in_words",
    "builtin_template",
    "canonical_json",
    "check_amount",
    "confirmable_digest",
    "content_digest",
    "document_from_dict",
    "issue_batch",
    "issue_document",
    "issue_document_async",
    "load_seal",
    "prepare_fonts",
    "render_unsigned",
    "validate_template",
    "verify_pdf",
    "verify_pdf_async",
    "whitelist",
]
