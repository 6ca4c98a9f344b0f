"""Past-tense events a case records; each becomes one timeline row and feeds the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from kefu.domain.types import Visibility


@dataclass(frozen=True)
class CaseEvent:
    """Something that happened to a case, by whom and when."""

    kind: ClassVar[str] = "event"
    at: datetime
    actor_id: int
    actor_role: str
    visibility: Visibility = Visibility.PUBLIC

    @property
    def body(self) -> str:
        return ""

    @property
    def data(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True)
class CaseFiled(CaseEvent):
    kind: ClassVar[str] = "filed"
    number: str = ""
    case_kind: str = ""
    channel: str = ""
    description: str = ""

    @property
    def body(self) -> str:
        return self.description

    @property
    def data(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.case_kind, "channel": self.channel}


@dataclass(frozen=True)
class StatusChanged(CaseEvent):
    kind: ClassVar[str] = "status_changed"
    action: str = ""
    from_status: str = ""
    to_status: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return next((v for k, v in self.params.items() if k in ("reason", "decision", "body")), "")

    @property
    def data(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            **{k: v for k, v in self.params.items() if k not in ("body",)},
        }


@dataclass(frozen=True)
class MessagePosted(CaseEvent):
    kind: ClassVar[str] = "message"
    text: str = ""

    @property
    def body(self) -> str:
        return self.text


@dataclass(frozen=True)
class NoteAdded(CaseEvent):
    kind: ClassVar[str] = "note"
    text: str = ""

    @property
    def body(self) -> str:
        return self.text


@dataclass(frozen=True)
class CaseAssigned(CaseEvent):
    kind: ClassVar[str] = "assigned"
    assignee_id: int | None = None
    team_id: int | None = None

    @property
    def data(self) -> dict[str, Any]:
        return {"assignee_id": self.assignee_id, "team_id": self.team_id}


@dataclass(frozen=True)
class EvidenceAdded(CaseEvent):
    kind: ClassVar[str] = "evidence_added"
    attachment_id: int = 0
    filename: str = ""
    content_type: str = ""
    sha256: str = ""
    size: int = 0

    @property
    def body(self) -> str:
        return self.filename

    @property
    def data(self) -> dict[str, Any]:
        return {
            "attachment_id": self.attachment_id,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "size": self.size,
        }


@dataclass(frozen=True)
class SystemAction(CaseEvent):
    kind: ClassVar[str] = "system"
    what: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return self.what

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.details)


@dataclass(frozen=True)
class CategoryChanged(CaseEvent):
    """A person corrected the category screening chose; kept as retraining data too."""

    kind: ClassVar[str] = "category_changed"
    visibility: Visibility = Visibility.INTERNAL
    from_category: str = ""
    to_category: str = ""

    @property
    def body(self) -> str:
        return f"分类 {self.from_category} → {self.to_category} / category changed"

    @property
    def data(self) -> dict[str, Any]:
        return {"from": self.from_category, "to": self.to_category}
