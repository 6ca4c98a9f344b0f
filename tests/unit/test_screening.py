"""Screening rules, table-driven: each rule accepts and refuses, in order, with a rule trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from kefu.domain.orders import SHANGHAI
from kefu.domain.routing import StaffSlot, pick_assignee, team_for
from kefu.domain.screening import (
    IntakeFacts,
    Outcome,
    PriorResolution,
    ScreeningPolicy,
    rejection_path,
    screen,
)
from kefu.domain.types import CaseKind, Category
from kefu.domain.workflow import LIFECYCLES, Action, Status

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
GOOD = IntakeFacts(
    kind=CaseKind.COMPLAINT,
    now=NOW,
    purchased_at=NOW - timedelta(days=30),
    prior_resolution=PriorResolution.NONE,
    distinct_terms=12,
    abusive=False,
    substance_without_abuse=12,
    compliance_terms=(),
    relevant=True,
    duplicate_of=None,
)
POLICY = ScreeningPolicy()


@pytest.mark.parametrize(
    ("change", "outcome", "code"),
    [
        ({}, Outcome.ACCEPT, "accepted"),
        ({"purchased_at": NOW - timedelta(days=365)}, Outcome.ACCEPT, "accepted"),
        ({"purchased_at": NOW - timedelta(days=366)}, Outcome.REJECT, "out_of_window"),
        ({"purchased_at": None, "kind": CaseKind.FEEDBACK}, Outcome.ACCEPT, "accepted"),
        (
            {"prior_resolution": PriorResolution.LITIGATION},
            Outcome.REJECT,
            "already_elsewhere",
        ),
        (
            {"prior_resolution": PriorResolution.OFFLINE_AGREEMENT},
            Outcome.REJECT,
            "already_elsewhere",
        ),
        ({"duplicate_of": 7, "duplicate_distance": 3}, Outcome.REJECT, "duplicate"),
        ({"abusive": True, "substance_without_abuse": 2}, Outcome.REJECT, "abusive"),
        ({"abusive": True, "substance_without_abuse": 9}, Outcome.ACCEPT, "accepted"),
        ({"distinct_terms": 2}, Outcome.REJECT, "vague"),
        ({"distinct_terms": 3}, Outcome.ACCEPT, "accepted"),
        ({"relevant": False, "kind": CaseKind.FEEDBACK}, Outcome.REJECT, "irrelevant"),
        # A complaint about an order is about the platform by definition.
        ({"relevant": False}, Outcome.ACCEPT, "accepted"),
        ({"compliance_terms": ("高仿",)}, Outcome.COMPLIANCE, "suspected_counterfeit"),
    ],
)
def test_each_rule_accepts_and_refuses(
    change: dict[str, object], outcome: Outcome, code: str
) -> None:
    verdict = screen(replace(GOOD, **change), POLICY)  # type: ignore[arg-type]
    assert (verdict.outcome, verdict.code) == (outcome, code)
    assert verdict.reason_zh
    assert verdict.reason_en
    assert verdict.trail
    assert verdict.trail[-1].passed is (outcome is Outcome.ACCEPT)


def test_the_first_refusing_rule_decides_and_the_trail_shows_the_rules_before_it() -> None:
    verdict = screen(replace(GOOD, purchased_at=NOW - timedelta(days=400), duplicate_of=3), POLICY)
    assert verdict.code == "out_of_window"
    assert [s.rule for s in verdict.trail] == ["acceptance_window"]
    accepted = screen(GOOD, POLICY)
    assert [s.rule for s in accepted.trail] == [
        "acceptance_window",
        "prior_resolution",
        "duplicate",
        "abusive",
        "vague",
        "relevance",
        "compliance",
    ]


def test_the_window_is_configuration_per_kind() -> None:
    generous = ScreeningPolicy(acceptance_window={CaseKind.COMPLAINT: timedelta(days=800)})
    late = replace(GOOD, purchased_at=NOW - timedelta(days=700))
    assert screen(late, POLICY).code == "out_of_window"
    assert screen(late, generous).outcome is Outcome.ACCEPT


def test_duplicate_verdict_links_the_original() -> None:
    assert screen(replace(GOOD, duplicate_of=42), POLICY).duplicate_of == 42


@pytest.mark.parametrize("kind", list(CaseKind))
def test_the_system_can_reject_every_kind_through_its_table(kind: CaseKind) -> None:
    path = rejection_path(kind)
    status = LIFECYCLES[kind].initial
    for action in path:
        status = LIFECYCLES[kind].table[(status, action)].target or status
    assert status is Status.REJECTED
    assert path[-1] is Action.REJECT


@pytest.mark.parametrize(
    ("category", "compliance", "team"),
    [
        (Category.QUALITY, False, "cs"),
        (Category.REPAIR, False, "cs"),
        (Category.VIRTUAL_GOODS, False, "tech"),
        (Category.SUGGESTION, False, "tech"),
        (Category.QUALITY, True, "compliance"),
    ],
)
def test_routing_by_category(category: Category, compliance: bool, team: str) -> None:
    assert team_for(category, compliance=compliance) == team


def _slot(uid: int, load: int, *, on: bool = True, start: str = "09:00", end: str = "21:00"):  # type: ignore[no-untyped-def]
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return StaffSlot(uid, on, time(h1, m1), time(h2, m2), True, load)


LOCAL_10AM = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("slots", "at", "working_day", "expected"),
    [
        ([_slot(1, 5), _slot(2, 3)], LOCAL_10AM, True, 2),  # least loaded
        ([_slot(1, 3), _slot(2, 3)], LOCAL_10AM, True, 1),  # tie: lowest id
        ([_slot(1, 0, on=False), _slot(2, 9)], LOCAL_10AM, True, 2),  # never someone off
        ([_slot(1, 0)], LOCAL_10AM.replace(hour=22), True, None),  # after the shift
        ([_slot(1, 0)], LOCAL_10AM, False, None),  # a rest day for working-days staff
        ([_slot(1, 0, start="20:00", end="02:00")], LOCAL_10AM.replace(hour=1), True, 1),
        ([], LOCAL_10AM, True, None),
    ],
)
def test_auto_assignment_by_load_and_working_hours(
    slots: list[StaffSlot], at: datetime, working_day: bool, expected: int | None
) -> None:
    assert pick_assignee(slots, at, working_day=working_day) == expected
