"""The rows a warning or breach writes: timeline and outbox, as dicts and pre-rendered tuples.

`clock_row` / `notice` build the dicts both sweep paths store. The light path's hot loop uses
`timeline_tuple` / `outbox_tuple` instead: the same rows as tuples in the repository's column
order, the JSON column already rendered — from a template made once per combination of the
values that repeat (clock, rule, policy, audiences …) by `json.dumps` of the very dict
`clock_row` / `notice` build, with the per-clock values (case number, ids, due time) spliced in.
The text is what `json.dumps(dict)` gives (tested), about a third of its cost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from kefu.domain.deadline_events import ClockChanged
from kefu.domain.types import SYSTEM_ACTOR, Visibility

SYS = (SYSTEM_ACTOR.user_id, SYSTEM_ACTOR.primary_role.value)
WARNED = ("warned", Visibility.INTERNAL, "即将超时 deadline approaching")
BREACHED = ("breached", Visibility.PUBLIC, "已超时 deadline missed")

# Timeline and outbox columns in the order of the tuples below (DeadlineRepo's rendered inserts).
TIMELINE_COLUMNS = (
    "case_id",
    "kind",
    "actor_id",
    "actor_role",
    "visibility",
    "body",
    "data",
    "created_at",
)
OUTBOX_COLUMNS = ("topic", "case_id", "payload", "created_at", "available_at", "attempts")


class Addressed(Protocol):
    """What a notice needs of a case: CaseFacts and Case both have it."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> str: ...
    @property
    def buyer_id(self) -> int: ...
    @property
    def shop_id(self) -> int | None: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


def clock_event(
    now: datetime,
    change: tuple[str, Visibility, str],
    *,
    clock: str,
    party: str,
    due_at: datetime,
    rule: str,
    policy_id: str,
) -> ClockChanged:
    """The timeline row of a warning or breach (both paths write the same one)."""
    name, visibility, text = change
    return ClockChanged(
        now,
        *SYS,
        visibility,
        change=name,
        clock=clock,
        party=party,
        due_at=due_at.isoformat(),
        text=text,
        details={"rule": rule, "policy": policy_id},
    )


def clock_row(
    case_id: int,
    now: datetime,
    change: tuple[str, Visibility, str],
    *,
    clock: str,
    party: str,
    due_at: str,
    rule: str,
    policy_id: str,
) -> dict[str, Any]:
    """`timeline_row(case_id, clock_event(..., due_at=D))` built directly, `due_at` being
    D.isoformat(): same keys in the same order (so the same stored JSON text)."""
    name, visibility, text = change
    return {
        "case_id": case_id,
        "kind": ClockChanged.kind,
        "actor_id": SYS[0],
        "actor_role": SYS[1],
        "visibility": visibility.value,
        "body": text,
        "data": {
            "change": name,
            "clock": clock,
            "party": party,
            "rule": rule,
            "policy": policy_id,
            "due_at": due_at,
        },
        "created_at": now,
    }


def notice(
    now: datetime,
    case: Addressed,
    *,
    topic: str,
    clock: str,
    due_at: datetime,
    rule: str,
    audiences: list[str],
    supervisors: list[int],
    due_iso: str | None = None,
) -> dict[str, Any]:
    """The outbox row of a warning or breach notice; user_ids only matter for "users".
    `due_iso`: due_at.isoformat() when the caller has it already."""
    zh = "即将超时" if topic == "sla_warning" else "已超时"
    en = "deadline approaching" if topic == "sla_warning" else "deadline missed"
    return {
        "topic": topic,
        "case_id": case.id,
        "payload": {
            "event": topic,
            "case_number": case.number,
            "actor_id": 0,
            "audiences": audiences,
            "user_ids": supervisors if "users" in audiences else [],
            "buyer_id": case.buyer_id,
            "shop_id": case.shop_id,
            "assignee_id": case.assignee_id,
            "team_id": case.team_id,
            "title": f"案件 {case.number} {clock} {zh} / case {case.number} {clock}: {en}",
            "body": f"due {due_iso or due_at.isoformat()} ({rule})",
        },
        "created_at": now,
        "available_at": now,
        "attempts": 0,
    }


# --- pre-rendered rows ------------------------------------------------------------------------

_ANY = datetime(2000, 1, 1, tzinfo=UTC)  # a time the templates never show

# Placeholders put into the template dicts: control characters, which json.dumps writes as
# these escapes; a template whose fixed texts hold one of them is not made (plain dumps then).
_MARKS = {"\x01": "n", "\x02": "b", "\x03": "s", "\x04": "a", "\x05": "t", "\x06": "d"}
_INT_MARKS = {"\x02", "\x03", "\x04", "\x05"}  # ids: the quoted escape becomes the number


def _template(text: str) -> str:
    out = text.replace("%", "%%")
    for mark, name in _MARKS.items():
        escaped = json.dumps(mark)  # '"\\u0001"'
        if mark in _INT_MARKS:
            out = out.replace(escaped, f"%({name})s")
        else:
            out = out.replace(escaped[1:-1], f"%({name})s")
    return out


def _clean(*texts: str) -> bool:
    return not any(mark in text for text in texts for mark in _MARKS)


@lru_cache(maxsize=1024)
def _data_template(name: str, clock: str, party: str, rule: str, policy_id: str) -> str | None:
    if not _clean(name, clock, party, rule, policy_id):
        return None
    data = clock_row(
        0, _ANY, (name, Visibility.PUBLIC, ""), clock=clock, party=party,
        due_at="\x06", rule=rule, policy_id=policy_id,
    )["data"]  # fmt: skip
    return _template(json.dumps(data))


class _Marks:
    """A case whose fields are the template's placeholders."""

    id = None
    number = "\x01"
    buyer_id: Any = "\x02"
    shop_id: Any = "\x03"
    assignee_id: Any = "\x04"
    team_id: Any = "\x05"


@lru_cache(maxsize=1024)
def _payload_template(
    topic: str, clock: str, rule: str, audiences: tuple[str, ...], supervisors: tuple[int, ...]
) -> str | None:
    if not _clean(topic, clock, rule, *audiences):
        return None
    row = notice(
        _ANY, _Marks(), topic=topic, clock=clock, due_at=_ANY, rule=rule,
        audiences=list(audiences), supervisors=list(supervisors), due_iso="\x06",
    )  # fmt: skip
    return _template(json.dumps(row["payload"]))


@dataclass(frozen=True)
class RowsPlan:
    """The rows one kind of light clock writes (same clock, rule, policy, actions, audiences),
    as templates: only the case's values and the due time vary per clock."""

    change: tuple[str, Visibility, str]
    topic: str
    data: str  # the timeline's data JSON with one placeholder: the due time
    payloads: tuple[str, ...]  # one outbox payload template per notice
    violation: bool

    @classmethod
    def of(
        cls,
        change: tuple[str, Visibility, str],
        topic: str,
        *,
        clock: str,
        party: str,
        rule: str,
        policy_id: str,
        notices: list[tuple[tuple[str, ...], tuple[int, ...]]],
        violation: bool,
    ) -> RowsPlan | None:
        data = _data_template(change[0], clock, party, rule, policy_id)
        payloads = [_payload_template(topic, clock, rule, a, s) for a, s in notices]
        if data is None or any(p is None for p in payloads):
            return None
        return cls(change, topic, data, tuple(p for p in payloads if p is not None), violation)

    def timeline(self, case_id: int, now: datetime, due_iso: str) -> tuple[Any, ...]:
        """`due_iso` is `due_at.isoformat()` (digits, "-:.+T": spliced in as it is)."""
        _, visibility, text = self.change
        data = self.data % {"d": due_iso}  # an isoformat(): nothing in it needs escaping
        return (case_id, ClockChanged.kind, SYS[0], SYS[1], visibility.value, text, data, now)

    def outbox(self, case: Addressed, now: datetime, due_iso: str) -> list[tuple[Any, ...]]:
        if not self.payloads:
            return []
        values = {
            "n": _inner(case.number),
            "b": _id(case.buyer_id),
            "s": _id(case.shop_id),
            "a": _id(case.assignee_id),
            "t": _id(case.team_id),
            "d": due_iso,
        }
        return [(self.topic, case.id, p % values, now, now, 0) for p in self.payloads]


def _inner(text: str) -> str:
    """`text` as json.dumps writes it between the quotes (it escapes only quotes, backslashes,
    control and non-ASCII characters)."""
    plain = text.isascii() and text.isprintable() and '"' not in text and "\\" not in text
    return text if plain else json.dumps(text)[1:-1]


def _id(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def timeline_tuple(
    case_id: int,
    now: datetime,
    change: tuple[str, Visibility, str],
    *,
    clock: str,
    party: str,
    due_at: str,
    rule: str,
    policy_id: str,
) -> tuple[Any, ...]:
    """`clock_row(...)` as a TIMELINE_COLUMNS tuple with `data` rendered to its JSON text."""
    name, visibility, text = change
    template = _data_template(name, clock, party, rule, policy_id)
    if template is None:
        row = clock_row(
            case_id, now, change, clock=clock, party=party, due_at=due_at, rule=rule,
            policy_id=policy_id,
        )  # fmt: skip
        data = json.dumps(row["data"])
    else:
        data = template % {"d": _inner(due_at)}
    return (case_id, ClockChanged.kind, SYS[0], SYS[1], visibility.value, text, data, now)


def outbox_tuple(
    now: datetime,
    case: Addressed,
    *,
    topic: str,
    clock: str,
    due_iso: str,
    rule: str,
    audiences: tuple[str, ...],
    supervisors: tuple[int, ...],
) -> tuple[Any, ...]:
    """`notice(...)` as an OUTBOX_COLUMNS tuple with `payload` rendered to its JSON text."""
    template = _payload_template(topic, clock, rule, audiences, supervisors)
    if template is None:
        row = notice(
            now, case, topic=topic, clock=clock, due_at=_ANY, rule=rule,
            audiences=list(audiences), supervisors=list(supervisors), due_iso=due_iso,
        )  # fmt: skip
        payload = json.dumps(row["payload"])
    else:
        payload = template % {
            "n": _inner(case.number),
            "b": _id(case.buyer_id),
            "s": _id(case.shop_id),
            "a": _id(case.assignee_id),
            "t": _id(case.team_id),
            "d": _inner(due_iso),
        }
    return (topic, case.id, payload, now, now, 0)
