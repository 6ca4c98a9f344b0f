"""The light path's pre-rendered rows are exactly the dict rows' JSON (templates and fallbacks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from kefu.db.deadline_sweep import CaseFacts, DueClock
from kefu.services import sweep_light
from kefu.services.sweep_light import LightBatch
from kefu.services.sweep_rows import (
    BREACHED,
    OUTBOX_COLUMNS,
    TIMELINE_COLUMNS,
    WARNED,
    clock_row,
    notice,
    outbox_tuple,
    timeline_tuple,
)

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
DUE = NOW - timedelta(hours=1, microseconds=7)
NUMBERS = ["KF20261124000001", 'K"F%s\\x', "案件1"]
RULES = ["seed-001", '规则 “quoted” %(d)s %d \\ "x"', "a\x01b"]  # the last: no template


def _stored(row: dict[str, object], columns: tuple[str, ...], json_column: str) -> tuple:
    return tuple(json.dumps(row[k]) if k == json_column else row[k] for k in columns)


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("shop", [None, 5])
def test_rendered_rows_are_json_dumps_of_the_dict_rows(
    number: str, rule: str, shop: int | None
) -> None:
    facts = CaseFacts(7, number, "submitted", "normal", 1, shop, None, 3, None)
    for topic in ("sla_warning", "sla_breached"):
        for audiences, supervisors in [(("assignee",), ()), (("assignee", "users"), (3, 4))]:
            rendered = outbox_tuple(
                NOW, facts, topic=topic, clock="first_contact", due_iso=DUE.isoformat(),
                rule=rule, audiences=audiences, supervisors=supervisors,
            )  # fmt: skip
            row = notice(
                NOW, facts, topic=topic, clock="first_contact", due_at=DUE, rule=rule,
                audiences=list(audiences), supervisors=list(supervisors),
            )  # fmt: skip
            assert rendered == _stored(row, OUTBOX_COLUMNS, "payload")
    for change in (WARNED, BREACHED):
        rendered = timeline_tuple(
            7, NOW, change, clock="c%", party="platform", due_at=DUE.isoformat(), rule=rule,
            policy_id=number,
        )  # fmt: skip
        row = clock_row(
            7, NOW, change, clock="c%", party="platform", due_at=DUE.isoformat(), rule=rule,
            policy_id=number,
        )  # fmt: skip
        assert rendered == _stored(row, TIMELINE_COLUMNS, "data")


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    "stored",
    ["notify_assignee", "notify_supervisor", "record_seller_violation,notify_supervisor", ""],
)
@pytest.mark.parametrize("breach", [False, True])
def test_the_planned_rows_equal_the_rows_built_one_by_one(
    rule: str, stored: str, breach: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for assigned in (None, 9):
        for shop in (None, 4):
            facts = CaseFacts(7, 'KF"1', "submitted", "normal", 1, shop, assigned, 3, None)
            due = DueClock(
                11, 7, "first%s", "platform", "pol%(n)s", 1, rule, NOW, DUE, stored, stored,
                "none",
            )  # fmt: skip
            planned = LightBatch(NOW, lambda: [3, 4])
            planned.handle(due, facts, breach=breach)
            with monkeypatch.context() as m:
                m.setattr(sweep_light, "rows_plan", lambda *_: None)
                one_by_one = LightBatch(NOW, lambda: [3, 4])
                one_by_one.handle(due, facts, breach=breach)
            assert (planned.timeline, planned.outbox, planned.violations) == (
                one_by_one.timeline,
                one_by_one.outbox,
                one_by_one.violations,
            )
            assert planned.marked == one_by_one.marked == [11]
