"""Tables for screening: verdicts, duplicate band keys, buyer flags, overrides, search index."""

from __future__ import annotations

from kefu.db.schema import metadata

__all__ = ["metadata"]
