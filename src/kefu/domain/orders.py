"""Order snapshot: the shop's order as the rules read it, and validation of imported rows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from kefu.domain.errors import InvalidInput
from kefu.domain.order_fields import (
    MAX_FEN,
    MAX_LINE_NO,
    MAX_QUANTITY,
    FieldCollector,
    blank,
)
from kefu.domain.order_fields import SHANGHAI as SHANGHAI  # where the rest of kefu finds it
from kefu.domain.text_faults import fault_error, text_fault


class LineFlag(StrEnum):
    CUSTOM_MADE = "custom_made"  # 定制
    PERISHABLE = "perishable"  # 鲜活易腐
    DIGITAL = "digital"  # 在线下载或拆封的音像制品、计算机软件等数字化商品
    PERIODICAL = "periodical"  # 交付的报纸、期刊
    CONFIRMED_NON_RETURNABLE = "confirmed_non_returnable"  # 购买时经消费者确认不宜退货
    NEAR_EXPIRY_OR_FLAWED = "near_expiry_or_flawed"  # 临期/瑕疵商品并明示
    DURABLE = "durable"  # 耐用商品（举证责任倒置）
    VIRTUAL = "virtual"  # 虚拟商品


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    sku: str
    title: str
    quantity: int
    unit_price_fen: int
    paid_fen: int
    paid_cash_fen: int
    paid_points_fen: int
    paid_coupon_fen: int
    flags: frozenset[LineFlag]


@dataclass(frozen=True)
class Order:
    order_no: str
    shop_code: str
    buyer_ref: str
    buyer_name: str
    buyer_phone: str
    buyer_address: str
    paid_at: datetime
    shipped_at: datetime | None
    signed_at: datetime | None
    carrier: str
    tracking_no: str
    lines: tuple[OrderLine, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view of the snapshot (times as ISO 8601 UTC, money in fen)."""
        return {
            "order_no": self.order_no,
            "buyer_ref": self.buyer_ref,
            "buyer_name": self.buyer_name,
            "buyer_phone": self.buyer_phone,
            "buyer_address": self.buyer_address,
            "paid_at": _iso(self.paid_at),
            "shipped_at": _iso(self.shipped_at),
            "signed_at": _iso(self.signed_at),
            "carrier": self.carrier,
            "tracking_no": self.tracking_no,
            "paid_total_fen": self.paid_total_fen,
            "lines": [
                {
                    "line_no": ln.line_no,
                    "sku": ln.sku,
                    "title": ln.title,
                    "quantity": ln.quantity,
                    "unit_price_fen": ln.unit_price_fen,
                    "paid_fen": ln.paid_fen,
                    "paid_cash_fen": ln.paid_cash_fen,
                    "paid_points_fen": ln.paid_points_fen,
                    "paid_coupon_fen": ln.paid_coupon_fen,
                    "flags": sorted(f.value for f in ln.flags),
                }
                for ln in self.lines
            ],
        }

    def masked(self) -> Order:
        """The same order with the buyer's name, phone and address masked."""
        from kefu.domain.rbac import mask_address, mask_name, mask_phone

        return replace(
            self,
            buyer_name=mask_name(self.buyer_name),
            buyer_phone=mask_phone(self.buyer_phone),
            buyer_address=mask_address(self.buyer_address),
        )

    @property
    def paid_total_fen(self) -> int:
        return sum(line.paid_fen for line in self.lines)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


_ORDER_NO = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


def parse_order(data: Mapping[str, Any]) -> Order:
    """Validate one order mapping (API or file row group) and return the snapshot, or raise."""
    c = FieldCollector()
    order_no = c.text(data, "order_no", required=True, max_len=64)
    if order_no and not _ORDER_NO.match(order_no):
        c.add(
            "order_no",
            "format",
            "订单号只能包含字母、数字、- 和 _（4–64 位）",
            "order number: 4–64 letters, digits, - or _",
        )
    shop_code = c.text(data, "shop_code", required=True, max_len=64)
    buyer_ref = c.text(data, "buyer_ref", required=True, max_len=64)
    buyer_name = c.text(data, "buyer_name", required=False, max_len=100)
    buyer_phone = c.text(data, "buyer_phone", required=False, max_len=32)
    buyer_address = c.text(data, "buyer_address", required=False, max_len=300)
    paid_at = c.when(data, "paid_at", required=True)
    shipped_at = c.when(data, "shipped_at", required=False)
    signed_at = c.when(data, "signed_at", required=False)
    carrier = c.text(data, "carrier", required=False, max_len=64)
    tracking_no = c.text(data, "tracking_no", required=False, max_len=64)
    if paid_at and shipped_at and shipped_at < paid_at:
        c.add("shipped_at", "before_paid", "发货时间不能早于付款时间", "cannot be before paid_at")
    if shipped_at and signed_at and signed_at < shipped_at:
        c.add(
            "signed_at", "before_shipped", "签收时间不能早于发货时间", "cannot be before shipped_at"
        )
    if signed_at and not shipped_at:
        c.add(
            "shipped_at",
            "required_with_signed",
            "已签收的订单必须有发货时间",
            "is required when signed_at is set",
        )

    raw_lines = data.get("lines")
    lines: list[OrderLine] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        c.add("lines", "required", "至少需要一个商品行", "at least one line is required")
        raw_lines = []
    seen: set[int] = set()
    for i, raw in enumerate(raw_lines):
        path = f"lines[{i}]."
        if not isinstance(raw, Mapping):
            c.add(f"lines[{i}]", "type", "必须是对象", "must be an object")
            continue
        line = _parse_line(c, raw, i, path)
        if not line.line_no:
            continue  # rejected line number, already reported
        if line.line_no in seen:
            c.add(path + "line_no", "duplicate", "行号重复", "duplicate line number")
        seen.add(line.line_no)
        lines.append(line)
    if sum(line.paid_fen for line in lines) > MAX_FEN:
        c.add(
            "lines",
            "total_too_large",
            f"订单实付合计不能超过 {MAX_FEN} 分",
            f"the order's paid total must be at most {MAX_FEN} fen",
        )
    if c.errors:
        raise InvalidInput(c.errors)
    assert paid_at is not None
    return Order(
        order_no,
        shop_code,
        buyer_ref,
        buyer_name,
        buyer_phone,
        buyer_address,
        paid_at,
        shipped_at,
        signed_at,
        carrier,
        tracking_no,
        tuple(lines),
    )


def _parse_line(c: FieldCollector, raw: Mapping[str, Any], index: int, path: str) -> OrderLine:
    line_no = c.integer(
        raw, "line_no", path=path, low=1, high=MAX_LINE_NO, label=("行号", ""), default=index + 1
    )
    sku = c.text(raw, "sku", required=True, max_len=64, path=path)
    title = c.text(raw, "title", required=True, max_len=200, path=path)
    quantity = c.integer(
        raw, "quantity", path=path, low=1, high=MAX_QUANTITY, label=("数量", ""), default=1
    )
    before = len(c.errors)
    unit_price = c.fen(raw, "unit_price_fen", path=path)
    paid = c.fen(raw, "paid_fen", path=path)
    cash = c.fen(raw, "paid_cash_fen", path=path, default=paid if paid is not None else 0)
    points = c.fen(raw, "paid_points_fen", path=path, default=0)
    coupon = c.fen(raw, "paid_coupon_fen", path=path, default=0)
    money_ok = len(c.errors) == before
    paid, cash, points, coupon = paid or 0, cash or 0, points or 0, coupon or 0
    if "paid_cash_fen" not in raw and (points or coupon):
        cash = paid - points - coupon
    if money_ok and cash + points + coupon != paid:  # a rejected amount says nothing of the sum
        c.add(
            path + "paid_fen",
            "tender_mismatch",
            f"现金 {cash} + 积分 {points} + 优惠券 {coupon} 之和必须等于实付 {paid}（分）",
            f"cash {cash} + points {points} + coupon {coupon} must equal paid {paid} fen",
        )
    return OrderLine(
        line_no or 0,
        sku,
        title,
        quantity or 1,
        unit_price or 0,
        paid,
        cash,
        points,
        coupon,
        _flags(c, raw.get("flags"), path),
    )


def _flags(c: FieldCollector, value: Any, path: str) -> frozenset[LineFlag]:
    """Known flag names as a list, or one text cell separated by | , ; or spaces (CSV)."""
    if blank(value):
        return frozenset()
    if isinstance(value, str):
        value = [f for f in re.split(r"[|,;\s]+", value) if f]
    allowed = ", ".join(f.value for f in LineFlag)
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        c.add(
            path + "flags",
            "type",
            f"必须是标记名称的列表；可用：{allowed}",
            f"must be a list of flag names; allowed: {allowed}",
        )
        return frozenset()
    flags: set[LineFlag] = set()
    for flag in value:
        fault = text_fault(flag)
        if fault is not None:  # and never echoed in the unknown-flag message below
            c.errors.append(fault_error(path + "flags", fault))
            continue
        try:
            flags.add(LineFlag(flag.strip()))
        except ValueError:
            c.add(
                path + "flags",
                "unknown_flag",
                f"未知标记 {flag}；可用：{allowed}",
                f"unknown flag {flag}; allowed: {allowed}",
            )
    return frozenset(flags)
