"""Helpers the non-web channels share: find or create the buyer, attach stored files to a case."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from kefu.adapters.storage import BlobStorage
from kefu.db.people import UserRecord
from kefu.db.records import AttachmentRecord
from kefu.domain.case import Case
from kefu.domain.errors import InvalidInput
from kefu.domain.types import Actor, Role
from kefu.services.evidence import vet_upload
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork


def buyer_for_contact(
    uow: UnitOfWork, *, email: str = "", phone: str = "", display_name: str = "", now: datetime
) -> UserRecord:
    """The user with this email (or phone), else a new password-less buyer. Call inside `with uow`.

    The new buyer's username and buyer_ref derive from the contact, so two concurrent intakes for
    the same new sender collide on the unique username instead of creating two people.
    """
    found = (
        uow.channels.contacts.user_id_by_email(email)
        if email
        else uow.channels.contacts.user_id_by_phone(phone)
    )
    if found is not None:
        return uow.people.user_by_id(found)
    contact = (email or phone).strip().lower()
    prefix = "mail" if email else "tel"
    username = f"{prefix}-{hashlib.sha256(contact.encode()).hexdigest()[:16]}"
    existing = uow.people.user_by_username(username)
    if existing is not None:
        return existing
    user_id = uow.people.add_user(
        username=username,
        display_name=(display_name or contact)[:100],
        password_hash="",
        roles=frozenset({Role.BUYER}),
        shop_id=None,
        buyer_ref=username,
        phone=phone[:32],
        email=email[:200],
        now=now,
    )
    return uow.people.user_by_id(user_id)


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True)
class SkippedFile:
    filename: str
    reason_zh: str
    reason_en: str


def store_evidence_files(
    storage: BlobStorage, policy: CasePolicy, files: list[tuple[str, bytes]]
) -> tuple[list[StoredFile], list[SkippedFile]]:
    """Vet each file like an upload (type from the bytes, size limit), store the accepted ones.

    Runs outside any transaction: blobs are fsynced before the rows that point at them commit.
    """
    stored: list[StoredFile] = []
    skipped: list[SkippedFile] = []
    for filename, data in files:
        try:
            content_type = vet_upload(data, policy)
        except InvalidInput as exc:
            fault = exc.fields[0]
            skipped.append(SkippedFile(filename, fault.zh, fault.en))
            continue
        blob = storage.put(data)
        stored.append(StoredFile(safe_filename(filename), content_type, blob.sha256, blob.size))
    return stored, skipped


def safe_filename(name: str) -> str:
    return (name or "evidence").replace("/", "_").replace("\\", "_")[:255]


def attach_stored(
    uow: UnitOfWork, case: Case, actor: Actor, files: list[StoredFile], now: datetime
) -> list[AttachmentRecord]:
    """Record already-stored blobs as the case's evidence (rows + timeline events)."""
    assert case.id is not None
    records = []
    for f in files:
        record = uow.records.add_attachment(
            case_id=case.id,
            sha256=f.sha256,
            size=f.size,
            content_type=f.content_type,
            filename=f.filename,
            uploaded_by=actor.user_id,
            now=now,
        )
        case.record_evidence(actor, record.id, f.filename, f.content_type, f.sha256, f.size, now)
        records.append(record)
    return records
