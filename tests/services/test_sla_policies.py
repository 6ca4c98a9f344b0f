"""SLA policy versions as data: drafts, publishing, selection, rule 29 and the per-process cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App, build_app
from kefu.db.schema_deadlines import sla_policy_versions
from kefu.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kefu.domain.sla_clock import ClockName
from kefu.domain.types import Actor, CaseKind
from kefu.domain.workflow import Action
from kefu.services import sla_admin, sla_policies, sla_policy
from kefu.services.sla_policies import DraftIn
from tests.builders import a_complaint, a_user, an_order, imported
from tests.conftest import START
from tests.services.deadline_helpers import SH, act, clocks

# START is Tuesday 2026-11-24 10:00 Shanghai; 8 days later, past the 7-day notice.
EFFECTIVE = datetime(2026, 12, 2, 0, 0, tzinfo=SH)

FASTER_COMPLAINT: list[dict[str, Any]] = [
    {
        "name": "first_response",
        "party": "platform",
        "measure": "calendar_hours",
        "amount": 6,
        "on_breach": ["notify_supervisor", "raise_priority"],
    },
    {"name": "first_contact", "party": "platform", "measure": "calendar_hours", "amount": 3},
    {
        "name": "seller_first_answer",
        "party": "seller",
        "measure": "working_days",
        "amount": 2,
        "on_breach": ["record_seller_violation", "open_intervention"],
        "on_timeout": "open_intervention",
    },
    {"name": "resolution", "party": "platform", "measure": "working_days", "amount": 5},
    {"name": "buyer_confirm", "party": "buyer", "measure": "calendar_days", "amount": 7},
]


@pytest.fixture
def world(app: App) -> dict[str, Actor]:
    people = {
        "buyer": a_user(app, "buyer1", "buyer"),
        "seller": a_user(app, "seller1", "seller", shop="shop-a"),
        "agent": a_user(app, "agent1", "agent"),
        "admin": a_user(app, "admin", "admin"),
    }
    imported(app, an_order("DD0001"), an_order("DD0002"), an_order("DD0003"))
    return people


def draft(
    app: App,
    admin: Actor,
    clocks: list[dict[str, Any]] | None = None,
    *,
    effective_from: datetime = EFFECTIVE,
    policy_id: str = "complaint",
    match: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    data = DraftIn(
        policy_id=policy_id,
        clocks=FASTER_COMPLAINT if clocks is None else clocks,
        effective_from=effective_from,
        match={"kind": "complaint"} if match is None else match,
        note="加快首次响应 faster first response",
    )
    return sla_policies.create_draft(app.uow(), actor=admin, data=data, now=app.clock.now())


def publish(app: App, admin: Actor, version: int, policy_id: str = "complaint") -> dict[str, Any]:
    return sla_policies.publish(
        app.uow(), actor=admin, policy_id=policy_id, version=version, now=app.clock.now()
    )


def fields(exc: DomainError) -> dict[str, str]:
    return {f.field: f.code for f in exc.fields}


# --- drafts ---------------------------------------------------------------------------------


def test_a_draft_is_listed_and_changes_nothing_until_published(
    app: App, world: dict[str, Actor]
) -> None:
    made = draft(app, world["admin"])
    assert (made["policy_id"], made["version"], made["status"]) == ("complaint", 2, "draft")
    assert made["published_at"] is None
    assert made["created_by"] == world["admin"].user_id
    listed = sla_policies.list_policies(
        app.reader(), actor=world["agent"], policy_id="complaint", now=app.clock.now()
    )
    versions = listed[0]["versions"]
    assert [(v["version"], v["source"], v["status"], v["in_force"]) for v in versions] == [
        (1, "code", "published", True),
        (2, "table", "draft", False),
    ]
    assert versions[1]["clocks"][0]["amount"] == 6
    app.clock.advance(timedelta(days=10))  # type: ignore[attr-defined]
    case = a_complaint(app, world["buyer"])
    assert clocks(app, case.number)[ClockName.FIRST_RESPONSE].policy_version == 1


def test_drafts_below_the_law_or_with_short_notice_are_refused_naming_the_field(
    app: App, world: dict[str, Actor]
) -> None:
    refund = [
        {"name": "refund", "party": "seller", "measure": "calendar_days", "amount": 10},
        {
            "name": "return_review",
            "party": "seller",
            "measure": "working_days",
            "amount": 2,
            "on_timeout": "close_request",
        },
    ]
    with pytest.raises(InvalidInput) as bad:
        draft(app, world["admin"], refund, policy_id="aftersales", match={"kind": "aftersales"})
    assert fields(bad.value) == {
        "clocks[0].amount": "below_legal_floor",
        # Working days are unbounded over long holidays: 2 working days may exceed 15 days (L3).
        "clocks[1].amount": "below_legal_floor",
        "clocks[1].on_timeout": "silent_expiry",
    }
    assert bad.value.status == 422
    assert "7 日" in bad.value.zh
    assert "7 days" in bad.value.en
    with pytest.raises(InvalidInput) as soon:
        draft(app, world["admin"], effective_from=START + timedelta(days=3))
    assert fields(soon.value) == {"effective_from": "notice_too_short"}
    assert "电子商务法 34" in soon.value.fields[0].zh
    with pytest.raises(InvalidInput) as garbage:
        draft(
            app,
            world["admin"],
            [
                # bool("false") was True: a draft sending text got the opposite rule.
                {
                    "name": "nap",
                    "party": "cat",
                    "measure": "calendar_days",
                    "amount": "1",
                    "roll_to_working_day": "false",
                },
                3,
            ],
            policy_id="Bad Id",
            match={"kind": "complaint", "seller": "nope"},
        )
    assert fields(garbage.value) == {
        "policy_id": "invalid_id",
        "match.seller": "unknown_shop",
        "clocks[0].name": "invalid_choice",
        "clocks[0].party": "invalid_choice",
        "clocks[0].amount": "not_integer",
        "clocks[0].roll_to_working_day": "not_boolean",
        "clocks[1]": "not_object",
    }
    with pytest.raises(PermissionDenied):
        draft(app, world["agent"])
    listed = sla_policies.list_policies(
        app.reader(), actor=world["admin"], policy_id="complaint", now=app.clock.now()
    )
    assert len(listed[0]["versions"]) == 1  # nothing was written


# --- publishing -----------------------------------------------------------------------------


def test_publishing_records_who_and_when_once_and_rows_never_change(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    draft(app, world["admin"])
    clock.advance(timedelta(hours=1))
    done = publish(app, world["admin"], 2)
    assert done["status"] == "published"
    assert done["published_at"] == clock.now().isoformat()
    assert done["published_by"] == world["admin"].user_id
    with pytest.raises(DomainError) as again:
        publish(app, world["admin"], 2)
    assert (again.value.status, again.value.code) == (409, "policy_not_draft")
    with pytest.raises(NotFound):
        publish(app, world["admin"], 9)
    listed = sla_policies.list_policies(
        app.reader(), actor=world["agent"], policy_id=None, now=clock.now()
    )
    complaint = next(p for p in listed if p["policy_id"] == "complaint")["versions"]
    assert [(v["version"], v["in_force"], v["scheduled"]) for v in complaint] == [
        (1, True, False),
        (2, False, True),
    ]
    # A later draft may not take effect before the published one (no going back in time).
    with pytest.raises(InvalidInput) as back:
        draft(app, world["admin"], effective_from=EFFECTIVE - timedelta(hours=1))
    assert fields(back.value) == {"effective_from": "not_after_published"}


def test_a_draft_whose_notice_period_lapsed_cannot_be_published(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    draft(app, world["admin"], effective_from=START + timedelta(days=7, hours=1))
    clock.advance(timedelta(hours=2))
    with pytest.raises(InvalidInput) as late:
        publish(app, world["admin"], 2)
    assert fields(late.value) == {"effective_from": "notice_too_short"}
    with app.reader() as uow:
        stored = uow.conn.execute(select(sla_policy_versions.c.status)).scalar_one()
    assert stored == "draft"


# --- rule 29: a case keeps the version in force when it was opened ---------------------------


def test_a_case_keeps_its_policy_version_and_later_cases_get_the_new_one(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    draft(app, world["admin"])
    publish(app, world["admin"], 2)
    clock.set(EFFECTIVE - timedelta(hours=1))  # Tuesday 2026-12-01 23:00 Shanghai
    before = a_complaint(app, world["buyer"])
    clock.set(EFFECTIVE + timedelta(hours=10))  # Wednesday 2026-12-02 10:00
    after = a_complaint(app, world["buyer"], order_no="DD0002")

    old, new = clocks(app, before.number), clocks(app, after.number)
    assert {(c.policy_id, c.policy_version) for c in old.values()} == {("complaint", 1)}
    assert {(c.policy_id, c.policy_version) for c in new.values()} == {("complaint", 2)}
    old_response = old[ClockName.FIRST_RESPONSE].state
    assert old_response.due_at == old_response.started_at + timedelta(hours=24)
    new_response = new[ClockName.FIRST_RESPONSE].state
    assert new_response.due_at == new_response.started_at + timedelta(hours=6)
    assert new[ClockName.FIRST_CONTACT].state.spec.amount == 3

    # A clock that starts later still comes from the version in force at opening.
    for number in (before.number, after.number):
        for action in (Action.START_SCREENING, Action.ACCEPT, Action.FORWARD_TO_SELLER):
            act(app, world["agent"], number, action)
    old_answer = clocks(app, before.number)[ClockName.SELLER_FIRST_ANSWER]
    new_answer = clocks(app, after.number)[ClockName.SELLER_FIRST_ANSWER]
    assert (old_answer.policy_version, old_answer.state.spec.amount) == (1, 1)
    assert (new_answer.policy_version, new_answer.state.spec.amount) == (2, 2)
    # Wednesday 10:00 + 1 / 2 working days -> end of Thursday / Friday.
    assert old_answer.state.due_at == datetime(2026, 12, 3, 23, 59, 59, 999999, SH).astimezone(UTC)
    assert new_answer.state.due_at == datetime(2026, 12, 4, 23, 59, 59, 999999, SH).astimezone(UTC)


def test_the_preview_answers_a_draft_as_if_it_were_in_force(
    app: App, world: dict[str, Actor]
) -> None:
    made = draft(app, world["admin"])

    def preview(**kw: Any) -> dict[str, Any]:
        return sla_admin.preview(
            app.reader(),
            actor=world["agent"],
            kind=CaseKind.COMPLAINT,
            category=None,
            priority=kw.pop("priority", None),
            channel=None,
            seller=None,
            now=app.clock.now(),
            **{"at": None, **kw},
        )

    today = preview()
    assert today["policy"]["version"] == 1
    assert "draft" not in today
    checked = preview(draft=("complaint", made["version"]))
    assert checked["at"] == EFFECTIVE.astimezone(UTC).isoformat()  # its effective_from
    assert checked["policy"] == {
        "id": "complaint",
        "version": 2,
        "applied": "complaint",
        "effective_from": EFFECTIVE.astimezone(UTC).isoformat(),
    }
    assert checked["draft"] == {
        "id": "complaint",
        "version": 2,
        "published": False,
        "selected": True,
    }
    response = next(c for c in checked["clocks"] if c["clock"] == "first_response")
    assert response["due_at"] == (EFFECTIVE + timedelta(hours=6)).astimezone(UTC).isoformat()
    # A more specific policy still wins: the draft is not selected for urgent complaints.
    urgent = preview(draft=("complaint", 2), priority="urgent")
    assert (urgent["policy"]["id"], urgent["draft"]["selected"]) == ("complaint-urgent", False)
    with pytest.raises(NotFound):
        preview(draft=("complaint", 7))


# --- the per-process cache ------------------------------------------------------------------


def test_another_process_sees_a_publication_long_before_it_takes_effect(
    app: App, world: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second App on the same database: another engine and pool, i.e. another process's cache.
    other = build_app(app.settings, clock=app.clock)

    def version_at(at: datetime) -> int:
        with other.reader() as uow:
            found = sla_policy.effective_policy(
                uow,
                kind=CaseKind.COMPLAINT,
                category=None,
                priority=None,
                channel=None,
                shop_id=None,
                at=at,
            )
        assert found is not None
        return found.policy.version

    later = EFFECTIVE + timedelta(hours=1)
    try:
        assert version_at(later) == 1
        draft(app, world["admin"])
        publish(app, world["admin"], 2)
        statements: list[str] = []
        event.listen(
            other.engine,
            "before_cursor_execute",
            lambda *a: statements.append(a[2]) if "sla_policy_versions" in a[2] else None,
        )
        # Within CHECK_EVERY_S the other process trusts what it has: no query at all.
        assert version_at(later) == 1
        assert statements == []
        monkeypatch.setattr(sla_policy, "CHECK_EVERY_S", 0.0)
        assert version_at(later) == 2
        assert version_at(EFFECTIVE - timedelta(seconds=1)) == 1
        assert any("sla_policy_versions" in s for s in statements)
        # Unchanged stamp: one cheap check, no reload.
        statements.clear()
        version_at(later)
        assert [s.lower().count("count(") for s in statements if "sla_policy" in s] == [1]
    finally:
        other.engine.dispose()


def test_a_published_row_is_never_published_again_even_if_written_around(
    app: App, world: dict[str, Actor]
) -> None:
    draft(app, world["admin"])
    publish(app, world["admin"], 2)
    with app.uow() as uow:
        assert not uow.deadlines.policies.publish("complaint", 2, 999, START + timedelta(days=1))
        stamp = uow.deadlines.policies.stamp()
    assert stamp[0] == 1


def test_publications_of_one_policy_wait_for_each_other(app: App, world: dict[str, Actor]) -> None:
    """Two admins publishing at once cannot both pass the "after the last published version"
    check: the second waits for the first's transaction (SQLite: the write lock)."""
    import threading
    import time

    version = draft(app, world["admin"])["version"]
    done = threading.Event()
    errors: list[BaseException] = []

    def publisher() -> None:
        try:
            publish(app, world["admin"], version)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    holder = app.uow()
    with holder as uow:
        # Hold what a concurrent publication of "complaint" holds.
        uow.deadlines.policies.lock_policy("complaint")
        thread = threading.Thread(target=publisher, daemon=True)
        thread.start()
        time.sleep(0.5)
        assert not done.is_set()
    thread.join(30)
    assert done.is_set()
    assert errors == []
