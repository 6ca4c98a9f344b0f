"""Order intents: import snapshots in batches (idempotent upsert) and read one order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kefu.db.orders import StoredOrder
from kefu.domain import rbac
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.orders import Order, parse_order
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor, Role
from kefu.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ImportItemResult:
    ref: str  # order number, or the source row(s) when the number itself is missing
    status: str  # created | updated | error
    errors: tuple[FieldError, ...] = ()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    failed: int = 0
    items: list[ImportItemResult] = field(default_factory=list)


@dataclass(frozen=True)
class RawOrder:
    """One order as received (a request item, a JSONL line, CSV rows) before validation.

    ``source_errors`` are what the reader itself found (a broken JSON line, CSV rows of one order
    that disagree). They travel beside the mapping, never inside it, so no key a client or a
    file sends can pose as one."""

    ref: str  # what reports name: request index, "line 3", "rows 2,4"
    data: Mapping[str, Any] | None  # None when nothing of the order could be read
    source_errors: tuple[FieldError, ...] = ()


def validate_orders(
    raw_items: Iterable[RawOrder],
) -> tuple[list[tuple[str, Order]], list[ImportItemResult]]:
    """Split raw items into valid orders and per-item error results (nothing is written)."""
    good: list[tuple[str, Order]] = []
    bad: list[ImportItemResult] = []
    for item in raw_items:
        found = item.source_errors
        if item.data is None:
            bad.append(ImportItemResult(item.ref, "error", found))
            continue
        try:
            order = parse_order(item.data)
        except InvalidInput as exc:
            bad.append(ImportItemResult(item.ref, "error", found + tuple(exc.fields)))
            continue
        if found:
            bad.append(ImportItemResult(item.ref, "error", found))
        else:
            good.append((item.ref, order))
    return good, bad


def import_orders(
    uow: UnitOfWork, *, actor: Actor, orders: list[tuple[str, Order]], now: datetime
) -> ImportReport:
    """Upsert valid orders in one transaction; a seller may only import its own shop's orders."""
    rbac.require(actor, Permission.IMPORT_ORDERS)
    report = ImportReport()
    with uow:
        shop_ids: dict[str, int | None] = {}
        for ref, order in orders:
            if order.shop_code not in shop_ids:
                shop = uow.people.shop_by_code(order.shop_code)
                if shop is None and actor.has(Role.ADMIN, Role.SYSTEM):
                    shop_ids[order.shop_code] = uow.people.ensure_shop(
                        order.shop_code, order.shop_code, now
                    )
                else:
                    shop_ids[order.shop_code] = shop.id if shop else None
            shop_id = shop_ids[order.shop_code]
            problem = None
            if shop_id is None:
                problem = FieldError(
                    "shop_code",
                    "unknown_shop",
                    f"未知店铺 {order.shop_code}",
                    f"unknown shop {order.shop_code}",
                )
            elif (
                Role.SELLER in actor.roles
                and not actor.has(Role.ADMIN, Role.SYSTEM)
                and actor.shop_id != shop_id
            ):
                problem = FieldError(
                    "shop_code",
                    "not_your_shop",
                    "只能导入本店铺的订单",
                    "you may only import your own shop's orders",
                )
            if problem is not None or shop_id is None:
                report.failed += 1
                report.items.append(ImportItemResult(ref, "error", (problem,) if problem else ()))
                continue
            _, created = uow.orders.upsert(order, shop_id, now)
            if created:
                report.created += 1
            else:
                report.updated += 1
            report.items.append(ImportItemResult(ref, "created" if created else "updated"))
        uow.commit()
    return report


def import_batches(
    uow_factory: Callable[[], UnitOfWork],
    *,
    actor: Actor,
    raw_items: Iterable[RawOrder],
    now: datetime,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and import a long stream in batches; invalid items are reported, never written."""
    rbac.require(actor, Permission.IMPORT_ORDERS)
    total = ImportReport()
    chunk: list[RawOrder] = []

    def flush() -> None:
        good, bad = validate_orders(chunk)
        total.failed += len(bad)
        total.items.extend(bad)
        if good:
            part = import_orders(uow_factory(), actor=actor, orders=good, now=now)
            total.created += part.created
            total.updated += part.updated
            total.failed += part.failed
            total.items.extend(part.items)
        if progress:
            progress(len(chunk))
        chunk.clear()

    for item in raw_items:
        chunk.append(item)
        if len(chunk) >= batch_size:
            flush()
    if chunk:
        flush()
    return total


def get_order(uow: UnitOfWork, *, actor: Actor, order_no: str, now: datetime) -> StoredOrder:
    """Read one order snapshot if the actor is its buyer, its shop's staff or platform staff."""
    rbac.require(actor, Permission.VIEW_ORDER)
    with uow:
        stored = uow.orders.get_by_no(order_no)
        if not rbac.can_view_order(actor, buyer_ref=stored.order.buyer_ref, shop_id=stored.shop_id):
            raise NotFound("订单 order", order_no)
        if not rbac.sees_full_pii(actor, buyer_id=-1) and not (
            actor.buyer_ref and actor.buyer_ref == stored.order.buyer_ref
        ):
            masked = stored.order.masked()
            return StoredOrder(stored.id, stored.shop_id, masked)
        if actor.is_staff:
            uow.records.log_pii_access(
                actor_id=actor.user_id,
                case_id=None,
                order_id=stored.id,
                fields="buyer_name,buyer_phone,buyer_address",
                purpose="order_view",
                now=now,
            )
            uow.commit()
        return stored


def my_orders(uow: UnitOfWork, *, actor: Actor, limit: int = 50) -> list[StoredOrder]:
    """A buyer's own orders, or a seller's shop orders; staff look orders up by number."""
    with uow:
        if Role.BUYER in actor.roles and actor.buyer_ref:
            return uow.orders.recent(buyer_ref=actor.buyer_ref, limit=limit)
        if Role.SELLER in actor.roles and actor.shop_id is not None:
            return uow.orders.recent(shop_id=actor.shop_id, limit=limit)
        return []
