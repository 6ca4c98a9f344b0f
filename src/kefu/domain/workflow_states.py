"""Case statuses and lifecycle actions with their Chinese names (the transition tables use them)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    AWAITING_SELLER = "awaiting_seller"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    PLATFORM_INTERVENTION = "platform_intervention"
    EVIDENCE = "evidence"
    INVESTIGATING = "investigating"
    DECIDED = "decided"
    EXECUTING = "executing"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    RESOLVED = "resolved"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    # after-sales returns
    AWAITING_RETURN_SHIPMENT = "awaiting_return_shipment"
    AWAITING_RETURN_RECEIPT = "awaiting_return_receipt"
    # feedback
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"


STATUS_ZH: dict[Status, str] = {
    Status.SUBMITTED: "已提交",
    Status.SCREENING: "审核中",
    Status.REJECTED: "不予受理",
    Status.ACCEPTED: "已受理",
    Status.AWAITING_SELLER: "待商家处理",
    Status.NEGOTIATING: "协商中",
    Status.AGREED: "已达成一致",
    Status.PLATFORM_INTERVENTION: "平台介入",
    Status.EVIDENCE: "举证期",
    Status.INVESTIGATING: "调查核实",
    Status.DECIDED: "已判定",
    Status.EXECUTING: "执行中",
    Status.AWAITING_CONFIRMATION: "待确认",
    Status.RESOLVED: "已解决",
    Status.CLOSED: "已关闭",
    Status.SUSPENDED: "已中止",
    Status.AWAITING_RETURN_SHIPMENT: "待买家退货",
    Status.AWAITING_RETURN_RECEIPT: "待商家收货",
    Status.TRIAGED: "已分类",
    Status.IN_PROGRESS: "处理中",
    Status.REPLIED: "已答复",
}

# Terminal for queue purposes: nothing is expected of anyone until a reopen.
CLOSED_STATUSES = frozenset({Status.REJECTED, Status.RESOLVED, Status.CLOSED})


class Action(StrEnum):
    START_SCREENING = "start_screening"
    ACCEPT = "accept"
    REJECT = "reject"
    FORWARD_TO_SELLER = "forward_to_seller"
    SELLER_RESPOND = "seller_respond"
    AGREE = "agree"
    REQUEST_INTERVENTION = "request_intervention"
    INTERVENE = "intervene"
    OPEN_EVIDENCE = "open_evidence"
    CLOSE_EVIDENCE = "close_evidence"
    DECIDE = "decide"
    EXECUTE = "execute"
    COMPLETE_EXECUTION = "complete_execution"
    CONFIRM = "confirm"
    DISPUTE_RESULT = "dispute_result"
    CLOSE = "close"
    REOPEN = "reopen"
    SUSPEND = "suspend"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    AUTO_APPROVE = "auto_approve"  # the system, when the seller let a request time out
    # after-sales returns
    APPROVE_RETURN = "approve_return"
    SHIP_RETURN = "ship_return"
    CONFIRM_RECEIPT = "confirm_receipt"
    CLOSE_REQUEST = "close_request"  # the system, when the buyer did not ship the return
    # feedback
    TRIAGE = "triage"
    START_WORK = "start_work"
    REPLY = "reply"


# Actions that end a request without anything being decided: the buyer withdrew it, or it was
# closed because the goods never came back (rule 30). Nothing was handled, so the same request
# filed again is a new case, not a repeat of "an open or already handled case" (seed 001), and
# the resolution clock is not met by them.
UNDECIDED_ENDINGS = frozenset({Action.WITHDRAW, Action.CLOSE_REQUEST})

ACTION_ZH: dict[Action, str] = {
    Action.START_SCREENING: "开始审核",
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.FORWARD_TO_SELLER: "转商家处理",
    Action.SELLER_RESPOND: "商家答复",
    Action.AGREE: "同意方案",
    Action.REQUEST_INTERVENTION: "申请平台介入",
    Action.INTERVENE: "平台主动介入",
    Action.OPEN_EVIDENCE: "开启举证",
    Action.CLOSE_EVIDENCE: "结束举证",
    Action.DECIDE: "作出判定",
    Action.EXECUTE: "开始执行",
    Action.COMPLETE_EXECUTION: "执行完毕",
    Action.CONFIRM: "确认解决",
    Action.DISPUTE_RESULT: "对结果有异议",
    Action.CLOSE: "关闭",
    Action.REOPEN: "重新打开",
    Action.SUSPEND: "中止",
    Action.RESUME: "恢复处理",
    Action.WITHDRAW: "撤回",
    Action.AUTO_APPROVE: "超时自动同意",
    Action.APPROVE_RETURN: "同意退货",
    Action.SHIP_RETURN: "寄回商品",
    Action.CONFIRM_RECEIPT: "确认收到退货",
    Action.CLOSE_REQUEST: "超时关闭申请",
    Action.TRIAGE: "分类",
    Action.START_WORK: "开始处理",
    Action.REPLY: "答复",
}
