"""The registry's Chinese labels live beside their enums: every member has one, and the
pages, the eligibility reasons and the import read them from there."""

from __future__ import annotations

import enum

import pytest

from market.models import FirmStatus, LicenceStatus, MisconductSeverity, Registry
from market.registry.records import parse_registry


@pytest.mark.parametrize("kind", [Registry, FirmStatus, LicenceStatus, MisconductSeverity])
def test_every_member_has_its_own_label(kind: type[enum.StrEnum]) -> None:
    labels = [member.label for member in kind]  # type: ignore[attr-defined]
    assert all(labels) and len(set(labels)) == len(labels)


def test_the_labels_pages_show() -> None:
    assert [s.label for s in FirmStatus] == ["待审核", "退回补正", "已入库", "暂停", "已清出", "不予入库"]
    assert (Registry.CONTRACTOR.label, Registry.INTERMEDIARY.label) == ("小额工程企业库", "中介机构库")
    assert LicenceStatus.APPROVED.label == "有效" and MisconductSeverity.SEVERE.label == "严重"


def test_an_import_names_the_registry_by_its_label() -> None:
    assert all(parse_registry(registry.label) is registry for registry in Registry)
