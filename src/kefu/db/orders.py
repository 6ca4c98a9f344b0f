"""Order snapshot persistence: idempotent upsert by order number, lines replaced whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from kefu.db.driver import Prepared
from kefu.db.schema import order_lines, orders, shops
from kefu.domain.errors import NotFound
from kefu.domain.orders import LineFlag, Order, OrderLine


@dataclass(frozen=True)
class StoredOrder:
    id: int
    shop_id: int
    order: Order


# An order comes with its shop's code: replies and pages name the shop beside the order.
_WITH_SHOP = select(orders, shops.c.code.label("shop_code")).join(
    shops, shops.c.id == orders.c.shop_id
)
_BY_NO = _WITH_SHOP.where(orders.c.order_no == bindparam("b_no"))
_BY_ID = _WITH_SHOP.where(orders.c.id == bindparam("b_id"))
_LINES = (
    select(order_lines)
    .where(order_lines.c.order_id == bindparam("b_order"))
    .order_by(order_lines.c.line_no)
)
# Every filing reads its order: these two go straight to the driver on SQLite (db/driver.py).
_BY_NO_FAST = Prepared(_BY_NO)
_LINES_FAST = Prepared(_LINES)


class OrderRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert(self, order: Order, shop_id: int, now: datetime) -> tuple[int, bool]:
        """Insert or replace the snapshot; returns (id, created)."""
        values = {
            "shop_id": shop_id,
            "buyer_ref": order.buyer_ref,
            "buyer_name": order.buyer_name,
            "buyer_phone": order.buyer_phone,
            "buyer_address": order.buyer_address,
            "paid_at": order.paid_at,
            "shipped_at": order.shipped_at,
            "signed_at": order.signed_at,
            "carrier": order.carrier,
            "tracking_no": order.tracking_no,
            "paid_total_fen": order.paid_total_fen,
            "updated_at": now,
        }
        existing = self.conn.execute(
            select(orders.c.id).where(orders.c.order_no == order.order_no)
        ).scalar()
        if existing is None:
            order_id = int(
                self.conn.execute(
                    insert(orders)
                    .values(order_no=order.order_no, imported_at=now, **values)
                    .returning(orders.c.id)
                ).scalar_one()
            )
            created = True
        else:
            order_id = int(existing)
            self.conn.execute(update(orders).where(orders.c.id == order_id).values(**values))
            self.conn.execute(delete(order_lines).where(order_lines.c.order_id == order_id))
            created = False
        self.conn.execute(
            insert(order_lines),
            [
                {
                    "order_id": order_id,
                    "line_no": ln.line_no,
                    "sku": ln.sku,
                    "title": ln.title,
                    "quantity": ln.quantity,
                    "unit_price_fen": ln.unit_price_fen,
                    "paid_fen": ln.paid_fen,
                    "paid_cash_fen": ln.paid_cash_fen,
                    "paid_points_fen": ln.paid_points_fen,
                    "paid_coupon_fen": ln.paid_coupon_fen,
                    "flags": ",".join(sorted(f.value for f in ln.flags)),
                }
                for ln in order.lines
            ],
        )
        return order_id, created

    def get_by_no(self, order_no: str) -> StoredOrder:
        rows = _BY_NO_FAST.mappings(self.conn, {"b_no": order_no})
        if not rows:
            raise NotFound("订单 order", order_no)
        return self._load(rows[0])

    def recent(
        self, *, buyer_ref: str | None = None, shop_id: int | None = None, limit: int = 50
    ) -> list[StoredOrder]:
        """Newest orders of one buyer or one shop (the buyer's "file from an order" list)."""
        stmt = _WITH_SHOP
        if buyer_ref is not None:
            stmt = stmt.where(orders.c.buyer_ref == buyer_ref)
        if shop_id is not None:
            stmt = stmt.where(orders.c.shop_id == shop_id)
        rows = self.conn.execute(stmt.order_by(orders.c.paid_at.desc()).limit(limit)).mappings()
        return [self._load(r) for r in rows.all()]

    def get(self, order_id: int) -> StoredOrder:
        row = self.conn.execute(_BY_ID, {"b_id": order_id}).mappings().first()
        if row is None:
            raise NotFound("订单 order", order_id)
        return self._load(row)

    def _load(self, r: Mapping[Any, Any]) -> StoredOrder:
        line_rows = _LINES_FAST.mappings(self.conn, {"b_order": r["id"]})
        lines = tuple(
            OrderLine(
                lr["line_no"],
                lr["sku"],
                lr["title"],
                lr["quantity"],
                lr["unit_price_fen"],
                lr["paid_fen"],
                lr["paid_cash_fen"],
                lr["paid_points_fen"],
                lr["paid_coupon_fen"],
                frozenset(LineFlag(f) for f in lr["flags"].split(",") if f),
            )
            for lr in line_rows
        )
        order = Order(
            r["order_no"],
            r["shop_code"],
            r["buyer_ref"],
            r["buyer_name"],
            r["buyer_phone"],
            r["buyer_address"],
            r["paid_at"],
            r["shipped_at"],
            r["signed_at"],
            r["carrier"],
            r["tracking_no"],
            lines,
        )
        return StoredOrder(int(r["id"]), int(r["shop_id"]), order)
