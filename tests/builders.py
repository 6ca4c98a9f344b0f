"""Plain builder functions for test data with sane defaults."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from kefu.bootstrap import App
from kefu.domain.orders import parse_order
from kefu.domain.types import SYSTEM_ACTOR, Actor, CaseKind, Channel
from kefu.services import cases as case_svc
from kefu.services import orders as order_svc
from kefu.services import users as user_svc

PASSWORD = "correct-horse-42"


def an_order(
    order_no: str = "DD0001", *, shop: str = "shop-a", buyer: str = "buyer1", **overrides: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "order_no": order_no,
        "shop_code": shop,
        "buyer_ref": buyer,
        "buyer_name": "刘洋",
        "buyer_phone": "13812345678",
        "buyer_address": "北京市朝阳区建国路 88 号 1201",
        "paid_at": "2026-11-10T10:00:00+08:00",
        "shipped_at": "2026-11-11T09:00:00+08:00",
        "signed_at": "2026-11-13T15:30:00+08:00",
        "carrier": "顺丰速运",
        "tracking_no": "SF1",
        "lines": [
            {
                "line_no": 1,
                "sku": "A-1",
                "title": "无线蓝牙耳机",
                "quantity": 1,
                "unit_price_fen": 39900,
                "paid_fen": 37900,
                "paid_cash_fen": 36900,
                "paid_points_fen": 0,
                "paid_coupon_fen": 1000,
                "flags": ["durable"],
            }
        ],
    }
    order.update(overrides)
    return order


def a_user(
    app: App, username: str, *roles: str, shop: str | None = None, teams: list[str] | None = None
) -> Actor:
    if "agent" in roles or "tech_support" in roles:
        teams = teams if teams is not None else ["cs"]
    rec = user_svc.create_user(
        app.uow(),
        actor=SYSTEM_ACTOR,
        username=username,
        password=PASSWORD,
        roles=list(roles),
        shop_code=shop,
        team_codes=teams or [],
        now=app.clock.now(),
    )
    return rec.actor()


def a_token(app: App, username: str) -> str:
    return user_svc.issue_token(app.uow(), username=username, name="test", now=app.clock.now())


def imported(app: App, *orders: dict[str, Any]) -> None:
    parsed = [(o["order_no"], parse_order(o)) for o in orders]
    order_svc.import_orders(app.uow(), actor=SYSTEM_ACTOR, orders=parsed, now=app.clock.now())


# Distinct problems: screening rejects a buyer's repeat of the same text on the same order as a
# duplicate, so tests filing several complaints draw their descriptions from this list in turn.
COMPLAINT_TEXTS = (
    "11月13日签收，使用两天后右耳完全没有声音，重新配对也不行。",
    "收到的衬衫袖口有一处明显的破洞，包装袋也是被拆开过的。",
    "快递显示已签收但我本人没有收到包裹，小区门卫也说没有见过。",
    "下单时页面写的是纯棉材质，收到后标签写着百分之六十涤纶。",
    "客服答应三天内给我补发配件，到现在一个星期了还没有消息。",
    "申请退货后商家一直不给退货地址，打电话也没人接。",
    "买了两件只发来一件，另一件的订单状态却显示已经发货。",
    "保温杯用了一周就不保温了，倒进去的热水半小时就凉了。",
)
_complaints_filed = itertools.count()


def a_complaint(
    app: App, buyer: Actor, order_no: str = "DD0001", **overrides: Any
) -> case_svc.Case:
    text = COMPLAINT_TEXTS[next(_complaints_filed) % len(COMPLAINT_TEXTS)]
    data = case_svc.FileCaseInput(
        **{
            "kind": CaseKind.COMPLAINT,
            "channel": Channel.WEB,
            "subject": "耳机右耳没有声音",
            "description": text,
            "order_no": order_no,
            "line_nos": (1,),
            "contact_phone": "13812345678",
            **overrides,
        }
    )
    return case_svc.file_case(
        app.uow(), actor=buyer, data=data, now=app.clock.now(), policy=app.policy
    ).case


def later(app: App, **delta: float) -> None:
    app.clock.advance(timedelta(**delta))  # type: ignore[attr-defined]
