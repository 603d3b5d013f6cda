"""Registry benchmarks on a throw-away PostgreSQL holding 100,000 firms with 3 licences each.

- ``eligibility_full_list``: :func:`eligible_firms` for a typical small-works requirement
  (contractor, 房屋建筑和市政工程, any of 建筑工程/市政公用工程施工总承包 三级 or better,
  local firms only, credit >= 60), warm, median of several runs;
  ``eligibility_vs_scan_ratio`` divides it by fetching the same number of firm ids with a
  plain ``SELECT id FROM firm WHERE kind = …`` through the same session (the cost of just
  moving the rows).
- ``eligibility_explain_one``: :func:`explain` for one firm (random firms, median).
- ``registry_import_10k``: a 10,000-row CSV through :func:`importing.import_file`, the path
  users take; ``import_vs_copy_ratio`` divides it by a raw COPY of the same rows'
  organisations, firms and licences (rolled back) in the same run.

Set-up (generating the firms, COPY, ANALYZE) is not measured.

    python bench/registry.py
"""

from __future__ import annotations

import asyncio
import csv
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.compiler import compiles  # noqa: E402
from sqlalchemy.sql.base import Executable  # noqa: E402
from sqlalchemy.sql.elements import ClauseElement  # noqa: E402

from market import migrate  # noqa: E402
from market.audit import Actor  # noqa: E402
from market.clock import local  # noqa: E402
from market.db import Database  # noqa: E402
from market.embedded_pg import EmbeddedPostgres  # noqa: E402
from market.models import FirmStatus, LicenceStatus, Registry  # noqa: E402
from market.registry import eligibility, importing  # noqa: E402
from market.registry.demo_pool import demo_firms, pool_uscc  # noqa: E402
from market.registry.records import FirmInput  # noqa: E402
from market.registry.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

FIRMS = 100_000
CONTRACTOR_SHARE = 0.7
IMPORT_ROWS = 10_000
RUNS = 7
EXPLAIN_RUNS = 60
NOW = datetime.now(UTC).replace(microsecond=0)


def figure(name: str, value: float, unit: str, goal: str) -> None:
    print(f"figure {name} = {value:.2f} {unit} ({goal})", flush=True)


# -- set-up: 100,000 firms, COPY ------------------------------------------------------------
def pool_rows(vocabulary: Vocabulary, today: date) -> tuple[list[tuple[Any, ...]], ...]:
    """Organisation, firm and licence rows for FIRMS firms: a cheaper cousin of demo_firms
    (no firm_input, no names worth reading) with the same shape of data: 90 % local, most
    admitted, credit around 80, three licences each (two approved, the third approved,
    pending or superseded), 5 % of them expired."""
    rng = random.Random(20260101)
    divisions = [d.code for d in vocabulary.region.divisions]
    kinds = {
        Registry.CONTRACTOR: [t.code for t in vocabulary.work_fields.terms],
        Registry.INTERMEDIARY: [t.code for t in vocabulary.service_types.terms],
    }
    types_for = {
        (kind, code): [
            t for t in vocabulary.licence_types.values() if t.registry is kind and code in t.covers
        ]
        for kind, codes in kinds.items()
        for code in codes
    }
    statuses = [FirmStatus.ADMITTED] * 90 + [FirmStatus.SUSPENDED] * 3 + [FirmStatus.APPLIED] * 3
    statuses += [FirmStatus.REMOVED] * 2 + [FirmStatus.REJECTED, FirmStatus.RETURNED]
    field_weights = [50, 20, 15, 15]
    orgs, firms, licences = [], [], []
    licence_id = 0
    for firm_id in range(1, FIRMS + 1):
        kind = Registry.CONTRACTOR if rng.random() < CONTRACTOR_SHARE else Registry.INTERMEDIARY
        division = rng.choice(divisions) if rng.random() < 0.9 else None
        if kind is Registry.CONTRACTOR:
            fields = list(
                dict.fromkeys(rng.choices(kinds[kind], weights=field_weights, k=rng.choice((1, 1, 2))))
            )
        else:
            fields = list(dict.fromkeys(rng.choices(kinds[kind], k=rng.choice((1, 1, 2)))))
        uscc = pool_uscc("91", division or "440106", f"K{firm_id:07d}")
        orgs.append(
            (firm_id, kind.value, f"韶关市测试{firm_id}号工程有限公司", uscc, "韶关市武江区沐溪大道1号", "")
        )
        status = rng.choice(statuses)
        until = None
        if status is FirmStatus.SUSPENDED and rng.random() < 0.5:
            until = NOW + timedelta(days=rng.choice((-30, 30)))
        score = Decimal(min(100.0, max(0.0, rng.gauss(80, 8)))).quantize(Decimal("0.01"))
        firms.append(
            (
                firm_id,
                kind.value,
                "张三",
                division,
                fields if kind is Registry.CONTRACTOR else [],
                fields if kind is Registry.INTERMEDIARY else [],
                rng.randint(0, 60),
                [],
                status.value,
                until,
                NOW if status in (FirmStatus.ADMITTED, FirmStatus.SUSPENDED) else None,
                score,
            )
        )
        candidates = [t for f in fields for t in types_for[(kind, f)]]
        if kind is Registry.CONTRACTOR:
            candidates.append(vocabulary.licence_types["safety_permit"])
        candidates = list(dict.fromkeys(candidates))
        rng.shuffle(candidates)
        held = candidates[:2]
        third = rng.random()
        for index in range(3):
            if index < len(held):
                licence_type, status_of = held[index], LicenceStatus.APPROVED
            elif len(candidates) > 2 and third < 0.6:
                licence_type, status_of = candidates[2], LicenceStatus.APPROVED
            else:  # an older certificate, or a renewal waiting for review
                licence_type = held[0]
                status_of = LicenceStatus.SUPERSEDED if third < 0.85 else LicenceStatus.PENDING
            grades = licence_type.grades
            grade = rng.choices(grades, weights=[1, 3, 10, 25, 12][: len(grades)][::-1])[0] if grades else ""
            draw = rng.random()
            valid_until = today + timedelta(
                days=rng.randint(-400, -1) if draw < 0.05 else rng.randint(0, 1800)
            )
            if status_of is LicenceStatus.SUPERSEDED:
                valid_until = today - timedelta(days=rng.randint(1, 900))
            licence_id += 1
            licences.append(
                (
                    licence_id,
                    firm_id,
                    licence_type.code,
                    grade,
                    f"B{licence_id:09d}",
                    "广东省住房和城乡建设厅",
                    valid_until - timedelta(days=5 * 365),
                    valid_until,
                    status_of.value,
                )
            )
    return orgs, firms, licences


ORG_COLUMNS = ["id", "kind", "name", "uscc", "address", "contact_phone"]
FIRM_COLUMNS = [
    "id",
    "kind",
    "legal_representative",
    "division_code",
    "work_fields",
    "service_types",
    "practitioners",
    "service_area",
    "status",
    "suspended_until",
    "admitted_at",
    "credit_score",
]
LICENCE_COLUMNS = [
    "id",
    "firm_id",
    "licence_type",
    "grade",
    "number",
    "issuer",
    "issued_on",
    "valid_until",
    "status",
]


async def load_pool(dsn: str, vocabulary: Vocabulary) -> None:
    orgs, firms, licences = pool_rows(vocabulary, local(NOW).date())
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("organisation", records=orgs, columns=ORG_COLUMNS)
            await conn.copy_records_to_table("firm", records=firms, columns=FIRM_COLUMNS)
            await conn.copy_records_to_table("licence", records=licences, columns=LICENCE_COLUMNS)
            for table in ("organisation", "licence"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# -- measuring --------------------------------------------------------------------------------
async def median_ms(action: Callable[[], Awaitable[Any]], runs: int = RUNS, warm: int = 2) -> float:
    for _ in range(warm):
        await action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


REQUIREMENTS = eligibility.requirements_from(
    load_vocabulary(),
    {
        "kind": "contractor",
        "work_field": "housing_municipal",
        "licences": ["building_gc", "municipal_gc"],
        "min_grade": "三级",
        "licence_rule": "any",
        "local_only": True,
        "min_credit": 60,
    },
)


class Explain(Executable, ClauseElement):
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a statement, its parameters bound as usual."""

    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS) " + compiler.process(element.statement, **kw)


async def explain_analyze(database: Database, vocabulary: Vocabulary) -> list[str]:
    """EXPLAIN ANALYZE of the eligibility query, for the report when it misses its goal."""
    async with database.unit_of_work() as uow:
        rows = await uow.session.execute(
            Explain(eligibility.eligibility_query(vocabulary, REQUIREMENTS, NOW))
        )
        return [row[0] for row in rows]


async def measure_eligibility(database: Database, vocabulary: Vocabulary) -> None:
    found: eligibility.EligiblePool = eligibility.EligiblePool([], [], [])

    async def full_list() -> None:
        nonlocal found
        async with database.unit_of_work() as uow:
            found = await eligibility.eligible_firms(uow, vocabulary, REQUIREMENTS, NOW)

    full_ms = await median_ms(full_list)
    count = len(found)

    async def scan() -> None:
        async with database.unit_of_work() as uow:
            rows = await uow.session.execute(
                text("SELECT id FROM firm WHERE kind = :kind ORDER BY id LIMIT :n"),
                {"kind": Registry.CONTRACTOR.value, "n": count},
            )
            ids = [row[0] for row in rows]
            assert len(ids) == count

    scan_ms = await median_ms(scan)
    rng = random.Random(7)
    sample = [rng.randint(1, FIRMS) for _ in range(EXPLAIN_RUNS)]
    eligible_ids = {f.firm_id for f in found}
    agree = 0
    times = []
    for firm_id in sample:
        async with database.unit_of_work() as uow:  # warm-up, and the answer to check
            answer = await eligibility.explain(uow, vocabulary, REQUIREMENTS, firm_id, NOW)
        agree += answer.eligible == (firm_id in eligible_ids)
        start = time.perf_counter()
        async with database.unit_of_work() as uow:
            await eligibility.explain(uow, vocabulary, REQUIREMENTS, firm_id, NOW)
        times.append(time.perf_counter() - start)
    explain_ms = statistics.median(times) * 1000

    print(f"# {count} of {FIRMS} firms eligible ({int(FIRMS * CONTRACTOR_SHARE)} contractors)")
    figure("eligibility_full_list", full_ms, "ms", "goal <= 100")
    figure("eligibility_scan_baseline", scan_ms, "ms", f"baseline: SELECT id of {count} firms")
    figure("eligibility_vs_scan_ratio", full_ms / scan_ms, "x", "lower is better")
    figure("eligibility_explain_one", explain_ms, "ms", "goal <= 5")
    figure("eligibility_explain_agrees", agree / len(sample), "share", "goal = 1")
    if full_ms > 100:
        for line in await explain_analyze(database, vocabulary):
            print(f"#   {line}")


# -- the import -------------------------------------------------------------------------------
def import_records(vocabulary: Vocabulary) -> list[FirmInput]:
    contractors = int(IMPORT_ROWS * CONTRACTOR_SHARE)
    return demo_firms(
        vocabulary,
        today=local(NOW).date(),
        contractors=contractors,
        intermediaries=IMPORT_ROWS - contractors,
        seed=99,
    )


def write_csv(path: Path, vocabulary: Vocabulary, records: Sequence[FirmInput]) -> None:
    """The records as a user's import sheet: Chinese headers and names, as in the template."""
    width = max(len(r.licences) for r in records)
    parts = ["类别", "等级", "证书编号", "发证机关", "发证日期", "有效期至"]
    headers = [
        "库别",
        "统一社会信用代码",
        "企业名称",
        "法定代表人",
        "注册地址",
        "注册地",
        "联系人",
        "联系电话",
        "电子邮箱",
        "企业简介",
        "工程领域",
        "服务类型",
        "执业人员数",
        "服务区域",
    ]
    headers += [f"资质{n}{part}" for n in range(1, width + 1) for part in parts]
    registry_name = {Registry.CONTRACTOR: "小额工程企业库", Registry.INTERMEDIARY: "中介机构库"}
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for r in records:
            row = [
                registry_name[r.kind],
                r.uscc,
                r.name,
                r.legal_representative,
                r.address,
                vocabulary.divisions.name(r.division_code) if r.division_code else "",
                r.contact_name,
                r.contact_phone,
                r.contact_email,
                r.introduction,
                "、".join(vocabulary.work_fields.name(c) for c in r.work_fields),
                "、".join(vocabulary.service_types.name(c) for c in r.service_types),
                str(r.practitioners),
                "、".join(vocabulary.divisions.name(c) for c in r.service_area),
            ]
            for lic in r.licences:
                row += [
                    vocabulary.licence_types[lic.licence_type].name,
                    lic.grade,
                    lic.number,
                    lic.issuer,
                    lic.issued_on.isoformat() if lic.issued_on else "",
                    lic.valid_until.isoformat(),
                ]
            row += [""] * (len(headers) - len(row))
            writer.writerow(row)


async def raw_copy(dsn: str, records: Sequence[FirmInput]) -> float:
    """Seconds to COPY the records' organisations, firms and licences, then roll back."""
    conn = await asyncpg.connect(dsn)
    try:
        start = time.perf_counter()
        transaction = conn.transaction()
        await transaction.start()
        await conn.copy_records_to_table(
            "organisation",
            records=[(r.kind.value, r.name, r.uscc, r.address, r.contact_phone) for r in records],
            columns=["kind", "name", "uscc", "address", "contact_phone"],
        )
        ids = dict(
            await conn.fetch(
                "SELECT uscc, id FROM organisation WHERE uscc = ANY($1::text[])", [r.uscc for r in records]
            )
        )
        await conn.copy_records_to_table(
            "firm",
            records=[
                (
                    ids[r.uscc],
                    r.kind.value,
                    r.legal_representative,
                    r.division_code,
                    list(r.work_fields),
                    list(r.service_types),
                    r.practitioners,
                    list(r.service_area),
                    FirmStatus.ADMITTED.value,
                    None,
                    NOW,
                    Decimal("80.00"),
                )
                for r in records
            ],
            columns=FIRM_COLUMNS,
        )
        await conn.copy_records_to_table(
            "licence",
            records=[
                (
                    ids[r.uscc],
                    lic.licence_type,
                    lic.grade,
                    lic.number,
                    lic.issuer,
                    lic.issued_on,
                    lic.valid_until,
                    LicenceStatus.APPROVED.value,
                )
                for r in records
                for lic in r.licences
            ],
            columns=LICENCE_COLUMNS[1:],
        )
        elapsed = time.perf_counter() - start
        await transaction.rollback()
        return elapsed
    finally:
        await conn.close()


async def measure_import(database: Database, dsn: str, vocabulary: Vocabulary, folder: Path) -> None:
    records = import_records(vocabulary)
    path = folder / "registry-import-10k.csv"
    write_csv(path, vocabulary, records)
    copies = [await raw_copy(dsn, records) for _ in range(3)]
    copy_s = statistics.median(copies)
    actor = Actor.system("bench")
    start = time.perf_counter()
    report = await importing.import_file(database, path, actor=actor, now=NOW, vocabulary=vocabulary)
    import_s = time.perf_counter() - start
    assert report.created == len(records), report
    start = time.perf_counter()
    again = await importing.import_file(database, path, actor=actor, now=NOW, vocabulary=vocabulary)
    reimport_s = time.perf_counter() - start
    assert again.unchanged == len(records), again
    figure("registry_import_10k", import_s, "s", "goal <= 10")
    figure("registry_copy_10k_baseline", copy_s, "s", "baseline: raw COPY of organisations, firms, licences")
    figure("import_vs_copy_ratio", import_s / copy_s, "x", "lower is better")
    figure("registry_reimport_10k_unchanged", reimport_s, "s", "info: the same file again")


async def measure(url: str, dsn: str, folder: Path) -> None:
    vocabulary = load_vocabulary()
    started = time.perf_counter()
    await load_pool(dsn, vocabulary)
    print(f"# set-up: {FIRMS} firms, {3 * FIRMS} licences loaded in {time.perf_counter() - started:.1f} s")
    database = Database.connect(url, pool_size=4)
    try:
        await measure_eligibility(database, vocabulary)
        await measure_import(database, dsn, vocabulary, folder)
    finally:
        await database.dispose()


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="market-bench-registry-"))
    scratch.chmod(0o755)
    server = EmbeddedPostgres(scratch / "pg")  # durable (fsync on), like production
    try:
        url = server.start()
        migrate.upgrade(url)
        asyncio.run(measure(url, url.replace("postgresql+asyncpg://", "postgresql://", 1), scratch))
    finally:
        server.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
