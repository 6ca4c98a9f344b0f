"""Tables for inbound mail, phone calls, chat sessions (issue 3 channels); registered on the shared metadata."""

from __future__ import annotations

from kefu.db.schema import metadata

__all__ = ["metadata"]
