"""How long a procurement's texts and lists may be: the one table.

The rules (:mod:`market.procurement.publication`) and, later, the API's request schemas and
the table's columns read these numbers, so a limit is changed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

#: Most characters of a procurement's texts, by field name.
TEXT: Mapping[str, int] = {
    "title": 200,
    "description": 8000,
    "contact_name": 50,
    "contact_phone": 40,
}

#: Fewest characters of the texts that must say something.
TEXT_MIN: Mapping[str, int] = {"title": 4, "description": 10}

#: Most characters of a reason: an avoidance, a direct selection, a cancellation, an amendment.
REASON = 500

#: Most firms on an avoidance list (回避).
AVOIDANCE = 200

#: Most winners plus alternates a procurement may ask for.
PICKS = 50

#: The largest amount a procurement may name, in yuan (two places fit NUMERIC(14, 2)).
MAX_AMOUNT = Decimal("999999999999.99")

#: Most characters naming a draw's beacon event (draw_round.beacon_reference).
BEACON_REFERENCE = 200

#: Fewest and most review criteria (评审因素) of a scored method weighing technical scores.
CRITERIA_FEWEST = 2
CRITERIA_MOST = 10

#: Most characters of a review criterion's name; its code fits review_score.criterion.
CRITERION_NAME = 100
CRITERION_CODE = 40
