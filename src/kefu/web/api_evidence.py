"""/api/v1/cases/{number}/evidence: upload an evidence file, download one."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from kefu.bootstrap import App
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.types import Actor
from kefu.services import evidence as evidence_svc
from kefu.web.api_cases import attachment_out
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, Responses, problem_response
from kefu.web.schemas import RowId
from kefu.web.schemas_out import AttachmentOut

router = APIRouter(prefix="/api/v1", tags=["cases"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]

# What a download is sent as: the types sniffed from uploaded bytes (adapters/storage.py), and
# the transcript a chat leaves on the case it became (services/chat.py).
EVIDENCE_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "text/plain",
)
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_DOWNLOAD: Responses = {
    200: {
        "description": "The file's bytes, as the type sniffed when it was uploaded (a chat "
        "transcript is UTF-8 text); `Content-Disposition: attachment` with its name, `ETag` its "
        "SHA-256, `X-Content-Type-Options: nosniff`.",
        "content": dict.fromkeys(EVIDENCE_TYPES, _BINARY),
    }
}


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


@router.post(
    "/cases/{number}/evidence",
    status_code=201,
    response_model=AttachmentOut,
    responses={
        422: problem_response(
            "`invalid_input` naming `file`: code `too_large` (over the limit for its type), "
            "`unsupported_type` (the bytes are no accepted image, PDF or video) or `empty`; "
            "kefu answers these with 422, never 413 or 415."
        )
    },
)
async def upload_evidence(
    number: str, request: Request, actor: ActorDep, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Upload one evidence file; its type is sniffed from the bytes, never the name."""
    app = _app(request)
    limit = max(app.policy.max_upload_bytes.values())
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(
            [
                FieldError(
                    "file",
                    "too_large",
                    f"文件超过 {limit} 字节上限",
                    f"file exceeds the {limit}-byte limit",
                )
            ]
        )
    record = await run_in_threadpool(
        evidence_svc.add_evidence,
        app.uow(),
        app.storage,
        actor=actor,
        number=number,
        filename=file.filename or "evidence",
        data=data,
        now=app.clock.now(),
        policy=app.policy,
    )
    return attachment_out(number, record)


@router.get(
    "/cases/{number}/evidence/{attachment_id}", response_class=Response, responses=_DOWNLOAD
)
def download_evidence(
    number: str, attachment_id: RowId, request: Request, actor: ActorDep
) -> Response:
    app = _app(request)
    record, data = evidence_svc.read_evidence(
        app.reader(), app.storage, actor=actor, number=number, attachment_id=attachment_id
    )
    return Response(
        data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(record.filename),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{record.sha256}"',
        },
    )
