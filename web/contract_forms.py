"""The contract pages' forms: the owner's draft form read into the contract's terms (what the
API's ``ContractDraftBody.terms`` gives), and a draft's data shown back for reading.

The form keeps what was typed so that a refused draft is shown again as it was; a value is
cut at twice its limit first (the contract's own check then names the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.field_limits import DEFAULT_TEXT_LIMIT, TEXT_LIMITS

PAYMENT_ROWS = 4  # instalments on the form; the API takes up to 20
SERVICE_FIELDS = ("deliverables", "quality_requirements")
WORKS_FIELDS = ("site", "project_manager", "quality_standard", "warranty_months", "retention_percent")
TEXT_FIELDS = ("term_start", "term_end", "scope", "dispute_resolution", *SERVICE_FIELDS, *WORKS_FIELDS)


def _cut(value: Any, field: str) -> str:
    return str(value or "")[: 2 * TEXT_LIMITS.get(field, DEFAULT_TEXT_LIMIT)]


def typed_form(posted: Mapping[str, Any]) -> dict[str, str]:
    """What the owner typed, by form field name, bounded."""
    typed = {name: _cut(posted.get(name), name).strip() for name in TEXT_FIELDS}
    for i in range(PAYMENT_ROWS):
        typed[f"payment_description_{i}"] = _cut(
            posted.get(f"payment_description_{i}"), "description"
        ).strip()
        typed[f"payment_percent_{i}"] = _cut(posted.get(f"payment_percent_{i}"), "percent").strip()
    return typed


def terms_of(kind: str, typed: Mapping[str, str]) -> dict[str, Any]:
    """The contract terms of a typed form (``kind``: service_contract or works_contract)."""
    terms: dict[str, Any] = {
        "term": {"start": typed["term_start"], "end": typed["term_end"]},
        "scope": typed["scope"],
        "payments": [
            {"description": typed[f"payment_description_{i}"], "percent": typed[f"payment_percent_{i}"]}
            for i in range(PAYMENT_ROWS)
            if typed[f"payment_description_{i}"] or typed[f"payment_percent_{i}"]
        ],
    }
    if typed["dispute_resolution"]:
        terms["dispute_resolution"] = typed["dispute_resolution"]
    for name in SERVICE_FIELDS if kind == "service_contract" else WORKS_FIELDS:
        value: Any = typed[name]
        if not value:
            continue
        if name == "warranty_months":
            value = int(value) if value.isdigit() and len(value) < 6 else value
        terms[name] = value
    return terms


def form_of(data: Mapping[str, Any] | None) -> dict[str, str]:
    """A stored draft's data as the form shows it (to change it in a new draft)."""
    typed = dict.fromkeys(TEXT_FIELDS, "")
    for i in range(PAYMENT_ROWS):
        typed[f"payment_description_{i}"] = typed[f"payment_percent_{i}"] = ""
    if not data:
        return typed
    typed["term_start"], typed["term_end"] = data["term"]["start"], data["term"]["end"]
    typed["scope"] = data.get("scope", "")
    typed["dispute_resolution"] = data.get("dispute_resolution", "")
    for name in (*SERVICE_FIELDS, *WORKS_FIELDS):
        if name in data:
            typed[name] = str(data[name])
    for i, payment in enumerate(data.get("payments", [])[:PAYMENT_ROWS]):
        typed[f"payment_description_{i}"] = payment["description"]
        typed[f"payment_percent_{i}"] = payment["percent"]
    return typed
