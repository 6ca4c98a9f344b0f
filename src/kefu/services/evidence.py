"""Evidence intent: store an uploaded file content-addressed and link it to the case."""

from __future__ import annotations

import re
from datetime import datetime

from kefu.adapters.storage import BlobStorage, sniff_type
from kefu.db.records import AttachmentRecord
from kefu.domain import rbac
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor
from kefu.services.cases import load_visible
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

# Control characters say nothing in a file name, and PostgreSQL text cannot hold NUL at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _limit_for(content_type: str, policy: CasePolicy) -> int:
    return policy.max_upload_bytes.get(content_type) or policy.max_upload_bytes.get(
        content_type.split("/")[0], 0
    )


def vet_upload(data: bytes, policy: CasePolicy) -> str:
    """The sniffed content type of an acceptable evidence file; InvalidInput names the fault."""
    content_type = sniff_type(data[:64])
    if not data:
        raise InvalidInput([FieldError("file", "empty", "文件为空", "the file is empty")])
    if content_type is None:
        raise InvalidInput(
            [
                FieldError(
                    "file",
                    "unsupported_type",
                    "仅支持图片（JPEG/PNG/GIF/WebP）、PDF 和视频（MP4/MOV/WebM）",
                    "only images (JPEG/PNG/GIF/WebP), PDF and video (MP4/MOV/WebM) are accepted",
                )
            ]
        )
    limit = _limit_for(content_type, policy)
    if len(data) > limit:
        raise InvalidInput(
            [
                FieldError(
                    "file",
                    "too_large",
                    f"文件过大：{len(data)} 字节，{content_type} 上限 {limit} 字节",
                    f"file too large: {len(data)} bytes, limit for {content_type} is {limit}",
                )
            ]
        )
    return content_type


def add_evidence(
    uow: UnitOfWork,
    storage: BlobStorage,
    *,
    actor: Actor,
    number: str,
    filename: str,
    data: bytes,
    now: datetime,
    policy: CasePolicy,
) -> AttachmentRecord:
    """Check type (from the bytes) and size, store the blob durably, then record it."""
    rbac.require(actor, Permission.ADD_EVIDENCE)
    content_type = vet_upload(data, policy)
    cleaned = _CONTROL.sub("", filename).replace("/", "_").replace("\\", "_").strip()
    safe_name = cleaned[:255] or "evidence"
    with uow:
        load_visible(uow, actor, number)  # refuse before any bytes of an unseen case are kept
    # Written and fsynced outside the transaction, so the SQLite writer lock is never held while
    # a large file is flushed; still before the row that references it commits, so a crash in
    # between leaves an orphan file, never a row pointing at nothing.
    blob = storage.put(data)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        record = uow.records.add_attachment(
            case_id=case.id,
            sha256=blob.sha256,
            size=blob.size,
            content_type=content_type,
            filename=safe_name,
            uploaded_by=actor.user_id,
            now=now,
        )
        case.record_evidence(actor, record.id, safe_name, content_type, blob.sha256, blob.size, now)
        uow.touch_case(case)
        uow.commit()
        return record


def read_evidence(
    uow: UnitOfWork, storage: BlobStorage, *, actor: Actor, number: str, attachment_id: int
) -> tuple[AttachmentRecord, bytes]:
    """Return an attachment's metadata and bytes if the actor may see the case."""
    with uow:
        case = load_visible(uow, actor, number)
        record = uow.records.attachment(attachment_id)
        if record.case_id != case.id:
            raise NotFound("附件 attachment", attachment_id)
        return record, storage.get(record.sha256)
