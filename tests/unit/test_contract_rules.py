"""The contract's pure rules: who confirms in which order, and each refusal's reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from market.award.contract_rules import (
    ContractRefused,
    SigningState,
    check_confirmation,
    check_may_draft,
    check_may_reassign,
    document_number,
    firm_next_step,
    owner_terms,
)
from market.errors import InvalidInput, PermissionDenied

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=10)
DRAFT = SigningState(2, "d" * 64, None, None)
OWNER_DONE = SigningState(2, "d" * 64, NOW, None)


def _reason(act: object) -> str:
    with pytest.raises(ContractRefused) as refused:
        act()  # type: ignore[operator]
    return str(refused.value.details["reason"])


def test_the_owner_confirms_first_then_the_firm_each_once_the_current_digest_in_time() -> None:
    check_confirmation("owner", "awarded", DUE, DRAFT, DRAFT.digest, NOW)
    check_confirmation("firm", "awarded", DUE, OWNER_DONE, DRAFT.digest, NOW)
    with pytest.raises(PermissionDenied):
        check_confirmation(None, "awarded", DUE, DRAFT, DRAFT.digest, NOW)
    assert (
        _reason(lambda: check_confirmation("firm", "awarded", DUE, DRAFT, DRAFT.digest, NOW)) == "owner_first"
    )
    assert (
        _reason(lambda: check_confirmation("owner", "awarded", DUE, OWNER_DONE, DRAFT.digest, NOW)) == "twice"
    )
    assert _reason(lambda: check_confirmation("owner", "awarded", DUE, DRAFT, "e" * 64, NOW)) == "stale"
    assert _reason(lambda: check_confirmation("owner", "awarded", DUE, None, "e" * 64, NOW)) == "no_draft"
    assert _reason(lambda: check_confirmation("owner", "awarded", DUE, DRAFT, DRAFT.digest, DUE)) == "late"
    assert (
        _reason(lambda: check_confirmation("owner", "contracted", DUE, DRAFT, DRAFT.digest, NOW)) == "status"
    )


def test_the_late_refusal_names_the_limit_in_china_time() -> None:
    with pytest.raises(ContractRefused, match="ended at 2026-12-11 10:00"):
        check_confirmation("firm", "awarded", DUE, OWNER_DONE, DRAFT.digest, DUE + timedelta(seconds=1))


def test_a_draft_is_made_while_awarded_in_time_until_the_firm_confirmed() -> None:
    check_may_draft("awarded", DUE, OWNER_DONE, NOW)  # a re-draft after the owner confirmed: allowed
    assert (
        _reason(lambda: check_may_draft("awarded", DUE, SigningState(1, "d" * 64, NOW, NOW), NOW)) == "signed"
    )
    assert _reason(lambda: check_may_draft("selected", DUE, None, NOW)) == "status"
    assert _reason(lambda: check_may_draft("awarded", DUE, None, DUE)) == "late"


def test_the_owner_writes_only_its_terms() -> None:
    assert owner_terms("works_contract", {"site": "犁市镇"}) == {"site": "犁市镇"}
    for kind, field in (
        ("service_contract", "site"),
        ("works_contract", "deliverables"),
        ("works_contract", "amount"),
    ):
        with pytest.raises(InvalidInput) as refused:
            owner_terms(kind, {field: "x"})
        assert refused.value.field == field


def test_the_next_alternate_only_after_a_missed_limit() -> None:
    check_may_reassign("awarded", True, DUE)
    assert _reason(lambda: check_may_reassign("awarded", False, DUE)) == "in_time"
    assert _reason(lambda: check_may_reassign("contracted", True, DUE)) == "status"


@pytest.mark.parametrize(
    ("status", "ended", "state", "step"),
    [
        ("awarded", True, None, "ended"),
        ("selected", False, None, "publicity"),
        ("awarded", False, None, "await_draft"),
        ("awarded", False, DRAFT, "await_owner"),
        ("awarded", False, OWNER_DONE, "confirm"),
        ("contracted", False, SigningState(1, "d" * 64, NOW, NOW), "deliver"),
        ("delivered", False, None, "await_acceptance"),
        ("accepted", False, None, "await_evaluation"),
        ("evaluated", False, None, "see_evaluation"),
        ("failed", False, None, "closed"),
    ],
)
def test_what_the_firm_does_next(status: str, ended: bool, state: SigningState | None, step: str) -> None:
    assert firm_next_step(status, ended, state) == step


def test_the_contract_number_names_the_procurement_award_and_draft() -> None:
    assert document_number("SGZJ-2026-0001", 3, 2) == "SGZJ-2026-0001-HT-3-2"
