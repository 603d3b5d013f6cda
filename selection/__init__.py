"""Pure, auditable winner selection for the market's procurements.

No database, no web, no clock: the standard library plus numpy (only in
:mod:`selection.scored`, imported lazily). This module itself imports nothing heavy, so
``python -m selection.verify`` runs on a bare CPython.

Public API
==========

``selection.run(method, inputs) -> SelectionRecord``
    The dispatcher for the procurement lifecycle. ``method`` is ``"direct"``,
    ``"random"``, ``"lowest_price"``, ``"scored"`` or ``"combined"``; each also has its
    own ``selection.<module>.select(inputs)`` (modules ``direct``, ``random_draw``,
    ``lowest_price``, ``scored``, ``combined``).

``inputs`` (plain JSON-like data; unknown keys are refused)::

    {
      "procurement_ref": "SG-ZJ-2024-0001",
      "candidates": ["<firm id>", ...],            # frozen list; order does not matter
      "params": {...},                             # per method, see each module
      "rules": {                                   # optional pre-rules
        "min_respondents": 3,                      # default 3 (direct: 1)
        "avoid": [{"id": "<firm>", "reason": "..."}],            # 回避
        "rotation": {"reference_date": "2024-06-01", "recent_days": 90,
                     "max_wins": 3, "period_start": "2024-01-01"},
        "win_history": [{"id": "<firm>", "date": "2024-03-02"}]
      },
      "ceremony": {...},                           # market-draw/2, see below
      # or, for the old draw-v1 records only (never together with "ceremony"):
      # "commitments": {"platform": "<sha256 hex>", ...}, "reveals": {...}, "beacons": [...]
      # per-firm data, keyed by firm id, as the method needs:
      "quotes": {...}, "bid_digests": {...}, "credit_scores": {...},
      "evaluation_scores": {...}, "technical_scores": {...}, "credit_bands": {...}
    }

Money is a decimal string (or ``int`` / ``Decimal``) in yuan with at most two places,
never a float. The returned :class:`selection.record.SelectionRecord` has ``.data`` (the
record as plain data), ``.winners``, ``.alternates``, ``.outcome``, ``.to_json()`` (the
canonical bytes to publish) and ``.digest()``.

The ``market-draw/2`` ceremony (``docs/draw-spec.md`` §3), as the lifecycle stores it::

    "ceremony": {
      "round": 1,
      "commitments": {"platform": "<hex64>", "owner": "<hex64>"},        # at publication
      "freeze": {"audit_entry": "audit:8121", "frozen_at": "<time>",     # at the deadline
                 "configuration": "<hex64>", "candidates": "<hex64>", "bids": "<hex64>"},
      "reveal_deadline": "<time>",
      "reveals": {"platform": {"secret": "<hex64>", "at": "<time>"}, ...},
      "beacon": {"source": "中国福利彩票3D", "reference": "第2026058期", "form": "digits:3",
                 "value": "371", "at": "<time>"}                    # or null; value/at null until known
    }

Times are UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. The lifecycle calls, in order:
``selection.ceremony.commitment(reference, round, role, secret_hex)`` (or takes an outside
party's commitment made by ``python -m selection.secret`` / WebCrypto), at the deadline
``selection.engine.freeze(method, inputs) -> {"documents", "digests", "eligible_count",
"minimum"}`` (``digests`` go into ``ceremony.freeze`` and the audit entry), and at the
selection time ``selection.run(method, {**inputs, "ceremony": ...})``. A record's
``seed`` then holds ``reveals_counted``, ``withheld`` (``[{party, reason}]``),
``beacon_counted`` and ``value``. ``selection.ceremony.beacon_form_ok(form, value)`` checks a
beacon value as it is entered.

Errors (``selection.errors``): subclasses of ``InvalidInput`` for bad input (no record);
``InsufficientRespondents`` (``code == "insufficient_respondents"``) when too few eligible
firms remain — the lifecycle turns it into 流标; its ``.record`` is a verifiable failure
record.

Other entry points: ``selection.seed.commitment_for(secret_hex)`` (draw-v1 commitments),
``selection.rfc3797.select(pool_size, sources, count)``,
``selection.verify.verify_text(json, frozen=None)`` and the command lines
``python -m selection.verify``, ``python -m selection.secret``, ``python -m selection.rfc3797``
and ``python -m selection.examples``.
The draw and the record are specified in ``docs/draw-spec.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selection.record import SelectionRecord

__all__ = ["run"]


def run(method: str, inputs: Mapping[str, Any]) -> SelectionRecord:
    """Run selection ``method`` on ``inputs``; see :func:`selection.engine.run`."""
    from selection.engine import run as run_engine

    return run_engine(method, inputs)
