"""Tables for screening verdicts, duplicate band keys, buyer flags, overrides, full-text index (issue 3); registered on the shared metadata."""

from __future__ import annotations

from kefu.db.schema import metadata

__all__ = ["metadata"]
