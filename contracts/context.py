"""The variables a template sees: plain strings, lists and mappings built from the data.

Templates never receive the dataclasses themselves, only text already formatted the way
a Chinese legal document writes it (dates as ``2026年3月5日``, amounts as ``123,456.78``
and ``壹拾贰万叁仟肆佰伍拾陆元柒角捌分``). That keeps the sandbox surface small and makes
the whitelist exactly the keys built here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from contracts.amounts import amount_in_figures, amount_in_words
from contracts.model import (
    ChainCheckpoint,
    Confirmation,
    ConfirmingRole,
    Document,
    DocumentKind,
    Party,
    PaymentStage,
    ResultNotice,
    SelectionNotice,
    SelectionSummary,
    ServiceContract,
    Term,
    WorksContract,
)

#: China Standard Time; China has no daylight saving, so a fixed offset is exact.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def chinese_date(value: date) -> str:
    """``2026年3月5日``."""
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_datetime(value: datetime) -> str:
    """``2026年3月5日 10:30`` in China Standard Time."""
    local = value.astimezone(CHINA_TIME)
    return f"{chinese_date(local.date())} {local:%H:%M}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _money(amount: Decimal) -> dict[str, str]:
    return {"figures": amount_in_figures(amount), "words": amount_in_words(amount),
            "value": f"{amount:.2f}"}


def _party(party: Party) -> dict[str, str]:
    return {"name": party.name, "uscc": party.uscc, "address": party.address,
            "representative": party.representative, "contact": party.contact,
            "phone": party.phone, "bank_name": party.bank_name,
            "bank_account": party.bank_account}


def _term(term: Term) -> dict[str, str]:
    return {"start": chinese_date(term.start), "end": chinese_date(term.end),
            "days": str(term.days)}


def _payments(stages: tuple[PaymentStage, ...], total: Decimal) -> list[dict[str, str]]:
    rows = []
    cents = Decimal("0.01")
    paid = Decimal(0)
    for index, stage in enumerate(stages):
        # The last instalment takes the remainder, so rounding never loses a 分.
        last = index == len(stages) - 1
        amount = total - paid if last else (total * stage.percent / 100).quantize(cents)
        paid += amount
        rows.append({"description": stage.description, "percent": _percent(stage.percent),
                     **{k: v for k, v in _money(amount).items() if k != "value"}})
    return rows


def _selection(selection: SelectionSummary) -> dict[str, str]:
    return {"method": selection.method.label,
            "selected_at": chinese_datetime(selection.selected_at),
            "candidates": str(selection.candidates),
            "record_reference": selection.record_reference, "remarks": selection.remarks}


def _confirmations(confirmations: tuple[Confirmation, ...]) -> list[dict[str, str]]:
    return [{"role": c.role.value, "organisation": c.organisation, "confirmed_by": c.confirmed_by,
             "confirmed_at": chinese_datetime(c.confirmed_at), "digest": c.digest,
             # in groups of eight, so that a table cell can wrap it
             "digest_groups": " ".join(c.digest[i:i + 8] for i in range(0, len(c.digest), 8))}
            for c in confirmations]


def _checkpoint(checkpoint: ChainCheckpoint | None) -> dict[str, str] | None:
    if checkpoint is None:
        return None
    return {"seq": str(checkpoint.seq), "hash": checkpoint.hash,
            "published_at": chinese_datetime(checkpoint.published_at),
            "text": f"{checkpoint.seq}:{checkpoint.hash}",
            "hash_groups": " ".join(checkpoint.hash[i:i + 8] for i in range(0, len(checkpoint.hash), 8))}


def build_context(document: Document, *, platform_name: str, issuer_name: str,
                  document_id: str, verify_url: str, digest: str) -> dict[str, Any]:
    """The template variables for ``document`` (the whitelist is exactly these keys)."""
    procurement = document.procurement
    context: dict[str, Any] = {
        "platform": {"name": platform_name, "issuer": issuer_name},
        "document": {"title": document.kind.label, "number": document.document_number,
                     "id": document_id, "verify_url": verify_url,
                     "issued_on": chinese_date(document.issued_on), "digest": digest},
        "procurement": {"reference": procurement.reference, "title": procurement.title,
                        "kind": procurement.kind.label, "category": procurement.category,
                        "location": procurement.location},
        "amount": _money(document.amount),
    }
    if isinstance(document, SelectionNotice | ResultNotice):
        context.update(owner=_party(document.owner), winner=_party(document.winner),
                       selection=_selection(document.selection))
    if isinstance(document, SelectionNotice):
        context["contract_deadline"] = chinese_date(document.contract_deadline)
    elif isinstance(document, ResultNotice):
        context.update(
            publicity={"start": chinese_date(document.publicity_start),
                       "end": chinese_date(document.publicity_end)},
            objection_contact=document.objection_contact,
            participants=list(document.participants),
            checkpoint=_checkpoint(document.checkpoint))
    elif isinstance(document, ServiceContract):
        context.update(
            client=_party(document.client), provider=_party(document.provider),
            term=_term(document.term), scope=document.scope,
            deliverables=document.deliverables,
            quality_requirements=document.quality_requirements,
            payments=_payments(document.payments, document.amount),
            signing_place=document.signing_place,
            dispute_resolution=document.dispute_resolution.label,
            confirmations=_confirmations(document.confirmations))
    elif isinstance(document, WorksContract):
        context.update(
            employer=_party(document.employer), contractor=_party(document.contractor),
            term=_term(document.term), scope=document.scope, site=document.site,
            project_manager=document.project_manager,
            payments=_payments(document.payments, document.amount),
            quality_standard=document.quality_standard,
            warranty_months=str(document.warranty_months),
            retention_percent=_percent(document.retention_percent),
            signing_place=document.signing_place,
            dispute_resolution=document.dispute_resolution.label,
            confirmations=_confirmations(document.confirmations))
    return context


def sample_context(kind: DocumentKind) -> dict[str, Any]:
    """The context of the sample document of ``kind`` (used to check templates)."""
    from contracts.samples import sample_document

    document = sample_document(kind)
    if isinstance(document, ServiceContract | WorksContract):
        # the samples carry no confirmations (their digests predate them); the whitelist
        # and the template check need an example of one
        example = Confirmation(ConfirmingRole.FIRST_PARTY, "示例单位", "示例用户",
                               datetime(2026, 3, 20, 9, 0, tzinfo=CHINA_TIME), "0" * 64)
        document = replace(document, confirmations=(example,))
    elif isinstance(document, ResultNotice):
        # likewise the sample notice carries no checkpoint of the audit chain
        document = replace(document, checkpoint=ChainCheckpoint(
            1, "0" * 64, datetime(2026, 3, 20, 9, 0, tzinfo=CHINA_TIME)))
    return build_context(
        document, platform_name="韶关市公共资源交易中心 电子交易平台",
        issuer_name="韶关市公共资源交易中心", document_id="sample0000000000",
        verify_url="https://example.invalid/verify/sample0000000000", digest="0" * 64)
