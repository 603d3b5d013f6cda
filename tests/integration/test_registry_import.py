"""Registry import: every bad row reported with its line and reason, all or nothing (or the
good rows with --skip-invalid), idempotent on USCC, CSV in UTF-8 or GB18030 and XLSX, and
every firm audited — on real PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select
from stdnum.cn.uscc import calc_check_digit

from market.audit import Actor
from market.db import Database
from market.errors import InvalidInput
from market.models import (
    AuditEntry,
    CreditEvent,
    Firm,
    FirmStatus,
    FirmStatusChange,
    Licence,
    LicenceStatus,
    Organisation,
    OrganisationKind,
    Registry,
    TrackRecord,
)
from market.registry.bulk import RegistryConflicts, upsert_firms
from market.registry.importing import ImportRejected, ImportReport, import_file
from market.registry.records import FirmInput, TrackRecordInput, firm_input
from market.registry.vocabulary import load_vocabulary

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ADMIN = Actor(None, "test-admin")
VOCABULARY = load_vocabulary()
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "registry" / "contractors.csv"


def uscc(n: int) -> str:
    body = f"91440204MA{n:07d}"
    return body + calc_check_digit(body)


def row(n: int, **changes: str) -> dict[str, str]:
    values = {
        "库别": "小额工程企业库",
        "统一社会信用代码": uscc(n),
        "企业名称": f"韶关市第{n}建设工程有限公司",
        "法定代表人": "陈建国",
        "注册地址": f"韶关市浈江区解放路{n}号",
        "注册地": "浈江区",
        "联系人": "黄小明",
        "联系电话": "0751-8123456",
        "电子邮箱": f"firm{n}@example.cn",
        "工程领域": "房屋建筑和市政工程",
        "执业人员数": "12",
        "服务区域": "浈江区、武江区",
        "资质1类别": "建筑工程施工总承包",
        "资质1等级": "二级",
        "资质1证书编号": f"D2440{n:05d}",
        "资质1发证机关": "广东省住房和城乡建设厅",
        "资质1发证日期": "2023-03-01",
        "资质1有效期至": "2028-02-28",
        "资质2类别": "安全生产许可证",
        "资质2等级": "",
        "资质2证书编号": f"(粤)JZ安许证字[2023]0{n:05d}",
        "资质2发证机关": "广东省住房和城乡建设厅",
        "资质2发证日期": "2023-01-10",
        "资质2有效期至": "2026-01-09",
    }
    values.update(changes)
    return values


def as_csv(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


async def _import(
    database: Database, data: bytes, filename: str = "firms.csv", **options: Any
) -> ImportReport:
    return await import_file(database, data, filename, actor=ADMIN, now=NOW, **options)


async def _count(database: Database, model: type, *where: Any) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _rejected(
    database: Database, data: bytes, filename: str = "firms.csv", **options: Any
) -> ImportReport:
    with pytest.raises(ImportRejected) as caught:
        await _import(database, data, filename, **options)
    return caught.value.report


def _problems(report: ImportReport) -> dict[int, list[tuple[str, str]]]:
    return {r.line: [(p.field, p.message) for p in r.problems] for r in report.rejected}


async def test_a_valid_file_admits_every_firm_with_approved_licences_and_base_credit(
    database: Database,
) -> None:
    report = await _import(database, as_csv([row(1), row(2), row(3)]))
    assert (report.rows, report.created, report.updated, report.rejected) == (3, 3, 0, [])
    async with database.sessions() as session:
        firm = await session.get(Firm, report.firm_ids[uscc(2)])
        assert firm is not None
        assert firm.organisation.kind is OrganisationKind.CONTRACTOR
        assert firm.organisation.name == "韶关市第2建设工程有限公司"
        assert firm.kind is Registry.CONTRACTOR and firm.status is FirmStatus.ADMITTED
        assert firm.admitted_at == NOW and firm.credit_score == VOCABULARY.credit.base
        assert firm.work_fields == ["housing_municipal"] and firm.service_area == ["440204", "440203"]
        assert firm.division_code == "440204" and firm.practitioners == 12
        licences = (await session.scalars(select(Licence).where(Licence.firm_id == firm.id))).all()
        assert {(lic.licence_type, lic.grade, lic.status) for lic in licences} == {
            ("building_gc", "二级", LicenceStatus.APPROVED),
            ("safety_permit", "", LicenceStatus.APPROVED),
        }
        assert all(lic.reviewed_at == NOW and lic.review_reason == "imported" for lic in licences)
        change = (
            await session.scalars(select(FirmStatusChange).where(FirmStatusChange.firm_id == firm.id))
        ).one()
        assert (change.from_status, change.to_status, change.reason) == (
            None,
            FirmStatus.ADMITTED,
            "imported",
        )
        credit = (await session.scalars(select(CreditEvent).where(CreditEvent.firm_id == firm.id))).one()
        assert (credit.delta, credit.score_after, credit.note) == (
            Decimal("80.00"),
            Decimal("80.00"),
            "基础分",
        )


async def test_one_bad_row_imports_nothing_and_every_bad_row_is_named_with_line_and_reason(
    database: Database,
) -> None:
    short = uscc(3)[:-2]
    wrong_check = uscc(4)[:-1] + ("A" if uscc(4)[-1] != "A" else "B")
    report = await _rejected(
        database,
        as_csv(
            [
                row(1),
                row(2),
                row(3, 统一社会信用代码=short),
                row(4, 统一社会信用代码=wrong_check),
                row(5, 资质1发证日期="2024-05-01", 资质1有效期至="2024-04-30"),
                row(1, 企业名称="另一家公司"),
                row(7, 工程领域="房屋建筑和市政工程;园林绿化"),
            ]
        ),
    )
    problems = _problems(report)
    assert sorted(problems) == [4, 5, 6, 7, 8]  # the header is line 1
    assert problems[4] == [
        (
            "统一社会信用代码",
            f"{short!r} is not a valid unified social credit code (统一社会信用代码): "
            "it has 16 characters; a USCC has 18 characters",
        )
    ]
    assert (
        problems[5][0][0] == "统一社会信用代码"
        and "check character (第18位校验码) is wrong" in problems[5][0][1]
    )
    assert problems[6] == [("资质1有效期至", "valid-until 2024-04-30 is before the issue date 2024-05-01")]
    assert problems[7] == [
        ("统一社会信用代码", f"{uscc(1)} is on lines 2 and 7; each firm takes one row only")
    ]
    field, message = problems[8][0]
    assert field == "工程领域" and "'园林绿化' is not a known field of work" in message
    assert "housing_municipal (房屋建筑和市政工程)" in message and "water (水利)" in message
    assert [r.uscc for r in report.rejected][:2] == [short, wrong_check]
    assert await _count(database, Organisation) == 0
    assert await _count(database, AuditEntry) == 0


async def test_every_problem_of_a_row_is_listed_not_only_the_first(database: Database) -> None:
    report = await _rejected(database, as_csv([row(1, 法定代表人="", 电子邮箱="nope", 资质2有效期至="soon")]))
    assert [field for field, _ in _problems(report)[2]] == ["法定代表人", "电子邮箱", "资质2有效期至"]


async def test_a_nul_or_a_bidi_control_in_a_cell_is_a_named_problem_not_a_server_error(
    database: Database,
) -> None:
    report = await _rejected(
        database,
        as_csv([row(1, 企业名称="韶关\x00建设"), row(2, 企业名称="韶关\u202e设建有限公司"), row(3, 资质1证书编号="D\u2066X")]),
    )
    problems = _problems(report)
    assert problems[2] == [("企业名称", "contains a NUL character (U+0000); remove it")]
    assert problems[3][0][0] == "企业名称" and "U+202E" in problems[3][0][1]
    assert problems[4][0][0] == "资质1证书编号" and "U+2066" in problems[4][0][1]
    assert await _count(database, Organisation) == 0


async def test_reimport_updates_the_firm_instead_of_adding_a_second_one(database: Database) -> None:
    first = await _import(database, as_csv([row(1), row(2)]))
    changed = row(
        1,
        企业名称="韶关市第一建设集团有限公司",
        执业人员数="30",
        资质1等级="一级",
        资质1有效期至="2029-02-28",
        资质2类别="市政公用工程施工总承包",
        资质2等级="三级",
        资质2证书编号="D244099999",
    )
    again = await _import(database, as_csv([changed, row(2)]))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert again.firm_ids == first.firm_ids
    assert await _count(database, Organisation) == 2 and await _count(database, Firm) == 2
    firm_id = first.firm_ids[uscc(1)]
    async with database.sessions() as session:
        firm = await session.get(Firm, firm_id)
        assert firm is not None and firm.organisation.name == "韶关市第一建设集团有限公司"
        assert firm.practitioners == 30 and firm.status is FirmStatus.ADMITTED
        licences = {
            lic.licence_type: lic
            for lic in (await session.scalars(select(Licence).where(Licence.firm_id == firm_id))).all()
        }
    # updated in place, added, and the safety permit absent from the new file is kept
    assert set(licences) == {"building_gc", "municipal_gc", "safety_permit"}
    assert licences["building_gc"].grade == "一级"
    assert licences["building_gc"].valid_until == date(2029, 2, 28)
    assert all(lic.status is LicenceStatus.APPROVED for lic in licences.values())
    async with database.sessions() as session:
        entry = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "firm:reimported"))
        ).one()
    assert entry.object_id == str(firm_id)
    assert entry.payload["changed"]["name"] == ["韶关市第1建设工程有限公司", "韶关市第一建设集团有限公司"]
    assert entry.payload["changed"]["practitioners"] == [12, 30]
    assert entry.payload["licences_updated"] == ["building_gc:D244000001"]
    assert entry.payload["licences_added"] == ["municipal_gc:D244099999"]


async def test_importing_the_same_file_twice_changes_nothing_the_second_time(database: Database) -> None:
    data = as_csv([row(1), row(2)])
    await _import(database, data)
    again = await _import(database, data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert await _count(database, Licence) == 4
    assert await _count(database, AuditEntry, AuditEntry.action == "firm:reimported") == 0


async def test_audit_has_one_entry_per_imported_firm_and_a_summary(database: Database) -> None:
    report = await _import(database, as_csv([row(1), row(2)]), filename="名单.csv")
    async with database.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [e.action for e in entries] == ["firm:imported", "firm:imported", "registry:imported"]
    assert {e.object_id for e in entries[:2]} == {str(i) for i in report.firm_ids.values()}
    assert entries[0].payload["uscc"] == uscc(1) and entries[0].payload["status"] == "admitted"
    summary = entries[-1].payload
    assert (summary["file"], summary["created"], summary["records"]) == ("名单.csv", 2, 2)
    assert len({e.payload["batch"] for e in entries}) == 1
    assert all(e.actor_label == "test-admin" for e in entries)


async def test_skip_invalid_imports_the_good_rows_and_writes_the_rejects_for_fixing(
    database: Database, tmp_path: Path
) -> None:
    rejects = tmp_path / "rejects.csv"
    bad = row(2, 电子邮箱="not-an-address")
    report = await _import(database, as_csv([row(1), bad, row(3)]), skip_invalid=True, rejects_path=rejects)
    assert (report.created, [r.line for r in report.rejected]) == (2, [3])
    assert report.rejects_path == rejects
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 1
    assert written[0]["统一社会信用代码"] == uscc(2) and written[0]["企业名称"] == bad["企业名称"]
    assert written[0]["错误原因"] == "电子邮箱: 'not-an-address' is not an e-mail address"
    # fixed, the rejects file goes back in as it is: its 错误原因 column is ignored
    fixed = rejects.read_text(encoding="utf-8-sig").replace("not-an-address", "ok@example.cn")
    again = await _import(database, fixed.encode(), filename="rejects.csv")
    assert (again.created, again.rejected) == (1, [])


async def test_a_uscc_held_by_an_owner_organisation_is_a_bad_row(database: Database) -> None:
    async with database.unit_of_work() as uow:
        uow.session.add(Organisation(kind=OrganisationKind.OWNER, name="韶关市教育局", uscc=uscc(2)))
        await uow.commit()
    report = await _rejected(database, as_csv([row(1), row(2)]))
    [(field, message)] = _problems(report)[3]
    assert field == "统一社会信用代码" and "韶关市教育局" in message and "owner" in message
    assert await _count(database, Firm) == 0


async def test_xlsx_sheet_with_date_and_number_cells_imports(database: Database) -> None:
    book = Workbook()
    sheet = book.active
    rows = [row(1), row(2)]
    sheet.append(list(rows[0]))
    for values in rows:
        cells: list[Any] = list(values.values())
        cells[10] = 12  # 执业人员数 as a number
        cells[17] = datetime(2028, 2, 28)  # 资质1有效期至 as a date cell
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _import(database, buffer.getvalue(), filename="企业库.xlsx")
    assert (report.created, report.rejected) == (2, [])
    async with database.sessions() as session:
        valid = await session.scalar(
            select(Licence.valid_until).where(Licence.licence_type == "building_gc").limit(1)
        )
    assert valid == date(2028, 2, 28)


async def test_xlsx_uscc_typed_as_a_number_says_to_format_the_column_as_text(database: Database) -> None:
    book = Workbook()
    book.active.append(["库别", "统一社会信用代码", "企业名称", "法定代表人", "注册地址", "工程领域"])
    book.active.append(["contractor", 914402047000000000, "某公司", "陈建国", "韶关市", "水利"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = await _rejected(database, buffer.getvalue(), filename="firms.xlsx")
    [(field, message)] = _problems(report)[2]
    assert field == "统一社会信用代码" and "format the column as text (文本)" in message


async def test_gb18030_csv_from_chinese_excel_imports(database: Database) -> None:
    report = await _import(database, as_csv([row(1), row(2)], encoding="gb18030"))
    assert report.created == 2
    async with database.sessions() as session:
        names = set((await session.scalars(select(Organisation.name))).all())
    assert names == {"韶关市第1建设工程有限公司", "韶关市第2建设工程有限公司"}


async def test_english_headers_and_kind_given_for_a_file_without_kind_column(database: Database) -> None:
    data = (
        "uscc,name,legal_representative,address,division,service_types,"
        "licence1_type,licence1_grade,licence1_number,licence1_issuer,licence1_valid_until\n"
        f"{uscc(9)},韶关信达造价咨询有限公司,李明,韶关市武江区,武江区,cost_consulting,"
        "cost_consulting_cert,甲级,GD-ZJ-001,广东省住房和城乡建设厅,2027/6/30\n"
    ).encode()
    with pytest.raises(InvalidInput) as caught:
        await _import(database, data)
    assert caught.value.details["field"] == "kind" and "--kind" in caught.value.message
    report = await _import(database, data, kind=Registry.INTERMEDIARY, status=FirmStatus.APPLIED)
    async with database.sessions() as session:
        firm = await session.get(Firm, report.firm_ids[uscc(9)])
    assert firm is not None and firm.kind is Registry.INTERMEDIARY
    assert firm.status is FirmStatus.APPLIED and firm.admitted_at is None
    assert firm.organisation.kind is OrganisationKind.INTERMEDIARY


async def test_a_row_of_the_other_registry_is_bad_when_the_import_names_one(database: Database) -> None:
    report = await _rejected(database, as_csv([row(1, 库别="中介机构库")]), kind=Registry.CONTRACTOR)
    assert ("库别", "this row is for the intermediary registry; the import is for contractor") in _problems(
        report
    )[2]


async def test_unknown_headers_are_named_with_the_accepted_ones(database: Database) -> None:
    data = as_csv([{**row(1), "注册资本": "100万", "备注": ""}])
    with pytest.raises(InvalidInput) as caught:
        await _import(database, data)
    assert caught.value.details["unknown"] == ["注册资本", "备注"]
    assert (
        "统一社会信用代码/uscc" in caught.value.message
        and "资质N有效期至/licenceN_valid_until" in caught.value.message
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "is empty"),
        ("\ufeff".encode(), "is empty"),
        ("统一社会信用代码,企业名称,法定代表人,注册地址,库别\n\n,,,,\n".encode(), "no data rows"),
    ],
)
async def test_a_file_without_data_rows_is_refused_clearly(
    database: Database, data: bytes, expected: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await _import(database, data)
    assert expected in caught.value.message and caught.value.details["field"] == "file"


async def test_the_documented_example_file_imports_cleanly(database: Database) -> None:
    report = await _import(database, EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    assert (report.rows, report.created, report.rejected) == (5, 5, [])


def _record(n: int, **changes: Any) -> FirmInput:
    raw: dict[str, Any] = {
        "kind": "contractor",
        "uscc": uscc(n),
        "name": f"韶关市第{n}建设工程有限公司",
        "legal_representative": "陈建国",
        "address": "韶关市浈江区",
        "work_fields": ["water"],
        "track_records": [
            {
                "project": "南水水库加固工程",
                "owner_name": "韶关市水务局",
                "contract_value": "1280000.00",
                "completed_on": "2024-12-20",
                "field_code": "water",
            }
        ],
    }
    raw.update(changes)
    return firm_input(VOCABULARY, raw)


async def test_upsert_adds_track_records_once_and_reports_progress(database: Database) -> None:
    done: list[int] = []
    async with database.unit_of_work() as uow:
        result = await upsert_firms(
            uow, ADMIN, [_record(1), _record(2)], now=NOW, vocabulary=VOCABULARY, progress=done.append
        )
        await uow.commit()
    assert done == [2] and result.created == 2
    extra = TrackRecordInput("武江堤防工程", "韶关市水务局", Decimal("560000.00"), date(2025, 3, 1), "water")
    again = replace(_record(1), track_records=(*_record(1).track_records, extra))
    async with database.unit_of_work() as uow:
        result = await upsert_firms(uow, ADMIN, [again], now=NOW, vocabulary=VOCABULARY)
        await uow.commit()
    assert (result.updated, result.created) == (1, 0)
    assert await _count(database, TrackRecord) == 3


async def test_upsert_adopts_an_organisation_of_the_right_kind_that_has_no_firm_yet(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        org = Organisation(kind=OrganisationKind.CONTRACTOR, name="旧名称", uscc=uscc(5))
        uow.session.add(org)
        await uow.session.flush()
        result = await upsert_firms(uow, ADMIN, [_record(5)], now=NOW, vocabulary=VOCABULARY)
        await uow.commit()
    assert result.created == 1 and result.firm_ids[uscc(5)] == org.id
    async with database.sessions() as session:
        firm = await session.get(Firm, org.id)
    assert firm is not None and firm.organisation.name == "韶关市第5建设工程有限公司"


async def test_upsert_refuses_conflicts_and_duplicates_before_writing_anything(database: Database) -> None:
    async with database.unit_of_work() as uow:
        uow.session.add(Organisation(kind=OrganisationKind.INTERMEDIARY, name="某咨询公司", uscc=uscc(6)))
        await uow.commit()
    async with database.unit_of_work() as uow:
        with pytest.raises(RegistryConflicts) as caught:
            await upsert_firms(uow, ADMIN, [_record(1), _record(6)], now=NOW, vocabulary=VOCABULARY)
        assert set(caught.value.by_uscc) == {uscc(6)}
        with pytest.raises(InvalidInput, match="more than once"):
            await upsert_firms(uow, ADMIN, [_record(1), _record(1)], now=NOW, vocabulary=VOCABULARY)
    assert await _count(database, Firm) == 0


async def test_applicants_imported_wait_for_review_with_their_licences(database: Database) -> None:
    from market.registry import admission

    await _import(database, as_csv([row(1)]), status=FirmStatus.APPLIED)
    licences = await _count(database, Licence)
    assert licences and await _count(database, Licence, Licence.status == LicenceStatus.PENDING) == licences
    async with database.unit_of_work() as uow:
        firm_id = await uow.session.scalar(select(Firm.id))
        assert firm_id is not None
        firm = await admission.load_firm(uow, firm_id)
        await admission.change_status(uow, ADMIN, firm, FirmStatus.ADMITTED, reason="", now=NOW)
        await uow.commit()
    assert await _count(database, Licence, Licence.status == LicenceStatus.APPROVED) == licences


async def test_reimporting_an_applicant_keeps_its_licences_pending_and_admission_works(
    database: Database,
) -> None:
    from market.registry import admission

    await _import(database, as_csv([row(1)]), status=FirmStatus.APPLIED)
    changed = row(1, 企业名称="韶关市改名建筑工程有限公司")
    await _import(database, as_csv([changed]), status=FirmStatus.APPLIED)
    licences = await _count(database, Licence)
    assert await _count(database, Licence, Licence.status == LicenceStatus.PENDING) == licences
    async with database.unit_of_work() as uow:
        firm = await admission.load_firm(uow, int(await uow.session.scalar(select(Firm.id)) or 0))
        await admission.change_status(uow, ADMIN, firm, FirmStatus.ADMITTED, reason="", now=NOW)
        await uow.commit()
    assert await _count(database, Licence, Licence.status == LicenceStatus.APPROVED) == licences


async def test_reimport_does_not_bring_back_a_licence_the_firm_withdrew(database: Database) -> None:
    from market.models import Role
    from market.principal import Principal
    from market.registry import licences as registry_licences
    from tests.registry_data import licences_seen

    report = await _import(database, as_csv([row(1)]))
    firm_id = report.firm_ids[uscc(1)]
    firm_user = Principal(1, "firm", "企业", frozenset({Role.CONTRACTOR}), firm_id)
    async with database.unit_of_work() as uow:
        first = (await licences_seen(uow, firm_id))[0]
        await registry_licences.withdraw_licence(uow, ADMIN, firm_user, firm_id, first.id)
        await uow.commit()
    approved = await _count(database, Licence, Licence.status == LicenceStatus.APPROVED)
    again = await _import(database, as_csv([row(1)]))
    assert await _count(database, Licence, Licence.status == LicenceStatus.APPROVED) == approved
    assert again.unchanged == 1


async def test_reimport_keeps_the_organisation_telephone_with_the_firms(database: Database) -> None:
    report = await _import(database, as_csv([row(1)]))
    await _import(database, as_csv([row(1, 联系电话="0751-6666666")]))
    async with database.sessions() as session:
        org = await session.get(Organisation, report.firm_ids[uscc(1)])
        firm = await session.get(Firm, report.firm_ids[uscc(1)])
    assert org is not None and firm is not None
    assert org.contact_phone == firm.contact_phone == "0751-6666666"


async def test_xlsx_with_a_wrong_declared_size_loses_no_row(database: Database) -> None:
    import re
    import zipfile

    book = Workbook()
    sheet = book.active
    rows = [row(n) for n in range(1, 6)]
    sheet.append(list(rows[0]))
    for values in rows:
        sheet.append(list(values.values()))
    saved = io.BytesIO()
    book.save(saved)
    # rewrite the sheet's <dimension> to claim two data rows, as some tools do
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:C3"', data)
            target.writestr(item, data)
    report = await _import(database, patched.getvalue(), filename="企业库.xlsx")
    assert (report.rows, report.created) == (5, 5)
