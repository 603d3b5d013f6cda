"""What each audit action is called on the supervisors' pages (审计操作名称). An action the
table does not name is shown by its code, which the pages print beside the name anyway."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

ACTION_LABELS: Mapping[str, str] = {
    # procurements
    "procurement:created": "创建草稿",
    "procurement:updated": "修改草稿",
    "procurement:reference_reserved": "取得项目编号",
    "procurement:attachment_added": "上传附件",
    "procurement:attachment_removed": "删除附件",
    "procurement:published": "发布公告",
    "procurement:amended": "变更公告",
    "procurement:republished": "重新发布",
    "procurement:cancelled": "终止",
    "procurement:bidding_closed": "报价截止",
    "procurement:opened": "开标",
    "procurement:frozen": "冻结选取输入",
    "procurement:selected": "选取完成",
    "procurement:failed": "流标",
    "procurement:offered": "通知中选承包商确认",
    "procurement:confirmed": "承包商确认中选",
    "procurement:voided": "取消中选资格",
    "procurement:reassigned": "递补中选",
    "procurement:awarded": "定标",
    "procurement:contracted": "合同确认",
    "procurement:delivered": "提交成果",
    "procurement:returned": "退回成果",
    "procurement:accepted": "验收通过",
    "procurement:evaluated": "履约评价",
    # bids
    "bid:submitted": "提交报价",
    "bid:replaced": "修改报价",
    "bid:withdrawn": "撤回报价",
    "bid:reconfirmed": "重新确认报价",
    "bid:early_read_refused": "开标前查看报价被拒",
    # the draw
    "draw:committed": "提交承诺值",
    "draw:revealed": "揭示秘密值",
    "draw:beacon_entered": "录入外部随机源",
    "draw:redraw_opened": "开启重新选取",
    "review:reviewers_named": "指定评审人",
    "review:scored": "评审打分",
    "review:submitted": "提交评审",
    "review:closed": "评审结束",
    "direct_request:made": "申请直接选取",
    "direct_request:approved": "批准直接选取",
    "direct_request:rejected": "驳回直接选取",
    # after the selection
    "award:opened": "成交结果公示",
    "award:voided": "中选作废",
    "award:replaced": "中选由递补替代",
    "award:contract_missed": "逾期未签合同",
    "objection:lodged": "提出质疑",
    "objection:answered": "答复质疑",
    "objection:complained": "提起投诉",
    "objection:decided": "投诉处理决定",
    "contract:drafted": "起草合同",
    "contract:confirmed": "确认合同",
    "case_file:stored": "归档材料",
    "evaluation:objected": "对评价提出异议",
    "evaluation:objection_upheld": "评价异议成立",
    "evaluation:objection_dismissed": "评价异议驳回",
    "limit:overdue": "逾期",
    # documents
    "document:issued": "签发文件",
    "document:superseded": "文件被替代",
    "document:revoked": "撤销文件",
    "template:uploaded": "上传模板",
    # registries
    "firm:applied": "申请入库",
    "firm:resubmitted": "重新提交入库申请",
    "firm:admitted": "准予入库",
    "firm:rejected": "不予入库",
    "firm:returned": "退回补正",
    "firm:changed": "变更企业信息",
    "firm:suspended": "暂停",
    "firm:reinstated": "恢复",
    "firm:removed": "清退",
    "firm:imported": "批量导入",
    "firm:reimported": "批量导入更新",
    "licence:submitted": "提交资质",
    "licence:approved": "资质通过",
    "licence:rejected": "资质不通过",
    "licence:withdrawn": "撤回资质",
    "track_record:added": "添加业绩",
    "track_record:removed": "删除业绩",
    "misconduct:recorded": "记录不良行为",
    "credit:changed": "信用分变化",
    "registry:imported": "名录导入",
    # accounts and the platform
    "organisation:created": "创建单位",
    "organisation:changed": "变更单位信息",
    "user:created": "创建账号",
    "user:changed": "变更账号",
    "role:granted": "授予角色",
    "role:revoked": "撤销角色",
    "session:opened": "登录",
    "session:closed": "退出",
    "login:refused": "登录失败",
    "login:throttled": "登录受限",
    "calendar:imported": "导入工作日历",
    "platform:clock_anchored": "设定沙盒时间",
    "screen:run": "运行围串标筛查",
    "screen:reviewed": "复核筛查提示",
    "supervision:refused": "拒绝非监管人员查看",
}


def action_label(action: str) -> str:
    """The Chinese name of ``action``, or the code itself when it has none."""
    return ACTION_LABELS.get(action, action)


def payload_text(payload: Mapping[str, Any]) -> str:
    """An entry's payload as a supervisor reads it: indented JSON with its Chinese as text
    (not ``\\u`` escapes), keys in order."""
    return json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True)
