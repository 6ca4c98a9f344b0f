"""Helpers shared by the deadline tests: the people who act, acting on a case, reading it back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.bootstrap import App
from kefu.db.clock_rows import ClockRow
from kefu.domain.types import SYSTEM_ACTOR, Actor
from kefu.domain.workflow import Action
from kefu.services import cases as case_svc
from kefu.services import deadlines as deadline_svc
from tests.builders import a_user

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
