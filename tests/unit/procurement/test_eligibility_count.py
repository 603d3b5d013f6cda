"""What publication is told about eligibility (market.procurement.eligibility_count)."""

from __future__ import annotations

from datetime import UTC, datetime

from market.problems import Problem
from market.procurement.eligibility_count import EligibilityCount

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_a_counted_draft_passes_its_count() -> None:
    count = EligibilityCount(AT, needed=3, eligible=1)
    assert count.for_publication == 1 and not count.enough


def test_unreadable_requirements_leave_the_shortage_check_to_their_own_problems() -> None:
    count = EligibilityCount(AT, needed=3, problems=(Problem("requirements.licences", "unknown licence"),))
    assert not count.counted and count.for_publication == 3
