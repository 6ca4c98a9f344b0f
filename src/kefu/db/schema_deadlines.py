"""Tables for SLA clocks, calendar overrides, seller agreements, sweeps (issue 4); registered on the shared metadata."""

from __future__ import annotations

from kefu.db.schema import metadata

__all__ = ["metadata"]
