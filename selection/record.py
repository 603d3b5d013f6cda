"""The selection record: the published, canonical-JSON account of one selection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from selection.canonical import canonical_json, sha256_hex

RECORD_FORMAT = "market.selection-record/1"
RECORD_FORMAT_V2 = "market.selection-record/2"


@dataclass(frozen=True)
class SelectionRecord:
    """One selection, as plain JSON-able data (``data``) in the record format.

    Keys of ``data``: ``format``, ``algorithm``, ``ceremony`` (``market.selection-record/2``
    only), ``method``, ``procurement_ref``, ``params``,
    ``rules``, ``inputs``, ``seed``, ``exclusions``, ``eligible_count``, ``draws``,
    ``ranking``, ``flags``, ``winners``, ``alternates``, ``outcome`` (``"selected"`` or
    ``"failed"``) and ``failure`` (``null`` or ``{code, reason, eligible, minimum}``).
    """

    data: dict[str, Any]

    @property
    def winners(self) -> list[str]:
        """Firm ids of the winners, in order."""
        return list(self.data["winners"])

    @property
    def alternates(self) -> list[str]:
        """Firm ids of the alternates (候补), in order of precedence."""
        return list(self.data["alternates"])

    @property
    def outcome(self) -> str:
        """``"selected"`` or ``"failed"``."""
        return str(self.data["outcome"])

    def to_json(self) -> bytes:
        """Return the canonical JSON bytes of the record (what is published and hashed)."""
        return canonical_json(self.data, check=False)

    def digest(self) -> str:
        """Return the SHA-256 hex digest of :meth:`to_json`, to cite the record elsewhere."""
        return sha256_hex(self.to_json())

    @classmethod
    def from_json(cls, raw: bytes | str) -> SelectionRecord:
        """Load a record from JSON text (no checking: use ``selection.verify`` for that)."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a selection record is a JSON object")
        return cls(data)
