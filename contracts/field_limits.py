"""How long each field of a document's data may be.

One table for every document kind, by field name (``name`` is a party's name wherever a
party appears). The limits follow what the platform stores (a firm's name and address
columns, a document number's column) and leave room for the longest real text: a scope
of services of a few pages. They keep a render short: a 200,000-character ``scope``
took 6 s to lay out, and a list of 100,000 instalments would take longer. A field not
in the table gets :data:`DEFAULT_TEXT_LIMIT`, so a new field is never unbounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.errors import InvalidDocumentData

#: Most characters of a text field, by field name.
TEXT_LIMITS: Mapping[str, int] = {
    # parties (甲方, 乙方, owner, winner)
    "name": 200,
    "uscc": 18,
    "address": 300,
    "representative": 100,
    "contact": 100,
    "phone": 40,
    "bank_name": 200,
    "bank_account": 64,
    # the procurement and the document
    "document_number": 80,
    "reference": 80,
    "title": 300,
    "category": 100,
    "location": 300,
    "record_reference": 200,
    "remarks": 2_000,
    "objection_contact": 500,
    "participants": 200,  # each participant's name
    "description": 500,  # an instalment's due condition
    # the contracts' own text
    "scope": 5_000,
    "deliverables": 5_000,
    "quality_requirements": 5_000,
    "quality_standard": 500,
    "site": 300,
    "project_manager": 100,
    "signing_place": 100,
    # a party's online confirmation (电子确认)
    "organisation": 200,
    "confirmed_by": 100,
    "digest": 64,
    # the audit chain's checkpoint on a result notice
    "hash": 64,
}

#: Most characters of a text field the table does not name.
DEFAULT_TEXT_LIMIT = 1_000

#: Most items of a list field, by field name.
LIST_LIMITS: Mapping[str, int] = {
    "payments": 20,
    "participants": 500,
    "confirmations": 2,
}

#: Most items of a list field the table does not name.
DEFAULT_LIST_LIMIT = 100


def check_items(count: int, field: str, path: str | None = None) -> None:
    """Refuse a list of more items than its field allows (before its items are built);
    the error names ``path`` (``procurement.x.payments``) when given, else ``field``."""
    limit = LIST_LIMITS.get(field, DEFAULT_LIST_LIMIT)
    if count > limit:
        raise InvalidDocumentData(path or field, f"at most {limit} items")


def check_length(value: Any, field: str) -> None:
    """Refuse a text longer than its field allows; for a list, its length and each item's."""
    if isinstance(value, str):
        limit = TEXT_LIMITS.get(field, DEFAULT_TEXT_LIMIT)
        if len(value) > limit:
            raise InvalidDocumentData(field, f"at most {limit} characters")
    elif isinstance(value, tuple):
        check_items(len(value), field)
        limit = TEXT_LIMITS.get(field, DEFAULT_TEXT_LIMIT)
        for index, item in enumerate(value):
            if isinstance(item, str) and len(item) > limit:
                raise InvalidDocumentData(f"{field}[{index}]", f"at most {limit} characters")
