"""Intake and workflow settings the services need, as one small immutable record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from kefu.domain.case import DEFAULT_UPLOAD_LIMITS
from kefu.domain.screening import ScreeningPolicy


@dataclass(frozen=True)
class CasePolicy:
    reopen_window: timedelta = timedelta(days=15)
    first_response: timedelta = timedelta(hours=24)
    default_team: str = "cs"
    min_description_chars: int = 10
    max_upload_bytes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_UPLOAD_LIMITS))
    screening: ScreeningPolicy = field(default_factory=ScreeningPolicy)
