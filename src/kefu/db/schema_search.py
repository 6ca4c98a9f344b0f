"""Tables for full-text search over cases (jieba tokens + bigrams), on the shared metadata."""

from __future__ import annotations

from kefu.db.schema import metadata

__all__ = ["metadata"]
