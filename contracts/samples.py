"""Sample documents: realistic (fictitious) data used to check templates, in tests and in
bench/documents.py. The companies and codes are invented; the codes have valid check
characters."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from contracts.model import (
    DisputeResolution,
    Document,
    DocumentKind,
    Party,
    PaymentStage,
    Procurement,
    ProcurementKind,
    ResultNotice,
    SelectionMethod,
    SelectionNotice,
    SelectionSummary,
    ServiceContract,
    Term,
    WorksContract,
)

_CST = timezone(timedelta(hours=8))

OWNER = Party(
    name="韶关市浈江区住房和城乡建设管理局", uscc="11440200MB2C12340D",
    address="广东省韶关市浈江区解放路128号", representative="李建国",
    contact="陈晓梅", phone="0751-8881234")
INTERMEDIARY = Party(
    name="广东韶瑞工程造价咨询有限公司", uscc="91440200MA4UR12302",
    address="广东省韶关市武江区工业西路56号创业大厦8楼", representative="黄志强",
    contact="刘婷", phone="13800751234", bank_name="中国工商银行韶关分行",
    bank_account="2005020109200123456")
CONTRACTOR = Party(
    name="韶关市丹霞建筑工程有限公司", uscc="91440203MA55K9870C",
    address="广东省韶关市曲江区马坝镇建设路18号", representative="钟伟明",
    contact="邓国华", phone="13902751888", bank_name="中国建设银行韶关曲江支行",
    bank_account="44050170820100001234")

SERVICE_PROCUREMENT = Procurement(
    reference="SGZJ-2026-0315", title="浈江区老旧小区改造项目工程造价咨询服务",
    kind=ProcurementKind.INTERMEDIARY_SERVICE, category="造价咨询", location="韶关市浈江区")
WORKS_PROCUREMENT = Procurement(
    reference="SGXE-2026-0042", title="曲江区马坝镇农村道路硬底化及排水改造工程",
    kind=ProcurementKind.SMALL_WORKS, category="交通公路", location="韶关市曲江区马坝镇")

SELECTION = SelectionSummary(
    method=SelectionMethod.RANDOM_DRAW,
    selected_at=datetime(2026, 3, 5, 10, 30, tzinfo=_CST), candidates=12,
    record_reference="DRAW-2026-0315-01", remarks="抽取过程全程录像，抽取记录已公开，可复核。")

_SCOPE_SERVICE = (
    "1．编制项目施工图预算，审核工程量清单及招标控制价；\n"
    "2．施工阶段进行全过程造价控制，审核工程进度款、设计变更及现场签证；\n"
    "3．编制竣工结算审核报告，配合甲方完成财政评审和审计工作；\n"
    "4．按甲方要求提供与本项目造价有关的其他咨询意见。")
_SCOPE_WORKS = (
    "1．村道路面硬底化约2.6公里，路面宽4.5米，采用C30水泥混凝土路面；\n"
    "2．新建及改造排水边沟约3.1公里，更换涵管12处；\n"
    "3．道路交通安全设施及标志标线；\n"
    "4．施工图纸及工程量清单所列的其他全部工作内容。")


def sample_document(kind: DocumentKind) -> Document:
    """A complete, valid document of ``kind`` with invented data."""
    kind = DocumentKind(kind)
    if kind is DocumentKind.SELECTION_NOTICE:
        return SelectionNotice(
            document_number="韶公资交〔2026〕中选第0315号", procurement=SERVICE_PROCUREMENT,
            owner=OWNER, winner=INTERMEDIARY, amount=Decimal("123456.78"),
            selection=SELECTION, issued_on=date(2026, 3, 6),
            contract_deadline=date(2026, 4, 3))
    if kind is DocumentKind.RESULT_NOTICE:
        return ResultNotice(
            document_number="韶公资交〔2026〕公示第0315号", procurement=SERVICE_PROCUREMENT,
            owner=OWNER, winner=INTERMEDIARY, amount=Decimal("123456.78"),
            selection=SELECTION, issued_on=date(2026, 3, 6),
            publicity_start=date(2026, 3, 6), publicity_end=date(2026, 3, 10),
            objection_contact="韶关市公共资源交易中心，电话 0751-8887654",
            participants=("广东韶瑞工程造价咨询有限公司", "韶关市正衡工程咨询有限公司",
                          "广东粤北建设项目管理有限公司"))
    if kind is DocumentKind.SERVICE_CONTRACT:
        return ServiceContract(
            document_number="韶公资交〔2026〕中介合同第0315号",
            procurement=SERVICE_PROCUREMENT, client=OWNER, provider=INTERMEDIARY,
            amount=Decimal("123456.78"),
            term=Term(date(2026, 4, 1), date(2026, 12, 31)), scope=_SCOPE_SERVICE,
            payments=(PaymentStage("合同签订后十个工作日内", Decimal("30")),
                      PaymentStage("施工图预算审核报告经甲方确认后", Decimal("40")),
                      PaymentStage("竣工结算审核报告经财政评审通过后", Decimal("30"))),
            issued_on=date(2026, 3, 20),
            deliverables="施工图预算审核报告、进度款审核意见、竣工结算审核报告（纸质一式五份及电子版）。",
            quality_requirements="成果文件符合国家及广东省现行计价规范，结算审核误差率不超过±3%。",
            dispute_resolution=DisputeResolution.LITIGATION)
    return WorksContract(
        document_number="韶公资交〔2026〕小额工程合同第0042号",
        procurement=WORKS_PROCUREMENT, employer=OWNER, contractor=CONTRACTOR,
        amount=Decimal("2386500.00"), term=Term(date(2026, 4, 10), date(2026, 8, 7)),
        scope=_SCOPE_WORKS, site="韶关市曲江区马坝镇石堡村、龙岗村",
        project_manager="邓国华（二级建造师 粤244060812345）",
        payments=(PaymentStage("合同签订且承包人进场后，支付预付款", Decimal("20")),
                  PaymentStage("按月支付已完工程量价款的百分之八十（含预付款扣回）", Decimal("50")),
                  PaymentStage("竣工验收合格并完成结算审核后", Decimal("27")),
                  PaymentStage("缺陷责任期满后退还质量保证金", Decimal("3"))),
        issued_on=date(2026, 3, 25), quality_standard="合格",
        warranty_months=24, retention_percent=Decimal("3"),
        dispute_resolution=DisputeResolution.ARBITRATION)
