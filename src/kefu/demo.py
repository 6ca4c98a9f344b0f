"""Demo data: shops, people, orders and cases in every lifecycle state, driven through services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from kefu.bootstrap import App
from kefu.domain.orders import parse_order
from kefu.domain.types import SYSTEM_ACTOR, Actor, CaseKind, Channel, FeedbackType
from kefu.domain.workflow import Action, Status, text_param
from kefu.services import cases as case_svc
from kefu.services import messages as message_svc
from kefu.services import orders as order_svc
from kefu.services import screening_admin
from kefu.services import users as user_svc
from kefu.services.intake import passes_text_checks

DEMO_PASSWORD = "kefu-demo-2026"  # noqa: S105 - printed on purpose for the local demo
TEXTS = Path(__file__).parent / "demo_data" / "complaints.txt"

PEOPLE = [
    ("admin", ["admin"], None, [], "平台管理员"),
    ("supervisor", ["supervisor"], None, ["cs", "tech"], "客服主管 王敏"),
    ("agent1", ["agent"], None, ["cs"], "客服 李娜"),
    ("agent2", ["agent"], None, ["cs"], "客服 张伟"),
    ("tech1", ["tech_support"], None, ["tech"], "技术支持 陈静"),
    ("seller1", ["seller"], "shop-a", [], "优品家居旗舰店 客服"),
    ("seller2", ["seller"], "shop-b", [], "数码先锋专营店 客服"),
    ("seller3", ["seller"], "shop-c", [], "鲜果时光 客服"),
    ("buyer1", ["buyer"], None, [], "刘洋"),
    ("buyer2", ["buyer"], None, [], "赵丽"),
    ("buyer3", ["buyer"], None, [], "孙强"),
]
SHOPS = [
    (
        "shop-a",
        "优品家居旗舰店",
        "杭州优品家居有限公司",
        "浙江省杭州市余杭区文一西路 969 号",
        "0571-88886666",
    ),
    (
        "shop-b",
        "数码先锋专营店",
        "深圳数码先锋科技有限公司",
        "广东省深圳市南山区科技园南区 12 栋",
        "0755-26668888",
    ),
    (
        "shop-c",
        "鲜果时光",
        "上海鲜果时光农业有限公司",
        "上海市浦东新区张江路 88 号",
        "021-50501234",
    ),
]
PRODUCTS = {
    "shop-a": [
        ("A-1001", "北欧风实木餐椅", 29900, []),
        ("A-2002", "乳胶床垫 1.8m", 189900, ["durable"]),
        ("A-3003", "定制窗帘（按尺寸）", 45900, ["custom_made"]),
    ],
    "shop-b": [
        ("B-1001", "无线蓝牙耳机", 39900, ["durable"]),
        ("B-2002", "65 英寸智能电视", 459900, ["durable"]),
        ("B-3003", "正版杀毒软件激活码", 9900, ["digital", "virtual"]),
    ],
    "shop-c": [
        ("C-1001", "烟台红富士苹果 5kg", 6990, ["perishable"]),
        ("C-2002", "临期进口饼干礼盒", 3990, ["near_expiry_or_flawed", "confirmed_non_returnable"]),
    ],
}

# Action paths from a fresh case to each state; (action, who, text).
_C = [("start_screening", "agent", ""), ("accept", "agent", ""), ("forward_to_seller", "agent", "")]
_NEG = [*_C, ("seller_respond", "seller", "您好，已核实问题，可以为您办理退货退款。")]
_INT = [*_C, ("request_intervention", "buyer", "")]
_INV = [*_INT, ("open_evidence", "agent", ""), ("close_evidence", "agent", "")]
_DEC = [*_INV, ("decide", "agent", "经核实商品存在质量问题，支持买家退货退款，运费由商家承担。")]
_EXE = [*_DEC, ("execute", "agent", "")]
_AWC = [*_EXE, ("complete_execution", "seller", "")]
COMPLAINT_PATHS: dict[Status, list[tuple[str, str, str]]] = {
    Status.SUBMITTED: [],
    Status.SCREENING: _C[:1],
    Status.REJECTED: [_C[0], ("reject", "agent", "超过受理时限（购买后一年）")],
    Status.ACCEPTED: _C[:2],
    Status.AWAITING_SELLER: _C,
    Status.NEGOTIATING: _NEG,
    Status.AGREED: [*_NEG, ("agree", "buyer", "")],
    Status.PLATFORM_INTERVENTION: _INT,
    Status.EVIDENCE: [*_INT, ("open_evidence", "agent", "")],
    Status.INVESTIGATING: _INV,
    Status.DECIDED: _DEC,
    Status.EXECUTING: _EXE,
    Status.AWAITING_CONFIRMATION: _AWC,
    Status.RESOLVED: [*_AWC, ("confirm", "buyer", "")],
    Status.CLOSED: [*_AWC, ("confirm", "buyer", ""), ("close", "agent", "")],
    Status.SUSPENDED: [*_C, ("suspend", "agent", "self_settlement")],
}
# After-sales returns (approved → the buyer ships → the seller confirms receipt → refund step).
_Step = tuple[str, str, str | dict[str, str]]
_RET: list[_Step] = [*_C, ("approve_return", "seller", "")]
_SHIP = {"carrier": "顺丰速运", "tracking_no": "SF1402638475921"}
AFTERSALES_PATHS: dict[Status, list[_Step]] = {
    Status.AWAITING_SELLER: list(_C),
    Status.AWAITING_RETURN_SHIPMENT: _RET,
    Status.AWAITING_RETURN_RECEIPT: [*_RET, ("ship_return", "buyer", _SHIP)],
    Status.EXECUTING: [*_RET, ("ship_return", "buyer", _SHIP), ("confirm_receipt", "seller", "")],
}
FEEDBACK_PATHS: dict[Status, list[tuple[str, str, str]]] = {
    Status.SUBMITTED: [],
    Status.TRIAGED: [("triage", "agent", "")],
    Status.IN_PROGRESS: [("triage", "agent", ""), ("start_work", "agent", "")],
    Status.REPLIED: [
        ("triage", "agent", ""),
        ("reply", "agent", "感谢您的建议，我们已转交产品团队。"),
    ],
    Status.REJECTED: [("reject", "agent", "内容与平台服务无关")],
    Status.CLOSED: [
        ("triage", "agent", ""),
        ("reply", "agent", "已修复，感谢反馈。"),
        ("close", "buyer", ""),
    ],
}


def _params(action: Action, extra: str | dict[str, str]) -> dict[str, str]:
    """An action's parameters: structured fields as given, or its free text."""
    if isinstance(extra, dict):
        return dict(extra)
    return {text_param(action): extra} if extra else {}


@dataclass
class DemoResult:
    loaded: bool
    cases: int
    orders: int


def load_demo(app: App, *, seed: int = 20261124) -> DemoResult:
    """Load demo data once; a second run finds the admin user and changes nothing."""
    if user_svc.user_exists(app.reader(), "admin"):
        return DemoResult(False, 0, 0)
    rng = random.Random(seed)
    # Real review lines, but only those screening would accept: the demo shows the lifecycle.
    texts = [
        t
        for t in TEXTS.read_text(encoding="utf-8").splitlines()
        if len(t) >= 15 and passes_text_checks(t)
    ]
    now = app.clock.now()
    for code, name, legal, address, phone in SHOPS:
        user_svc.register_shop(
            app.uow(), code=code, name=name, legal_name=legal, address=address, phone=phone, now=now
        )
    actors: dict[str, Actor] = {}
    for username, roles, shop, teams, display in PEOPLE:
        rec = user_svc.create_user(
            app.uow(),
            actor=SYSTEM_ACTOR,
            username=username,
            password=DEMO_PASSWORD,
            roles=roles,
            display_name=display,
            shop_code=shop,
            team_codes=teams,
            phone=f"139{rng.randrange(10**8):08d}",
            email=f"{username}@example.com",
            now=now,
        )
        actors[username] = rec.actor()
    buyers = ["buyer1", "buyer2", "buyer3"]
    raw_orders = []
    for i in range(60):
        shop = ["shop-a", "shop-b", "shop-c"][i % 3]
        sku, title, price, flags = PRODUCTS[shop][rng.randrange(len(PRODUCTS[shop]))]
        qty = rng.choice([1, 1, 1, 2])
        paid = price * qty - (500 if i % 4 == 0 else 0)
        coupon = 500 if i % 4 == 0 else 0
        points = 1000 if i % 5 == 0 and paid > 2000 else 0
        paid_at = now - timedelta(days=rng.randrange(3, 60), hours=rng.randrange(24))
        raw_orders.append(
            (
                f"DD2026{i:06d}",
                {
                    "order_no": f"DD2026{i:06d}",
                    "shop_code": shop,
                    "buyer_ref": buyers[i % 3],
                    "buyer_name": ["刘洋", "赵丽", "孙强"][i % 3],
                    "buyer_phone": f"138{rng.randrange(10**8):08d}",
                    "buyer_address": "北京市朝阳区建国路 88 号 SOHO 现代城 2 号楼 1201",
                    "paid_at": paid_at.isoformat(),
                    "shipped_at": (paid_at + timedelta(days=1)).isoformat(),
                    "signed_at": (paid_at + timedelta(days=3)).isoformat(),
                    "carrier": "顺丰速运",
                    "tracking_no": f"SF{rng.randrange(10**12):012d}",
                    "lines": [
                        {
                            "line_no": 1,
                            "sku": sku,
                            "title": title,
                            "quantity": qty,
                            "unit_price_fen": price,
                            "paid_fen": paid,
                            "paid_points_fen": points,
                            "paid_coupon_fen": coupon,
                            "paid_cash_fen": paid - points - coupon,
                            "flags": flags,
                        }
                    ],
                },
            )
        )
    good = [(ref, parse_order(raw)) for ref, raw in raw_orders]
    order_svc.import_orders(app.uow(), actor=actors["admin"], orders=good, now=now)

    for username in ("agent1", "agent2", "tech1"):
        screening_admin.set_availability(
            app.uow(),
            actor=actors["admin"],
            username=username,
            on_duty=True,
            shift_start="09:00",
            shift_end="21:00",
            working_days_only=True,
        )
    with app.reader() as uow:
        tech_team = uow.people.team_by_code("tech")
    count = 0
    plans = (
        [(CaseKind.COMPLAINT, s, p) for s, p in COMPLAINT_PATHS.items()] * 2
        + [(CaseKind.DISPUTE, s, p) for s, p in list(COMPLAINT_PATHS.items())[:8]]
        + [(CaseKind.FEEDBACK, s, p) for s, p in FEEDBACK_PATHS.items()] * 2
        + [(CaseKind.AFTERSALES, s, p) for s, p in AFTERSALES_PATHS.items()]
    )
    picked = rng.sample(texts, len(plans))  # distinct texts: a repeat would be screened out
    for index, (kind, _status, path) in enumerate(plans):
        _ref, order = good[index % len(good)]
        buyer = actors[order.buyer_ref]
        seller = actors[{"shop-a": "seller1", "shop-b": "seller2"}.get(order.shop_code, "seller3")]
        text = picked[index]
        filed_at = now - timedelta(hours=rng.randrange(1, 72))
        data = case_svc.FileCaseInput(
            kind=kind,
            channel=rng.choice([Channel.WEB, Channel.APP, Channel.API]),
            subject=text[:18] + ("…" if len(text) > 18 else ""),
            description=text,
            order_no=None if kind is CaseKind.FEEDBACK else order.order_no,
            line_nos=() if kind is CaseKind.FEEDBACK else (1,),
            contact_phone=f"138{rng.randrange(10**8):08d}",
            feedback_type=FeedbackType.SUGGESTION if kind is CaseKind.FEEDBACK else None,
        )
        case = case_svc.file_case(
            app.uow(), actor=buyer, data=data, now=filed_at, policy=app.policy
        ).case
        at = filed_at
        for action, who, extra in path:
            at += timedelta(minutes=rng.randrange(5, 90))
            staff = actors["tech1" if case.team_id == tech_team else "agent1"]
            who_actor = {"agent": staff, "buyer": buyer, "seller": seller}[who]
            case = case_svc.act_on_case(
                app.uow(),
                actor=who_actor,
                number=case.number,
                action=Action(action),
                params=_params(Action(action), extra),
                expected_version=case.version,
                now=at,
                policy=app.policy,
            )
        if index % 3 == 0 and case.is_open:
            message_svc.post_message(
                app.uow(),
                actor=buyer,
                number=case.number,
                body="请尽快处理，谢谢！",
                internal=False,
                now=at,
            )
        count += 1
    return DemoResult(True, count, len(good))
