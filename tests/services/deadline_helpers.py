"""Helpers shared by the deadline tests: the people who act, acting on a case, reading it back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.bootstrap import App
from kefu.db.clock_rows import ClockRow
from kefu.domain.types import SYSTEM_ACTOR, Actor
from kefu.domain.workflow import Action, Status
from kefu.services import cases as case_svc
from kefu.services import deadlines as deadline_svc
from tests.builders import a_user, an_order, imported

SH = ZoneInfo("Asia/Shanghai")


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SH).astimezone(UTC)


def buyer_seller_and_staff(app: App) -> dict[str, Actor]:
    """A buyer, a seller of shop-a, an agent and a supervisor, created in that order."""
    return {
        "buyer": a_user(app, "buyer1", "buyer"),
        "seller": a_user(app, "seller1", "seller", shop="shop-a"),
        "agent": a_user(app, "agent1", "agent"),
        "supervisor": a_user(app, "sup", "supervisor"),
    }


def act(app: App, actor: Actor, number: str, action: Action, **params: str) -> case_svc.Case:
    with app.reader() as uow:
        version = uow.cases.get_by_number(number).version
    return case_svc.act_on_case(
        app.uow(),
        actor=actor,
        number=number,
        action=action,
        params=params,
        expected_version=version,
        now=app.clock.now(),
        policy=app.policy,
    )


def clocks(app: App, number: str) -> dict[str, ClockRow]:
    """The newest clock of each name."""
    _, rows = deadline_svc.case_clocks(app.reader(), actor=SYSTEM_ACTOR, number=number)
    return {c.name: c for c in rows}


def case_of(app: App, number: str) -> case_svc.Case:
    with app.reader() as uow:
        return uow.cases.get_by_number(number)


def timeline(app: App, number: str, kind: str) -> list[Any]:
    case = case_of(app, number)
    assert case.id is not None
    with app.reader() as uow:
        return [e for e in uow.records.timeline(case.id, include_internal=True) if e.kind == kind]


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def deadline_world(app: App) -> dict[str, Actor]:
    """The deadline tests' people (buyer, seller, agent, supervisor, admin) and orders DD0001-3."""
    people = {**buyer_seller_and_staff(app), "admin": a_user(app, "admin", "admin")}
    imported(app, an_order("DD0001"), an_order("DD0002"), an_order("DD0003"))
    return people


def to_status(app: App, w: dict[str, Actor], number: str, status: Status) -> None:
    """Walk a complaint forward with the real actors."""
    path = [
        (Status.SCREENING, w["agent"], Action.START_SCREENING, {}),
        (Status.ACCEPTED, w["agent"], Action.ACCEPT, {}),
        (Status.AWAITING_SELLER, w["agent"], Action.FORWARD_TO_SELLER, {}),
        (Status.PLATFORM_INTERVENTION, w["agent"], Action.INTERVENE, {}),
        (Status.EVIDENCE, w["agent"], Action.OPEN_EVIDENCE, {}),
        (Status.INVESTIGATING, w["agent"], Action.CLOSE_EVIDENCE, {}),
        (Status.DECIDED, w["agent"], Action.DECIDE, {"decision": "退款"}),
        (Status.EXECUTING, w["agent"], Action.EXECUTE, {}),
        (Status.AWAITING_CONFIRMATION, w["agent"], Action.COMPLETE_EXECUTION, {}),
    ]
    for target, actor, action, params in path:
        act(app, actor, number, action, **params)
        if target is status:
            return
    raise AssertionError(status)
