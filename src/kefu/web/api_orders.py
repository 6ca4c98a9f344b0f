"""/api/v1 orders, tokens, users, me and notifications."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from kefu.bootstrap import App
from kefu.db.orders import StoredOrder
from kefu.domain.errors import NotAuthenticated
from kefu.domain.types import Actor
from kefu.services import orders as order_svc
from kefu.services import users as user_svc
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, problem, problem_response
from kefu.web.schemas import OrdersIn, TokenIn, UserIn
from kefu.web.schemas_out import (
    ImportReport,
    MeOut,
    NotificationList,
    OrderOut,
    TokenOut,
    UserCreated,
)

router = APIRouter(prefix="/api/v1", route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def order_out(stored: StoredOrder) -> dict[str, Any]:
    return stored.order.as_dict()


@router.post(
    "/orders",
    tags=["orders"],
    response_model=ImportReport,
    responses={
        422: problem_response(
            "`orders_rejected`: no order was written; `fields` are `orders[i].<field>` and "
            "`created`, `updated`, `failed` and `items` the per-order report. Other codes as "
            "on every operation (`invalid_input` for a body of the wrong shape)."
        )
    },
)
def import_orders(body: OrdersIn, request: Request, actor: ActorDep) -> JSONResponse:
    """Batch upsert by order number; each invalid order is reported and nothing of it written.

    200 when at least one order was written (failed ones listed in `items`); when none was,
    422 problem+json whose `fields` are `orders[i].<field>` and `items` the per-order results.
    """
    app = _app(request)
    labels = [str(o.get("order_no") or f"#{i}") for i, o in enumerate(body.orders)]
    # The request index is the ref, so duplicate or missing order numbers stay apart.
    raw = [order_svc.RawOrder(str(i), o) for i, o in enumerate(body.orders)]
    # One batch: the whole request is one transaction.
    report = order_svc.import_batches(
        app.uow, actor=actor, raw_items=raw, now=app.clock.now(), batch_size=len(raw)
    )
    result = {
        "created": report.created,
        "updated": report.updated,
        "failed": report.failed,
        "items": [
            {
                "order_no": labels[int(it.ref)],
                "status": it.status,
                "errors": [e.as_dict() for e in it.errors],
            }
            for it in report.items
        ],
    }
    if report.created or report.updated or not report.failed:
        return JSONResponse(result)
    fields = [
        {**e.as_dict(), "field": f"orders[{it.ref}].{e.field}"}
        for it in report.items
        for e in it.errors
    ]
    return problem(
        422,
        "orders_rejected",
        f"没有导入任何订单：{report.failed} 个订单有错误，见 items",
        f"no order was imported: {report.failed} order(s) have errors, see items",
        fields,
        **result,
    )


@router.get("/orders/{order_no}", tags=["orders"], response_model=OrderOut)
def get_order(order_no: str, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    return order_out(
        order_svc.get_order(app.uow(), actor=actor, order_no=order_no, now=app.clock.now())
    )


@router.post(
    "/auth/token",
    tags=["auth"],
    status_code=201,
    response_model=TokenOut,
    responses={401: problem_response("`not_authenticated`: wrong username or password.")},
)
def create_token(body: TokenIn, request: Request) -> dict[str, str]:
    """Exchange a username and password for a bearer token (shown once)."""
    app = _app(request)
    user = user_svc.authenticate(app.reader(), username=body.username, password=body.password)
    if user is None:
        raise NotAuthenticated()
    token = user_svc.issue_token(
        app.uow(), username=user.username, name=body.name, now=app.clock.now()
    )
    return {"token": token, "token_type": "bearer"}


@router.post("/users", tags=["people"], status_code=201, response_model=UserCreated)
def create_user(body: UserIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    user = user_svc.create_user(
        app.uow(),
        actor=actor,
        username=body.username,
        password=body.password,
        roles=body.roles,
        display_name=body.display_name,
        shop_code=body.shop,
        team_codes=body.teams,
        buyer_ref=body.buyer_ref,
        phone=body.phone,
        email=body.email,
        now=app.clock.now(),
    )
    return {"id": user.id, "username": user.username, "roles": sorted(user.roles)}


@router.get("/me", tags=["people"], response_model=MeOut)
def me(actor: ActorDep) -> dict[str, Any]:
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "roles": sorted(r.value for r in actor.roles),
        "shop_id": actor.shop_id,
        "team_ids": sorted(actor.team_ids),
    }


@router.get("/notifications", tags=["people"], response_model=NotificationList)
def my_notifications(request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    items = user_svc.notifications_for(app.reader(), actor=actor)
    return {
        "items": [
            {
                **n,
                "created_at": n["created_at"].isoformat(),
                "read_at": n["read_at"].isoformat() if n["read_at"] else None,
            }
            for n in items
        ]
    }
