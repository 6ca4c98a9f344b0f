"""zh-CN/English labels the pages show for the domain's raw identifiers (kinds, fields, events)."""

from __future__ import annotations

from kefu.services import mail_desk

KIND_LABEL = {
    "complaint": "投诉 complaint",
    "dispute": "纠纷 dispute",
    "aftersales": "售后 after-sales",
    "feedback": "反馈 feedback",
}
PRIORITY_LABEL = {
    "urgent": "紧急 urgent",
    "high": "高 high",
    "normal": "普通 normal",
    "low": "低 low",
}
CHANNEL_LABEL = {
    "web": "网页 web",
    "app": "手机应用 app",
    "phone": "电话 phone",
    "chat": "在线咨询 chat",
    "email": "邮件 email",
    "api": "接口 API",
}
ROLE_LABEL = {
    "buyer": "买家 buyer",
    "seller": "商家 seller",
    "agent": "客服 agent",
    "tech_support": "技术支持 tech support",
    "supervisor": "主管 supervisor",
    "admin": "管理员 admin",
    "system": "系统 system",
}
EVENT_LABEL = {
    "filed": "提交 filed",
    "status_changed": "状态变更 status changed",
    "message": "留言 message",
    "note": "内部备注 note",
    "assigned": "指派 assigned",
    "evidence_added": "上传凭证 evidence added",
    "system": "系统 system",
    "category_changed": "更正分类 category changed",
    "clock": "时限 SLA clock",
    "auto_decision": "自动处理 automatic decision",
    "review_requested": "申请复核 review requested",
    "auto_answer": "自动回复 automatic answer",
}
# The mail failures page (pages_mail): an inbound mail's state, an outgoing mail's kind.
MAIL_STATE_LABEL = mail_desk.STATE_LABEL
MAIL_KIND_LABEL = {
    "ack": "受理回执 acknowledgement",
    "case_message": "客服回复 reply",
    "auto_answer": "自动回复 automatic answer",
}
# What an action's free-text box asks for (workflow.TEXT_PARAM names the parameter).
TEXT_PLACEHOLDER = {
    "reason": "原因 reason",
    "body": "回复内容 reply",
    "decision": "处理决定 decision",
}
SUSPEND_REASON_LABEL = {
    "self_settlement": "双方自行和解 settling between themselves",
    "court_or_police": "已诉讼、仲裁或报警 in court, arbitration or with the police",
}
# Form fields as error messages name them.
FIELD_LABEL = {
    "": "",
    "csrf": "表单 form",
    "kind": "类型 kind",
    "subject": "标题 subject",
    "description": "问题描述 description",
    "order_no": "订单号 order number",
    "line_nos": "涉及商品 items",
    "contact_phone": "手机号 mobile",
    "contact_email": "邮箱 email",
    "feedback_type": "反馈类型 feedback type",
    "prior_resolution": "是否已另行处理 handled elsewhere",
    "password": "密码 password",
    "username": "用户名 username",
    "carrier": "承运商 carrier",
    "tracking_no": "运单号 tracking no.",
    "reason": "原因 reason",
    "body": "内容 text",
    "decision": "处理决定 decision",
    "text": "内容 text",
    "action": "操作 action",
    "version": "版本 version",
    "file": "凭证文件 file",
    "caller_number": "来电号码 caller number",
    "caller_name": "来电人 caller name",
    "started_at": "通话时间 started at",
    "duration_s": "通话时长 duration",
    "direction": "方向 direction",
    "notes": "通话记录 notes",
    "cursor": "分页 page",
    "open": "仅未结 open only",
    "overdue": "已超时 overdue",
    "status": "状态 status",
    "category": "类别 category",
    "priority": "优先级 priority",
    "team": "团队 team",
    "assignee": "负责人 assignee",
    "session_id": "会话 chat",
    "next": "登录后前往 next page",
    "internal": "内部备注 internal",
    "on_duty": "值班 on duty",
    "shift_start": "上班时间 shift start",
    "shift_end": "下班时间 shift end",
    "working_days_only": "仅工作日 working days only",
}


def label(table: dict[str, str], raw: object) -> str:
    """The bilingual label of a raw value (enums included); unknown values show as they are."""
    key = str(getattr(raw, "value", raw) if raw is not None else "")
    return table.get(key, key)
