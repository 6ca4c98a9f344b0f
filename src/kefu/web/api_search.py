"""/api/v1/search: full-text search over the cases the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from kefu.bootstrap import App
from kefu.domain.types import Actor
from kefu.services import search as search_svc
from kefu.web import offload
from kefu.web.api_cases import queue_item_out
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute
from kefu.web.responses import FastJSONResponse
from kefu.web.schemas_out import SearchPage

router = APIRouter(prefix="/api/v1", tags=["search"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


@router.get("/search", response_model=SearchPage)
async def search_cases(
    request: Request,
    actor: ActorDep,
    q: str = "",
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=search_svc.LIMIT_MAX)] = 50,
) -> FastJSONResponse:
    """Cases containing every term of q (subject, description, case or order number), newest
    first, in the queue's item shape; `next_cursor` fetches the next page."""
    app: App = request.app.state.kefu
    page = await offload.read(
        app,
        search_svc.search_cases,
        app.reader(),
        actor=actor,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return FastJSONResponse(
        {"items": [queue_item_out(c) for c in page.items], "next_cursor": page.next_cursor}
    )
