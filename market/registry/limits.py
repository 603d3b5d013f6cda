"""How long the registry's texts and lists may be: the one table.

The domain's checks (:mod:`market.registry.records`, :mod:`market.registry.credit`) and
the API's request schemas (``web/registry_schemas.py``, msgspec ``Meta(max_length=…)``)
both read these numbers, so a limit is changed in one place. They are the column sizes of
the tables (``market/models/registry.py``); raising one needs a migration, which
``alembic check`` then demands.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Most characters of a firm's profile texts, by field name (organisation and firm columns).
FIRM_TEXT: Mapping[str, int] = {
    "name": 200,
    "legal_representative": 50,
    "address": 300,
    "contact_name": 50,
    "contact_phone": 40,
    "contact_email": 120,
    "introduction": 4000,
}

# a licence (资质证书)
LICENCE_NUMBER = 64
LICENCE_ISSUER = 100
LICENCE_GRADE = 20
E_LICENCE_REF = 200

# a track record (业绩)
PROJECT = 200
OWNER_NAME = 200

# misconduct records and credit corrections
MISCONDUCT_DESCRIPTION = 2000
MISCONDUCT_REFERENCE = 100
CREDIT_REASON = 500

#: Most characters of a USCC as a person may write it (spaces and hyphens between the
#: groups); :func:`contracts.uscc.normalise` then reads the 18 that count.
USCC_AS_WRITTEN = 40

# most items of an application's lists
CODES = 40  # work fields, service types, service area
LICENCES = 50
TRACK_RECORDS = 200
