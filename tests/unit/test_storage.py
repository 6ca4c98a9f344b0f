"""Evidence storage: types from bytes, content addressing, no overwrite."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kefu.adapters.storage import LocalDirStorage, sniff_type

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    ("head", "ctype"),
    [
        (b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a....", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  ", "video/quicktime"),
        (b"MZ\x90\x00", None),  # a Windows executable named photo.jpg stays refused
        (b"<html>", None),
        (b"", None),
    ],
)
def test_types_are_sniffed_from_bytes(head: bytes, ctype: str | None) -> None:
    assert sniff_type(head) == ctype


def test_blobs_are_content_addressed_and_never_rewritten(tmp_path: Path) -> None:
    store = LocalDirStorage(tmp_path)
    first = store.put(PNG)
    assert first.sha256 == hashlib.sha256(PNG).hexdigest()
    path = store.path_for(first.sha256)
    before = path.stat().st_mtime_ns
    again = store.put(PNG)
    assert again == first
    assert path.stat().st_mtime_ns == before
    assert store.get(first.sha256) == PNG
    assert not list(path.parent.glob(".tmp-*"))


def test_path_for_refuses_anything_but_a_digest(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sha256"):
        LocalDirStorage(tmp_path).path_for("../../etc/passwd")
