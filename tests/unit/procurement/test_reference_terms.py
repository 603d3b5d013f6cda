"""Reference numbers, the terms file and attachment checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from market.errors import ConfigurationError, InvalidInput
from market.procurement.attachments import check_attachment
from market.procurement.reference import parse_reference, reference
from market.procurement.terms import BUNDLED_REFERENCE_DIR, ProcurementKind, Rotation, load_procurement_terms
from selection.engine import METHODS

from .conftest import TERMS


def test_reference_round_trip() -> None:
    assert reference("SGZJ", 2026, 1) == "SGZJ-2026-0001"
    assert reference("SGXE", 2026, 12345) == "SGXE-2026-12345"
    for text in ("SGZJ-2026-0001", "SGXE-2027-0420", "SGXE-2026-12345"):
        parsed = parse_reference(text)
        assert reference(parsed.prefix, parsed.year, parsed.sequence) == text
    assert parse_reference(" sgzj-2026-0007 ").sequence == 7


@pytest.mark.parametrize("text", ["SGZJ-2026-00001", "SGZJ-2026-0000", "SGZJ-26-0001", "SG_ZJ-2026-0001", ""])
def test_other_spellings_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_reference(text)


def test_terms_per_kind() -> None:
    services, works = TERMS.of(ProcurementKind.INTERMEDIARY_SERVICE), TERMS.of(ProcurementKind.SMALL_WORKS)
    assert (services.prefix, works.prefix) == ("SGZJ", "SGXE")
    assert TERMS.kind_of_prefix("SGXE") is ProcurementKind.SMALL_WORKS
    assert str(works.value_below) == "4000000.00" and not works.takes_bids
    assert {m.code for m in works.methods} == {"random", "combined/credit_weighted"}
    assert {m.method for m in services.methods} == set(METHODS)
    assert TERMS.band_weights == {"A": 4, "B": 3, "C": 2, "D": 1}


def test_a_method_the_engine_does_not_know_stops_the_start(tmp_path: Path) -> None:
    text = (BUNDLED_REFERENCE_DIR / "procurement.toml").read_text(encoding="utf-8")
    (tmp_path / "procurement.toml").write_text(text.replace('"lowest_price"', '"cheapest"'), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cheapest"):
        load_procurement_terms(tmp_path)


def test_small_works_fix_their_pool_give_a_working_day_to_answer_and_rotate() -> None:
    works = TERMS.of(ProcurementKind.SMALL_WORKS)
    assert (works.pool_freeze_minutes, works.offer_working_days) == (120, 1)
    assert works.rotation == Rotation(recent_days=30, max_wins=3, period_days=365)
    assert TERMS.of(ProcurementKind.INTERMEDIARY_SERVICE).rotation is None


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("pool_freeze_minutes = 120", "pool_freeze_minutes = 0", "pool_freeze_minutes"),
        ("offer_working_days = 1", "offer_working_days = 0", "offer_working_days"),
        ("rotation_period_days = 365", "", "go together"),
        ("rotation_recent_days = 30", "rotation_recent_days = 0", "rotation_recent_days"),
    ],
)
def test_small_works_terms_out_of_range_stop_the_start(tmp_path: Path, old: str, new: str, says: str) -> None:
    text = (BUNDLED_REFERENCE_DIR / "procurement.toml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "procurement.toml").write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=says):
        load_procurement_terms(tmp_path)


def test_direct_selection_follows_failed_attempts_where_the_kind_has_it(tmp_path: Path) -> None:
    services, works = TERMS.of(ProcurementKind.INTERMEDIARY_SERVICE), TERMS.of(ProcurementKind.SMALL_WORKS)
    assert (services.direct_after_failed_attempts, works.direct_after_failed_attempts) == (2, None)
    text = (BUNDLED_REFERENCE_DIR / "procurement.toml").read_text(encoding="utf-8")
    (tmp_path / "procurement.toml").write_text(
        text.replace("direct_after_failed_attempts = 2", "direct_after_failed_attempts = 0"), encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match="at least 1"):
        load_procurement_terms(tmp_path)
    (tmp_path / "procurement.toml").write_text(
        text.replace("direct_after_failed_attempts = 2\n", ""), encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match="exactly when direct is a method"):
        load_procurement_terms(tmp_path)


def test_attachments_by_type_content_and_size() -> None:
    files = TERMS.attachments
    assert check_attachment(files, "招标文件.PDF", b"%PDF-1.7", 1000).extension == "pdf"
    assert check_attachment(files, "清单.xlsx", b"PK\x03\x04rest", 1000).extension == "xlsx"
    with pytest.raises(InvalidInput, match="PDF, DOCX, XLSX, ZIP"):
        check_attachment(files, "setup.exe", b"MZ", 10)
    with pytest.raises(InvalidInput, match="not a PDF"):
        check_attachment(files, "fake.pdf", b"MZ\x90", 10)
    with pytest.raises(InvalidInput, match="at most"):
        check_attachment(files, "big.zip", b"PK\x03\x04", files.max_bytes + 1)
    with pytest.raises(InvalidInput, match="at most 20 files"):
        check_attachment(files, "a.pdf", b"%PDF-", 10, files=20)
