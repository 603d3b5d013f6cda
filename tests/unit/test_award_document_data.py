"""The notices of an award are built from stored data only: the same facts give the same
document (number, dates, parties), the owner's missing details fall back to the
procurement's, and what cannot be filled in is refused with what to do."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import contracts
from market.award import document_data
from market.award.document_data import AwardFacts, OwnerDataMissing, PartyFacts
from market.errors import InvalidInput
from market.procurement.terms import load_procurement_terms
from tests.registry_data import uscc

SELECTED = datetime(2026, 11, 9, 7, 0, tzinfo=UTC)  # 15:00 in Shaoguan
FACTS = AwardFacts(
    reference="SGZJ-2026-0007",
    title="韶关市某道路工程造价咨询",
    kind="intermediary_service",
    category="工程造价咨询",
    location="浈江区",
    contact_name="王工",
    contact_phone="0751-8881234",
    owner=PartyFacts("韶关市浈江区住房和城乡建设管理局", uscc(930_001), "", ""),
    winner=PartyFacts(
        "广东测试工程造价咨询有限公司", uscc(820), "韶关市武江区", "李四", "陈经理", "13800000000"
    ),
    amount=Decimal("150000.00"),
    award_id=41,
    ordinal=2,
    round=1,
    selected_at=SELECTED,
    publicity_ends_at=SELECTED + timedelta(days=3, hours=20),  # past midnight in Shaoguan
    awarded_at=None,
    contract_due_at=None,
    method_code="combined/credit_weighted",
    method_name="信用加权随机抽取",
    record_digest="ab" * 32,
    participants=("广东测试工程造价咨询有限公司", "韶关市某咨询有限公司", "91440204000000999X"),
    objection_contact="韶关市公共资源交易中心（质疑请通过平台提交）",
)


def test_the_result_notice_is_numbered_dated_and_named_from_the_facts() -> None:
    notice = document_data.result_notice(FACTS)
    assert notice.document_number == "SGZJ-2026-0007-GS-2"
    assert notice.issued_on == notice.publicity_start == datetime(2026, 11, 9).date()
    assert notice.publicity_end == datetime(2026, 11, 13).date()  # the end's day in China time
    assert notice.selection.method is contracts.SelectionMethod.RANDOM_DRAW
    assert notice.selection.candidates == 3 and notice.selection.remarks == "信用加权随机抽取"
    assert notice.selection.record_reference == f"SGZJ-2026-0007/1 SHA-256:{'ab' * 32}"
    assert contracts.canonical_json(notice) == contracts.canonical_json(document_data.result_notice(FACTS))


def test_the_owner_falls_back_to_the_procurements_contact_and_division() -> None:
    owner = document_data.result_notice(FACTS).owner
    assert (owner.representative, owner.address, owner.contact, owner.phone) == (
        "王工", "浈江区", "王工", "0751-8881234",
    )  # fmt: skip
    own = dataclasses.replace(FACTS, owner=PartyFacts("某局", uscc(930_001), "韶关市某路1号", "赵局长"))
    assert document_data.result_notice(own).owner.representative == "赵局长"
    unnamed = dataclasses.replace(FACTS, contact_name="", owner=PartyFacts("某局", uscc(930_001), "", ""))
    assert document_data.result_notice(unnamed).owner.representative == document_data.NOT_REGISTERED


def test_an_owner_without_a_uscc_is_refused_naming_what_to_add() -> None:
    facts = dataclasses.replace(FACTS, owner=PartyFacts("某局", None, "", ""))
    with pytest.raises(OwnerDataMissing, match="no USCC") as refused:
        document_data.result_notice(facts)
    assert refused.value.field == "uscc"


def test_the_selection_notice_waits_for_the_award_and_then_carries_its_limit() -> None:
    with pytest.raises(InvalidInput, match="not awarded yet"):
        document_data.selection_notice(FACTS)
    awarded = dataclasses.replace(
        FACTS, awarded_at=SELECTED + timedelta(days=4), contract_due_at=SELECTED + timedelta(days=34)
    )
    notice = document_data.selection_notice(awarded)
    assert notice.document_number == "SGZJ-2026-0007-TZ-2"
    assert (notice.issued_on, notice.contract_deadline) == (
        datetime(2026, 11, 13).date(), datetime(2026, 12, 13).date(),
    )  # fmt: skip
    assert notice.winner.uscc == uscc(820) and notice.amount == Decimal("150000.00")


def test_every_method_of_the_reference_data_maps_to_a_notice_method() -> None:
    terms = load_procurement_terms()
    codes = {option.code for kind in terms.kinds.values() for option in kind.methods}
    assert codes <= set(document_data.NOTICE_METHODS)
