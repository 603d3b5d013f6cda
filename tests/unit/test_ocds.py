"""OCDS releases built from facts validate against the official 1.1.5 schema; the compiled
release merges them in order; bidders appear only from the opening's release on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from market.opendata import ocds
from tests.ocds_schema import problems

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
OCID = "ocds-sg0000-SGZJ-2026-0001"
BUYER = ocds.Party.of("韶关市武江区住房和城乡建设局", "11440203007063981A", "SG-ORG-5", "韶关市武江区")
FIRMS = [ocds.Party.of(f"广东测试工程造价咨询有限公司{n}", None, f"SG-FIRM-{n}") for n in range(3)]


def _tender(status: str, **changes: object) -> ocds.TenderFacts:
    base = ocds.TenderFacts(
        reference="SGZJ-2026-0001",
        title="武江区道路改造工程造价咨询",
        description="编制预算",
        kind="intermediary_service",
        method="lowest_price",
        method_name="竞价选取（最低价）",
        status=status,
        ceiling=Decimal("150000.00"),
        published_at=T0,
        bid_deadline=T0 + timedelta(days=5),
        selection_time=T0 + timedelta(days=6),
        buyer=BUYER,
    )
    return ocds.TenderFacts(**{**{f: getattr(base, f) for f in base.__slots__}, **changes})  # type: ignore[arg-type]


def _releases() -> list[dict[str, object]]:
    def made(n: int, tags: tuple[str, ...], **facts: object) -> ocds.ReleaseFacts:
        return ocds.ReleaseFacts(OCID, f"{OCID}-{n}", T0 + timedelta(days=n), tags, BUYER, **facts)  # type: ignore[arg-type]

    award = ocds.AwardFacts(7, "pending", T0 + timedelta(days=6), Decimal("120000.00"), FIRMS[1], "成交结果")
    return ocds.releases(
        [
            made(0, ("tender",), tender=_tender("published")),
            made(
                1,
                ("tenderAmendment",),
                tender=_tender("published", amendments=((2, T0 + timedelta(days=1), "延期"),)),
            ),
            made(5, ("tenderUpdate",), tender=_tender("opened", tenderers=FIRMS)),
            made(6, ("award",), tender=_tender("selected"), awards=[award]),
            made(
                9,
                ("awardUpdate",),
                awards=[ocds.AwardFacts(7, "active", T0 + timedelta(days=9), award.amount, FIRMS[1])],
            ),
            made(
                12,
                ("contract",),
                contracts=[
                    ocds.ContractFacts(
                        3, 7, "active", award.amount, T0 + timedelta(days=12), "https://x.example/c.pdf"
                    )
                ],
            ),
        ]
    )


def test_every_release_and_the_packages_validate() -> None:
    releases = _releases()
    package = ocds.package(
        releases, uri="https://x.example/ocds/releases", published=T0, publisher="韶关市公共资源交易中心"
    )
    assert problems(package) == []
    records = ocds.record_package(
        OCID, releases, uri="https://x.example/ocds/records/x", published=T0, publisher="x"
    )
    assert problems(records, records=True) == []


def test_bidders_only_from_the_opening_and_the_compiled_release_merges_in_order() -> None:
    releases = _releases()
    assert "tenderers" not in releases[0]["tender"] and "tenderers" not in releases[1]["tender"]  # type: ignore[operator]
    compiled = ocds.merge(releases)
    assert compiled["tag"] == ["compiled"] and compiled["id"] == f"{OCID}-compiled"
    assert compiled["tender"]["status"] == "complete" and compiled["tender"]["numberOfTenderers"] == 3
    assert compiled["tender"]["amendments"][0]["rationale"] == "延期"
    [award] = compiled["awards"]
    assert award["status"] == "active" and award["title"] == "成交结果"  # merged by id, later wins
    assert compiled["contracts"][0]["awardID"] == "7"
    roles = {p["id"]: set(p["roles"]) for p in compiled["parties"]}
    assert roles[BUYER.key] == {"buyer", "procuringEntity"}
    assert roles[FIRMS[1].key] == {"tenderer", "supplier"} and roles[FIRMS[0].key] == {"tenderer"}
    assert compiled["language"] == "zh"


def test_an_invalid_package_is_caught_by_the_checker() -> None:
    broken = ocds.package(_releases()[:1], uri="not a uri", published=T0, publisher="x")
    broken["releases"][0]["tag"] = ["nonsense"]
    assert problems(broken)
