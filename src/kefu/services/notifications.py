"""Who hears about what: event -> audiences and text, as data; a pure mapping to outbox rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kefu.domain.case import Case
from kefu.domain.events import CaseEvent, StatusChanged
from kefu.domain.types import Channel, Visibility
from kefu.domain.workflow import STATUS_ZH, Status

# Audiences: buyer, seller (the shop's staff), assignee, team (the case's team).
NOTIFY: dict[str, tuple[tuple[str, ...], str, str]] = {
    "filed": (("buyer", "team"), "您的{kind_zh}已提交：{number}", "Your case {number} was filed"),
    "status_changed": (
        ("buyer", "seller", "assignee"),
        "案件 {number} 状态更新：{status_zh}",
        "Case {number} is now {status}",
    ),
    "message": (
        ("buyer", "seller", "assignee"),
        "案件 {number} 有新消息",
        "New message on case {number}",
    ),
    "evidence_added": (
        ("buyer", "seller", "assignee"),
        "案件 {number} 有新证据",
        "New evidence on case {number}",
    ),
    "assigned": (("assignee",), "案件 {number} 已分配给您", "Case {number} was assigned to you"),
}

# Email-channel cases also mail the buyer (issue 3): the relay hands these rows to the mailer.
MAIL_TOPIC = "mail_out"

_KIND_ZH = {"feedback": "反馈", "complaint": "投诉", "dispute": "纠纷", "aftersales": "售后申请"}


def outbox_rows_for(case: Case, events: Iterable[CaseEvent]) -> list[tuple[str, dict[str, Any]]]:
    """One outbox row per notifiable public event; internal notes notify nobody outside."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for event in events:
        spec = NOTIFY.get(event.kind)
        if spec is None or (event.visibility is Visibility.INTERNAL and event.kind != "assigned"):
            continue
        audiences, title_zh, title_en = spec
        status = event.to_status if isinstance(event, StatusChanged) else case.status.value
        ctx = {
            "number": case.number,
            "status": status,
            "status_zh": STATUS_ZH[Status(status)],
            "kind_zh": _KIND_ZH.get(case.kind.value, "案件"),
        }
        rows.append(
            (
                event.kind,
                {
                    "event": event.kind,
                    "case_number": case.number,
                    "actor_id": event.actor_id,
                    "audiences": list(audiences),
                    "buyer_id": case.buyer_id,
                    "shop_id": case.shop_id,
                    "assignee_id": case.assignee_id,
                    "team_id": case.team_id,
                    "title": f"{title_zh.format(**ctx)} / {title_en.format(**ctx)}",
                    "body": event.body[:500],
                },
            )
        )
        mail = _mail_row(case, event)
        if mail is not None:
            rows.append(mail)
    return rows


def _mail_row(case: Case, event: CaseEvent) -> tuple[str, dict[str, Any]] | None:
    """An acknowledgement for a mailed-in case, and every public reply by someone not the buyer."""
    if case.channel is not Channel.EMAIL or event.visibility is not Visibility.PUBLIC:
        return None
    if event.kind == "filed":
        kind = "ack"
    elif event.kind == "message" and event.actor_id != case.buyer_id:
        kind = "case_message"
    else:
        return None
    payload = {"kind": kind, "case_number": case.number, "actor_id": event.actor_id}
    return MAIL_TOPIC, {**payload, "body": event.body if kind == "case_message" else ""}
